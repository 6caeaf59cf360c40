"""What several model admins share that is not about scope."""


class ReadOnlyAdminMixin:
    """Records written only by the portal (timelines, score events, messages, the change log):
    to be read in the work desk, never added, changed or deleted there."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
