from django.apps import apps
from django.contrib import admin
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from liaison.core.admin_base import ReadOnlyAdminMixin
from points.admin_scope import ScopedAdmin

from .models import ScoreEvent, ScoringRule
from .services import score_rebuild


@admin.register(ScoringRule)
class ScoringRuleAdmin(admin.ModelAdmin):
    # The code is the derivations' key, not for reading: the description names the rule.
    list_display = ["description", "points", "active"]
    list_editable = ["points", "active"]
    exclude = ["code"]
    actions = ["rebuild"]

    def has_add_permission(self, request):
        return False  # rules exist for the derivations the portal knows

    @admin.action(description=_("Rebuild all score events with the current rules"), permissions=["change"])
    def rebuild(self, request, queryset):
        count = score_rebuild()
        self.message_user(request, gettext("%(n)d score events rebuilt.") % {"n": count})


def source_label(source_type: str) -> str:
    """The name people read for a score's source kind (stored as the model's code name)."""
    for model in apps.get_models():
        if model._meta.model_name == source_type:
            return capfirst(model._meta.verbose_name)
    return source_type


class SourceFilter(admin.SimpleListFilter):
    title = _("source")
    parameter_name = "source_type"

    def lookups(self, request, model_admin):
        kinds = model_admin.get_queryset(request).order_by().values_list("source_type", flat=True).distinct()
        return sorted(((kind, source_label(kind)) for kind in kinds), key=lambda pair: str(pair[1]))

    def queryset(self, request, queryset):
        return queryset.filter(source_type=self.value()) if self.value() else queryset


@admin.register(ScoreEvent)
class ScoreEventAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    list_display = ["occurred_on", "person", "rule", "points", "point", "label"]
    list_filter = ["rule", "point", SourceFilter]
    search_fields = ["person__name", "label"]
    date_hierarchy = "occurred_on"
    list_select_related = ["person", "rule", "point"]
    # The source kind is shown by its name, not its code.
    readonly_fields = [("source" if f.name == "source_type" else f.name) for f in ScoreEvent._meta.fields]
    exclude = ["source_type"]

    @admin.display(description=_("source"))
    def source(self, obj):
        return source_label(obj.source_type)
