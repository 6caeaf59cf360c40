"""Deliveries to external platforms in the work desk: office staff see what was sent, what is
still being tried and what failed, and send a failed one again. Read-only otherwise; scoped to
the requests the user may see."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import platforms
from .models import Delivery, ExternalPlatform, is_office_staff


class PlatformFilter(admin.SimpleListFilter):
    title = _("external platform")
    parameter_name = "platform"

    def lookups(self, request, model_admin):
        return list(ExternalPlatform.objects.values_list("pk", "name"))

    def queryset(self, request, queryset):
        return queryset.filter(platform_id=self.value()) if self.value() else queryset


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "petition_number",
        "platform",
        "type",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    ]
    list_filter = ["status", PlatformFilter, "type"]
    list_select_related = ["petition", "platform"]
    search_fields = ["petition__number", "message_id"]
    ordering = ["-created_at", "-id"]
    date_hierarchy = "created_at"
    actions = ["retry"]
    fields = [
        "petition",
        "platform",
        "type",
        "message_id",
        "status",
        "attempts",
        "manual_retries",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "created_at",
        "delivered_at",
        "payload",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    @admin.display(description=_("request"), ordering="petition__number")
    def petition_number(self, obj):
        return obj.petition.number

    def has_module_permission(self, request):
        return is_office_staff(request.user)

    def has_view_permission(self, request, obj=None):
        return is_office_staff(request.user)

    def has_retry_permission(self, request):
        return is_office_staff(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Send the selected failed deliveries again"), permissions=["retry"])
    def retry(self, request, queryset):
        again = sum(platforms.retry(delivery) for delivery in queryset)
        skipped = queryset.count() - again
        self.message_user(
            request,
            ngettext("%(n)d delivery will be sent again.", "%(n)d deliveries will be sent again.", again)
            % {"n": again},
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(n)d was not retried: only failed or cancelled deliveries are.",
                    "%(n)d were not retried: only failed or cancelled deliveries are.",
                    skipped,
                )
                % {"n": skipped},
                level="warning",
            )
