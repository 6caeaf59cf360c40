"""Triage in the admin: deputies, point heads, office staff and department handlers work here.

Every change of a request goes through ``services``; the admin only offers the transitions
``workflow.allowed_actions`` says apply to this user and this request.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import SEARCH_VAR
from django.core.exceptions import PermissionDenied
from django.db.models import F, URLField
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from deputies.models import ReceptionDay
from liaison.core.admin_base import ReadOnlyAdminMixin
from liaison.core.admin_steps import step_buttons
from liaison.core.paging import CappedPaginator
from points.admin_scope import ScopedAdmin
from points.models import LiaisonPoint

from . import desk, services, similar
from .access import access_petition
from .actions import STEPS
from .deadlines import deadline_text
from .escalation import LEVEL_LABELS
from .forms import RequestFieldsMixin, linked_enterprises
from .models import (
    OPEN_STATUSES,
    Attachment,
    Channel,
    DeadlineRule,
    Department,
    ExternalPlatform,
    Petition,
    PetitionEvent,
    Urgency,
)
from .querysets import urgency_rank
from .uploads import attachment_response
from .workflow import TABLE


@admin.register(Department)
class DepartmentAdmin(ScopedAdmin):
    """Everyone sees the departments they work with; only the office that keeps a department
    changes it (its name, handler accounts, platform)."""

    list_display = ["name", "organisation", "phone", "platform", "active"]
    list_filter = ["active", "organisation", "platform"]
    search_fields = ["name"]
    list_select_related = ["organisation", "platform"]
    filter_horizontal = ["handlers"]

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if obj is None or not allowed:
            return allowed
        return Department.objects.managed_by(request.user).filter(pk=obj.pk).exists()

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "organisation" in form.base_fields and not request.user.is_superuser:
            form.base_fields["organisation"].required = True  # a department belongs to an office
        return form


class OverdueFilter(admin.SimpleListFilter):
    title = _("deadline")
    parameter_name = "deadline"

    def lookups(self, request, model_admin):
        return [("overdue", _("overdue")), ("today", _("due today"))]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.overdue()
        if self.value() == "today":
            return queryset.due_today()
        return queryset


class WaitingFilter(admin.SimpleListFilter):
    """我的待办: the same conditions as the counts on the work desk's home page."""

    title = _("waiting")
    parameter_name = "waiting"

    def lookups(self, request, model_admin):
        rights = desk.rights_of(request.user)
        return [(w.key, w.label) for w in desk.WAITING if w.rights & rights]

    def queryset(self, request, queryset):
        if self.value() in desk.LABELS:
            return queryset.filter(desk.condition(self.value(), timezone.now()))
        return queryset


class PointFilter(admin.SimpleListFilter):
    """The points the user works for — not every point of the installation."""

    title = _("point")
    parameter_name = "point"

    def lookups(self, request, model_admin):
        return list(LiaisonPoint.objects.visible_to(request.user).values_list("pk", "name")[:200])

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        # Anything but a number is no point at all: an empty list, not an error page.
        return queryset.filter(point_id=int(value)) if value.isdigit() and len(value) < 19 else queryset.none()


