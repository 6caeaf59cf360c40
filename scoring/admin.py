from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from liaison.core.admin_base import ReadOnlyAdminMixin
from points.admin_scope import ScopedAdmin

from .models import ScoreEvent, ScoringRule
from .services import score_rebuild


@admin.register(ScoringRule)
class ScoringRuleAdmin(admin.ModelAdmin):
    list_display = ["code", "description", "points", "active"]
    list_editable = ["points", "active"]
    readonly_fields = ["code"]
    actions = ["rebuild"]

    def has_add_permission(self, request):
        return False  # rules exist for the derivations the portal knows

    @admin.action(description=_("Rebuild all score events with the current rules"), permissions=["change"])
    def rebuild(self, request, queryset):
        count = score_rebuild()
        self.message_user(request, gettext("%(n)d score events rebuilt.") % {"n": count})


@admin.register(ScoreEvent)
class ScoreEventAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    list_display = ["occurred_on", "person", "rule", "points", "point", "label"]
    list_filter = ["rule", "point", "source_type"]
    search_fields = ["person__name", "label"]
    date_hierarchy = "occurred_on"
    list_select_related = ["person", "rule", "point"]
    readonly_fields = [f.name for f in ScoreEvent._meta.fields]
