from django import forms
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.admin.templatetags import admin_list
from django.contrib.auth import admin as auth_admin
from django.contrib.auth.models import Group, Permission, User
from django.template.defaultfilters import linebreaksbr
from django.templatetags.static import static
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import Holiday, Notification
from .notifications import render


def _boolean_icon(value):
    """Django's yes/no icon with its text alternative in the reader's language (Django writes
    the Python literal "True"/"False"/"None" there, which screen readers read out)."""
    name = {True: "yes", False: "no", None: "unknown"}[value]
    icon = static(f"admin/img/icon-{name}.svg")
    return format_html(
        '<img src="{}" alt="{}">', icon, {True: gettext("Yes"), False: gettext("No"), None: gettext("Unknown")}[value]
    )


# Every list and read-only page looks the icon up in this module at render time.
admin_list._boolean_icon = _boolean_icon


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ["date", "name", "is_workday"]
    list_filter = ["is_workday"]
    search_fields = ["name"]
    date_hierarchy = "date"


class UnreadFilter(admin.SimpleListFilter):
    title = _("read or unread")
    parameter_name = "unread"

    def lookups(self, request, model_admin):
        return [("1", _("unread")), ("0", _("read"))]

    def queryset(self, request, queryset):
        if self.value() in ("0", "1"):
            return queryset.filter(read_at__isnull=self.value() == "1")
        return queryset


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The work desk's messages: each user reads their own; administrators see every message's
    state on every channel. A message shows as its text and link — never its template name or
    stored context."""

    list_display = ["created_at", "message", "open_link", "channel", "status", "read_at"]
    list_display_links = ["created_at", "message"]
    list_filter = [UnreadFilter, "status", "channel"]
    search_fields = ["subject", "body", "address"]
    actions = ["mark_read"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(user=request.user, channel=Notification.Channel.IN_APP)

    def get_fields(self, request, obj=None):
        fields = ["created_at", "text_subject", "text_body", "open_link", "channel", "status", "sent_at", "read_at"]
        if request.user.is_superuser:  # delivery details, for whoever runs the portal
            fields += ["address", "attempts", "last_error", "next_attempt_at", "key"]
        return fields

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Opening one's own message reads it.
        Notification.objects.filter(pk=object_id, user=request.user, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        return super().change_view(request, object_id, form_url, extra_context)

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @staticmethod
    def _text(obj) -> tuple[str, str]:
        """Subject and text as sent; a message not sent yet is rendered for display."""
        if obj.subject or obj.body:
            return obj.subject, obj.body
        try:
            subject, body, _html = render(obj)
        except Exception:  # noqa: BLE001 — its error shows in last_error; the page must still open
            return gettext("(cannot be shown)"), ""
        return subject, body

    @admin.display(description=_("message"))
    def message(self, obj):
        if not (obj.subject or obj.body):  # not rendered yet (the scan does it within a minute)
            return gettext("(being prepared)")
        return format_html("<strong>{}</strong><br>{}", obj.subject, Truncator(obj.body).chars(120))

    @admin.display(description=_("subject"))
    def text_subject(self, obj):
        return self._text(obj)[0]

    @admin.display(description=_("text"))
    def text_body(self, obj):
        return linebreaksbr(self._text(obj)[1])

    @admin.display(description=_("link"))
    def open_link(self, obj):
        if not obj.link.startswith("/"):  # only paths in the portal
            return "-"
        return format_html('<a href="{}">{}</a>', obj.link, gettext("open"))

    @admin.action(description=_("Mark as read"), permissions=["view"])
    def mark_read(self, request, queryset):
        count = queryset.filter(read_at__isnull=True).update(read_at=timezone.now())
        self.message_user(request, gettext("%(n)d messages marked as read.") % {"n": count})


@admin.register(LogEntry)
class LogEntryAdmin(admin.ModelAdmin):
    """Every change made in the work desk (who, what, when) — the configuration's audit trail."""

    list_display = ["action_time", "user", "content_type", "object_repr", "action_flag", "change_message"]
    list_filter = ["action_flag", "content_type"]
    search_fields = ["object_repr", "change_message", "user__username"]
    date_hierarchy = "action_time"
    list_select_related = ["user", "content_type"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def permission_label(permission) -> str:
    """A permission as people read it: the model's name and the action, in the reader's
    language (Django stores the English sentence "Can add …" in the database)."""
    model = permission.content_type.model_class()
    name = capfirst(model._meta.verbose_name) if model else permission.content_type.model
    action = permission.codename.split("_", 1)[0]
    default = {"add": gettext("Add"), "change": gettext("Change"), "delete": gettext("Delete"), "view": gettext("View")}
    if model and permission.codename == f"{action}_{model._meta.model_name}" and action in default:
        return f"{name}：{default[action]}"
    return f"{name}：{gettext(permission.name)}"  # the model's own permissions are declared translated


class PermissionChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return permission_label(obj)


class PermissionLabelsMixin:
    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in ("permissions", "user_permissions"):
            kwargs["form_class"] = PermissionChoiceField
            kwargs["queryset"] = Permission.objects.select_related("content_type")
        return super().formfield_for_manytomany(db_field, request, **kwargs)


admin.site.unregister(Group)
admin.site.unregister(User)


@admin.register(Group)
class GroupAdmin(PermissionLabelsMixin, auth_admin.GroupAdmin):
    pass


@admin.register(User)
class UserAdmin(PermissionLabelsMixin, auth_admin.UserAdmin):
    pass