class EscalationLevelFilter(admin.SimpleListFilter):
    """The escalation levels, from the table of levels: listing the levels present would read
    every request in scope (half a second for a city's office)."""

    title = _("escalation level")
    parameter_name = "escalation_level__exact"  # the work desk's links use the field filter's name

    def lookups(self, request, model_admin):
        return [("0", _("not escalated"))] + [
            (str(level), f"{level} · {gettext(label)}") for level, label in LEVEL_LABELS.items()
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        return (
            queryset.filter(escalation_level=int(value)) if value in {"0", *map(str, LEVEL_LABELS)} else queryset.none()
        )


class UnassignedFilter(admin.SimpleListFilter):
    title = _("handling deputy")
    parameter_name = "deputy"

    def lookups(self, request, model_admin):
        return [("none", _("nobody yet")), ("me", _("me"))]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(deputy__isnull=True)
        if self.value() == "me":
            return queryset.filter(deputy__user=request.user)
        return queryset


class EventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PetitionEvent
    fields = ["created_at", "action", "from_status", "to_status", "shown_actor", "shown_text", "public"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    @admin.display(description=_("by"))
    def shown_actor(self, obj):
        return obj.shown_actor

    @admin.display(description=_("text"))
    def shown_text(self, obj):
        return obj.shown_text


class StaffPetitionAddForm(RequestFieldsMixin, forms.ModelForm):
    """Staff file a request on an enterprise's behalf; ``petition_submit`` does the write."""

    channel = forms.ChoiceField(label=_("channel"), choices=[c for c in Channel.choices if c[0] != Channel.QR])
    missing_enterprise_message = _("Please choose the enterprise or type its name.")

    class Meta:
        model = Petition
        fields = [
            "point",
            "channel",
            "reception_day",
            "enterprise",
            "enterprise_name",
            "contact_name",
            "contact_phone",
            "category",
            "title",
            "content",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise_name"].required = False

    def clean(self):
        data = super().clean()
        enterprise, point = data.get("enterprise"), data.get("point")
        if enterprise and point and not linked_enterprises(point).filter(pk=enterprise.pk).exists():
            self.add_error("enterprise", gettext("This enterprise is not linked to the chosen point."))
        day = data.get("reception_day")
        if day and point and day.point_id != point.pk:
            self.add_error("reception_day", gettext("This reception day belongs to another point."))
        if day and data.get("channel") != Channel.RECEPTION:
            self.add_error("reception_day", gettext("Only requests taken at a reception day belong to one."))
        return data


@admin.register(Petition)
class PetitionAdmin(ScopedAdmin):
    list_display = [
        "number",
        "urgency_badge",
        "title",
        "point",
        "category",
        "status_badge",
        "age",
        "due",
        "level",
        "department",
        "phone",
    ]
    list_filter = [
        WaitingFilter,
        "status",
        OverdueFilter,
        "urgency",
        UnassignedFilter,
        EscalationLevelFilter,
        "category",
        "channel",
        PointFilter,
        "department",
    ]
    search_fields = ["number", "title", "enterprise_name", "content"]  # read by get_search_results
    search_help_text = _(
        "Tracking number, title, enterprise name or content. One or two characters search the newest "
        "2,000 requests only; counts stop at 1,000."
    )
    list_select_related = ["point", "department"]
    list_per_page = 50
    # At a million rows the "show all" count and the date drill-down cost more than they give.
    show_full_result_count = False
    inlines = [EventInline]
    actions = ["accept_selected"]
    change_form_template = "admin/petitions/petition/change_form.html"
    readonly_fields = [
        "number",
        "point",
        "channel",
        "enterprise",
        "enterprise_name",
        "contact_name",
        "category",
        "title",
        "content",
        "status",
        "urgency",
        "deputy",
        "department",
        "dispatch_instructions",
        "reception_day",
        "merged_into",
        "submitted_at",
        "accepted_at",
        "dispatched_at",
        "reply_due_at",
        "due_at",
        "resolved_at",
        "closed_at",
        "resolution",
        "satisfaction",
        "reopen_count",
        "escalation_level",
    ]

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        # A search's count stops at paging.CAP: counting every match of a broad word is what
        # made a province office's search slow, not finding the first page.
        paginator = CappedPaginator if request.GET.get(SEARCH_VAR, "").strip() else self.paginator
        return paginator(queryset, per_page, orphans, allow_empty_first_page)

    def get_search_results(self, request, queryset, search_term):
        # Each word must appear in the number, title, enterprise name or content: one
        # ``search`` per word, on PostgreSQL served by the trigram index (querysets.search).
        for word in search_term.split():
            queryset = queryset.search(word)
        return queryset, False

    def get_ordering(self, request):
        """Work lists (what is waiting, overdue or due today, an open status) put the most
        urgent first, then the nearest deadline. The whole archive stays newest first: sorting
        a district's ~20,000 requests by urgency costs ~350 ms at the bench's million rows,
        against ~10 ms walking the submission index (docs/performance.md)."""
        params = request.GET
        if params.get("waiting") or params.get("deadline") or params.get("status__exact") in OPEN_STATUSES:
            return [urgency_rank().asc(), F("due_at").asc(nulls_last=True), "-submitted_at"]
        return super().get_ordering(request)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = StaffPetitionAddForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else []

    def get_fields(self, request, obj=None):
        return self.readonly_fields if obj else list(StaffPetitionAddForm.Meta.fields)

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Requests are filed at open points only (the rest of the choices follow scope).
        if db_field.name == "point":
            kwargs["queryset"] = LiaisonPoint.objects.visible_to(request.user).filter(active=True)
        if db_field.name == "reception_day":
            kwargs["queryset"] = ReceptionDay.objects.visible_to(request.user).select_related("point")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        # Nothing is edited in place; changes are transitions. Viewing is enough for the page.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        created, _ = services.petition_submit(petition=obj, actor=request.user)
        obj.pk = created.pk

    # Columns
    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj):
        return format_html('<span class="status status-{}">{}</span>', obj.status, obj.get_status_display())

    @admin.display(description=_("age (days)"), ordering="submitted_at")
    def age(self, obj):
        return (timezone.now() - obj.submitted_at).days

    @admin.display(description=_("urgency"), ordering=urgency_rank())
    def urgency_badge(self, obj):
        if obj.urgency == Urgency.NORMAL:
            return obj.get_urgency_display()
        return format_html('<strong class="urgency urgency-{}">{}</strong>', obj.urgency, obj.get_urgency_display())

    @admin.display(description=_("due"), ordering=F("due_at").asc(nulls_last=True))
    def due(self, obj):
        # The label shows only where the list's header does not (rows as cards on a phone).
        label = format_html('<span class="cell-label">{}</span>', gettext("due"))
        if not obj.due_at:
            return format_html("{}—", label)
        shown = deadline_text(obj.due_at)
        if obj.is_open and obj.due_at < timezone.now():
            return format_html('{}<strong class="overdue">{} {}</strong>', label, shown, gettext("overdue"))
        return format_html("{}{}", label, shown)

    @admin.display(description=_("escalation"), ordering="escalation_level")
    def level(self, obj):
        return obj.escalation_level or "—"

    @admin.display(description=_("mobile number"))
    def phone(self, obj):
        return obj.masked_phone

    # Views
    def get_urls(self):
        return [
            path(
                "<int:pk>/do/<str:action>/",
                self.admin_site.admin_view(self.transition_view),
                name="petitions_petition_transition",
            ),
            path("attachment/<int:pk>/", self.admin_site.admin_view(self.attachment_view), name="petitions_attachment"),
            *super().get_urls(),
        ]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = extra_context or {}
        if object_id:
            petition = access_petition(request.user, object_id)
            can_see = request.user.has_perm("petitions.view_contact_phone")
            extra_context["contact_phone"] = petition.contact_phone if can_see else petition.masked_phone
            extra_context["transitions"] = step_buttons(TABLE, petition, request.user)
            extra_context["attachments"] = petition.attachments.all()
            extra_context.update(similar.duplicates_panel(petition, request.user))
            extra_context["summary"] = self.summary(petition)
        return super().changeform_view(request, object_id, form_url, extra_context)

    @staticmethod
    def summary(petition) -> dict:
        """What the decision at the top of the request's page rests on."""
        now, due = timezone.now(), petition.due_at
        now_day = timezone.localdate(now)
        return {
            "age": (now - petition.submitted_at).days,
            "due_text": deadline_text(due) if due else "",
            "overdue": bool(petition.is_open and due and due < now),
            "due_today": bool(petition.is_open and due and due >= now and timezone.localdate(due) == now_day),
        }

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return super().get_fieldsets(request, obj)
        # The decision comes first (the summary and the steps); the whole record below it.
        return [(_("Full record"), {"fields": self.readonly_fields})]

    def transition_view(self, request, pk, action):
        petition = access_petition(request.user, pk)
        step = STEPS.get(action)
        if step is None:
            raise PermissionDenied
        back = reverse("admin:petitions_petition_change", args=[petition.pk])
        try:
            # Not now, or not this user (a stale page, a second tab): said on the request's page,
            # before any form is shown or checked.
            services.check_step(petition, step.name, request.user)
        except services.TransitionRefused as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return redirect(back)
        # A POST is always bound, even empty: a step whose fields are all optional (accepting
        # at the urgency it has) is then taken by its one-click button.
        posted = request.method == "POST"
        form = step.bind(petition, request.POST if posted else None, request.FILES if posted else None)
        if form is not None and not posted:
            # A link may fill the form in (the duplicates panel's merge buttons); the step is
            # still taken only when the actor confirms it here.
            form.initial = {name: request.GET[name] for name in form.prefill if name in request.GET}
        if request.method == "POST" and (form is None or form.is_valid()):
            try:
                step.perform(petition, request.user, form.cleaned_data if form else {})
            except services.TransitionRefused as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, gettext("%(action)s: done.") % {"action": step.label})
            # Back to the request if the actor may still see it (a handler who returned it may
            # not): else to the list, where the message is shown, never to a "not found" page.
            if Petition.objects.visible_to(request.user).filter(pk=petition.pk).exists():
                return redirect(back)
            return redirect(reverse("admin:petitions_petition_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "petition": petition,
            "form": form,
            "title": f"{step.label} · {petition.number}",
            "action_label": step.label,
            "warning": TABLE.warning(step.name),
        }
        return TemplateResponse(
            request, "admin/petitions/petition/transition.html", context, status=400 if form and form.errors else 200
        )

    def attachment_view(self, request, pk):
        attachment = get_object_or_404(Attachment, pk=pk)
        access_petition(request.user, attachment.petition_id)
        return attachment_response(attachment)

    @admin.action(description=_("Accept the selected requests"))
    def accept_selected(self, request, queryset):
        done, refused = 0, []
        for petition in queryset:
            try:
                services.petition_accept(petition=petition, actor=request.user)
                done += 1
            except services.TransitionRefused:
                refused.append(petition.number)
        if done:
            self.message_user(request, gettext("Accepted %(done)d requests.") % {"done": done})
        if refused:
            self.message_user(
                request,
                gettext("Not accepted (no longer waiting for acceptance, or not yours to accept): %(numbers)s")
                % {"numbers": "、".join(refused)},
                messages.WARNING,
            )


@admin.register(DeadlineRule)
class DeadlineRuleAdmin(admin.ModelAdmin):
    """办理时限: shared reference data. The reference keepers (基础数据管理员) change it (the
    roles table gives only them the rights); everyone who triages may read it."""

    list_display = ["category_label", "urgency", "stage", "amount", "unit"]
    list_display_links = ["category_label"]
    list_filter = ["urgency", "stage", "unit", "category"]

    @admin.display(description=_("category"), ordering="category")
    def category_label(self, obj):
        return obj.get_category_display() if obj.category else gettext("any category")


@admin.register(ExternalPlatform)
class ExternalPlatformAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "webhook_url", "active"]
    # An address typed without its scheme is an https one, as for the group robots.
    formfield_overrides = {URLField: {"assume_scheme": "https"}}
    list_filter = ["active"]
    search_fields = ["name", "slug"]


from . import admin_deliveries  # noqa: E402, F401 — registers the deliveries admin
