from urllib.parse import urlsplit

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from liaison.core.models import Notification
from liaison.core.notifications import deliver, notify

from .admin_scope import ScopedAdmin
from .models import ChainSegment, Enterprise, EnterpriseRelation, GroupRobot, IndustryChain, LiaisonPoint, Organisation
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
    list_display = ["name", "code"]
    search_fields = ["name", "code"]
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


@admin.register(EnterpriseRelation)
class EnterpriseRelationAdmin(ScopedAdmin):
    """Who leads whom on the chain: the office keeps the relations of the enterprises it sees,
    and may link them to any enterprise it may choose."""

    list_display = ["source", "kind", "target", "segment"]
    list_filter = ["kind"]
    search_fields = ["source__name", "target__name"]
    list_select_related = ["source", "target__segment"]
    autocomplete_fields = ["source", "target"]

    @admin.display(description=_("segment"), ordering="target__segment__order")
    def segment(self, obj):
        return obj.target.segment or "—"


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
            obj.get_absolute_url(),
            gettext("page"),
            reverse("points:poster", args=[obj.code]),
            gettext("QR poster"),
            reverse("points:screen", args=[obj.code]),
            gettext("display screen"),
        )

    @admin.action(description=_("Replace the QR code (old posters stop working)"), permissions=["change"])
    def rotate_qr(self, request, queryset):
        # Every printed poster of these points stops working: ask first, as deleting does.
        if request.POST.get("confirm") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "points": queryset,
                "title": gettext("Replace the QR codes?"),
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/points/liaisonpoint/rotate_qr.html", context)
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


class GroupRobotForm(forms.ModelForm):
    """The secret is never shown again once saved; leaving the field empty keeps it."""

    webhook_url = GroupRobot._meta.get_field("webhook_url").formfield(assume_scheme="https")

    class Meta:
        model = GroupRobot
        fields = [
            "name",
            "kind",
            "webhook_url",
            "secret",
            "markdown",
            "active",
            "organisation",
            "point",
            "on_new_request",
            "on_escalation",
            "on_reception_reminder",
        ]
        widgets = {"secret": forms.PasswordInput(render_value=False)}

    def clean_secret(self):
        return self.cleaned_data["secret"] or (self.instance.secret if self.instance.pk else "")


@admin.register(GroupRobot)
class GroupRobotAdmin(ScopedAdmin):
    """Group chat robots: office staff see and set those of their organisations and points."""

    form = GroupRobotForm
    list_display = ["name", "kind", "owner", "address", "events", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "point__name", "organisation__name"]
    list_select_related = ["point", "organisation"]
    actions = ["send_test"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "webhook_url", "secret", "markdown", "active"]}),
        (_("Whose group"), {"fields": ["organisation", "point"]}),
        (_("What it posts"), {"fields": ["on_new_request", "on_escalation", "on_reception_reminder"]}),
    ]

    @admin.display(description=_("point or organisation"))
    def owner(self, obj):
        return obj.point or obj.organisation

    @admin.display(description=_("webhook address"))
    def address(self, obj):
        # The address holds the robot's token or key: show where it goes, not the credential.
        parts = urlsplit(obj.webhook_url)
        return f"{parts.netloc}{parts.path}"

    @admin.display(description=_("posts"))
    def events(self, obj):
        return "、".join(
            str(label) for event, label in GroupRobot.Event.choices if getattr(obj, GroupRobot.EVENT_FIELDS[event])
        )

    @admin.action(description=_("Send a test message"), permissions=["change"])
    def send_test(self, request, queryset):
        now = timezone.now()
        for robot in queryset:
            row = notify(
                key=f"robot-test:{robot.pk}:{now.timestamp()}",
                template="robot_test",
                context={"robot": robot, "events": self.events(robot) or "-"},
                channel=Notification.Channel.ROBOT,
                address=f"#{robot.pk} {robot.name}"[:200],
                now=now,
            )
            # Sent now rather than by the worker, so the answer shows on this page.
            if deliver(row.pk, now=now):
                self.message_user(request, gettext("%(robot)s: sent.") % {"robot": robot.name})
            else:
                # A test is one attempt: the scan must not post it later, once the robot is fixed.
                Notification.objects.filter(pk=row.pk).update(status=Notification.Status.FAILED)
                row.refresh_from_db()
                self.message_user(
                    request,
                    gettext("%(robot)s: not sent (%(error)s).") % {"robot": robot.name, "error": row.last_error},
                    messages.ERROR,
                )
