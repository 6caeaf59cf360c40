from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import ChainSegment, Enterprise, IndustryChain, LiaisonPoint, Organisation


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["name"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    filter_horizontal = ["staff"]


class SegmentInline(admin.TabularInline):
    model = ChainSegment
    extra = 0


@admin.register(IndustryChain)
class IndustryChainAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    inlines = [SegmentInline]


@admin.register(ChainSegment)
class ChainSegmentAdmin(admin.ModelAdmin):
    list_display = ["name", "chain", "order"]
    list_filter = ["chain"]
    search_fields = ["name"]
    list_select_related = ["chain"]


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ["name", "credit_code", "chain", "segment", "chain_role"]
    list_filter = ["chain_role", "chain", "segment"]
    search_fields = ["name", "credit_code"]
    list_select_related = ["chain", "segment"]
    autocomplete_fields = ["chain", "segment"]


@admin.register(LiaisonPoint)
class LiaisonPointAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "organisation", "chain", "opened_on", "active", "compliance"]
    list_filter = ["active", "organisation", "chain"]
    search_fields = ["name", "code", "address"]
    list_select_related = ["organisation", "chain"]
    autocomplete_fields = ["organisation", "host_enterprise", "chain"]
    readonly_fields = ["qr_rotated_at"]
    fieldsets = [
        (
            None,
            {"fields": ["name", "code", "organisation", "host_enterprise", "chain", "address", "opened_on", "active"]},
        ),
        (_("Reception day"), {"fields": ["reception_day", "reception_rule"]}),
        (_("Public texts"), {"fields": ["reception_process", "rules"]}),
        (_("Construction checklist"), {"fields": list(LiaisonPoint.CHECKLIST)}),
        (_("QR code"), {"fields": ["qr_rotated_at"]}),
    ]

    @admin.display(description=_("checklist met"))
    def compliance(self, obj):
        return obj.compliance

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=LiaisonPoint.objects.visible_to(request.user).values("pk"))
