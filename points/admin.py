from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .admin_scope import ScopedAdmin
from .models import ChainSegment, Enterprise, IndustryChain, LiaisonPoint, Organisation
from .querysets import is_office_staff
from .services import point_rotate_qr


@admin.register(Organisation)
class OrganisationAdmin(ScopedAdmin):
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
class EnterpriseAdmin(ScopedAdmin):
    list_display = ["name", "credit_code", "chain", "segment", "chain_role", "organisation"]
    list_filter = ["chain_role", "chain", "segment"]
    search_fields = ["name", "credit_code"]
    list_select_related = ["chain", "segment", "organisation"]
    autocomplete_fields = ["chain", "segment"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "organisation" in form.base_fields and not request.user.is_superuser:
            form.base_fields["organisation"].required = True  # new records always have an owner
        return form


@admin.register(LiaisonPoint)
class LiaisonPointAdmin(ScopedAdmin):
    list_display = ["name", "code", "organisation", "chain", "opened_on", "active", "compliance", "public_links"]
    list_filter = ["active", "organisation", "chain"]
    search_fields = ["name", "code", "address"]
    list_select_related = ["organisation", "chain"]
    autocomplete_fields = ["organisation", "host_enterprise", "chain"]
    readonly_fields = ["qr_rotated_at"]
    actions = ["rotate_qr"]
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

    @admin.display(description=_("public pages"))
    def public_links(self, obj):
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a> · <a href="{}">{}</a>',
            obj.get_absolute_url(), gettext("page"),
            reverse("points:poster", args=[obj.code]), gettext("QR poster"),
            reverse("points:screen", args=[obj.code]), gettext("display screen"),
        )  # fmt: skip

    @admin.action(description=_("Replace the QR code (old posters stop working)"), permissions=["change"])
    def rotate_qr(self, request, queryset):
        for point in queryset:
            point_rotate_qr(point=point)
            self.log_change(request, point, gettext("Replaced the QR code"))
        self.message_user(
            request, gettext("New QR codes issued for %(n)d points: print their new posters.") % {"n": len(queryset)}
        )

    # What only the office that runs a point may change: a point head keeps the point's public
    # texts, reception rule and checklist, never where it belongs, its address code or whether
    # it is open.
    OFFICE_FIELDS = ("name", "code", "organisation", "host_enterprise", "chain", "opened_on", "active")

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not (request.user.is_superuser or is_office_staff(request.user)):
            readonly += self.OFFICE_FIELDS
        return readonly
