import uuid

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.http import FileResponse, Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from liaison.core.admin_steps import StepsAdminMixin
from liaison.core.images import reencode_image
from liaison.core.steps import StepRefused
from liaison.core.text import CleanTextModelForm
from points.admin_scope import ScopedAdmin, ScopedInline
from points.models import LiaisonPoint

from .models import Activity, DutyAssignment, EnterpriseLink, Person, Photo, ReceptionDay, Station, Suggestion, Visit
from .selectors import my_enterprises, visit_coverage
from .services import ACTIVITY, RECEPTION, SUGGESTION, reception_day_sign_in, visit_check, visit_record


class StationInline(ScopedInline, admin.TabularInline):
    model = Station
    extra = 0
    autocomplete_fields = ["point"]


class EnterpriseLinkInline(ScopedInline, admin.TabularInline):
    model = EnterpriseLink
    extra = 0
    autocomplete_fields = ["enterprise"]


class PersonForm(CleanTextModelForm):
    class Meta:
        model = Person
        fields = [
            "name",
            "kind",
            "level",
            "employer",
            "title",
            "phone",
            "phone_public",
            "photo",
            "user",
            "organisation",
            "active",
        ]

    def clean_photo(self):
        """Photos appear on public pages: written again so no EXIF (GPS included) is published."""
        photo = self.cleaned_data.get("photo")
        if photo and hasattr(photo, "content_type"):  # a new upload, not the stored file
            data = reencode_image(photo.read(), photo.name, max_side=800)
            return ContentFile(data, name=f"{uuid.uuid4().hex}.jpg")
        return photo


@admin.register(Person)
class PersonAdmin(ScopedAdmin):
    form = PersonForm
    list_display = ["name", "kind", "level", "employer", "title", "active"]
    list_filter = ["kind", "level", "active", "stations__point"]
    search_fields = ["name", "employer"]
    inlines = [StationInline, EnterpriseLinkInline]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "organisation" in form.base_fields and not request.user.is_superuser:
            form.base_fields["organisation"].required = True  # someone placed nowhere still has an owner
        return form


@admin.register(Station)
class StationAdmin(ScopedAdmin):
    list_display = ["person", "point", "role", "since", "until"]
    list_filter = ["role", "point"]
    search_fields = ["person__name", "point__name"]
    list_select_related = ["person", "point"]
    autocomplete_fields = ["person", "point"]


class PhotoInline(ScopedInline, admin.TabularInline):
    """Photos are added through the steps (checked and re-encoded); here they are shown."""

    model = Photo
    extra = 0
    fields = ["thumbnail", "caption", "taken_on"]
    readonly_fields = ["thumbnail", "taken_on"]

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("photo"))
    def thumbnail(self, obj):
        return format_html('<img src="{}" alt="" style="max-height:6rem">', obj.image.url) if obj.image else "—"


@admin.register(Activity)
class ActivityAdmin(StepsAdminMixin, ScopedAdmin):
    step_table = ACTIVITY
    list_display = ["title", "kind", "point", "date", "status"]
    list_filter = ["status", "kind", "point"]
    search_fields = ["title", "summary", "findings"]
    date_hierarchy = "date"
    list_select_related = ["point"]
    filter_horizontal = ["participants"]
    fields = [
        "point",
        "kind",
        "title",
        "date",
        "participants",
        "summary",
        "status",
        "attendees_list",
        "enterprises_list",
        "findings",
        "cancel_reason",
    ]
    record = ["status", "attendees_list", "enterprises_list", "findings", "cancel_reason"]
    inlines = [PhotoInline]

    def get_readonly_fields(self, request, obj=None):
        # The plan is edited while planned; what happened only through the steps.
        if obj is not None and obj.status != Activity.Status.PLANNED:
            return [*self.record, "point", "kind", "title", "date", "participants", "summary"]
        return self.record

    @admin.display(description=_("participants who attended"))
    def attendees_list(self, obj):
        return "、".join(p.name for p in obj.attendees.all()) or "—"

    @admin.display(description=_("enterprises visited"))
    def enterprises_list(self, obj):
        return "、".join(e.name for e in obj.enterprises.all()) or "—"


@admin.register(Suggestion)
class SuggestionAdmin(StepsAdminMixin, ScopedAdmin):
    step_table = SUGGESTION
    list_display = ["title", "point", "status", "addressed_unit", "filed_on", "handling_unit", "answered_on", "rating"]
    list_filter = ["status", "rating", "point"]
    search_fields = ["title", "content", "addressed_unit", "handling_unit"]
    date_hierarchy = "filed_on"
    list_select_related = ["point"]
    filter_horizontal = ["authors"]
    # The draft is edited here; everything after it only through the steps (buttons below).
    lifecycle = [
        "status",
        "addressed_unit",
        "filed_on",
        "handling_unit",
        "assigned_on",
        "answered_on",
        "response",
        "letter",
        "rating",
        "rated_on",
        "closed_on",
    ]
    fields = ["point", "title", "authors", "content", *lifecycle]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != Suggestion.Status.DRAFTED:
            return [*self.lifecycle, "point", "title", "authors", "content"]
        return self.lifecycle

    @admin.display(description=_("answer letter"))
    def letter(self, obj):
        if not obj.answer_letter:
            return "—"
        url = reverse("admin:deputies_suggestion_letter", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Download"))

    def get_urls(self):
        return [
            path("<int:pk>/letter/", self.admin_site.admin_view(self.letter_view), name="deputies_suggestion_letter"),
            *super().get_urls(),
        ]

    def letter_view(self, request, pk):
        """The 答复函 as it was checked: a PDF always downloaded, a re-encoded photo as an image."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        suggestion = self.get_queryset(request).filter(pk=pk).first()
        if suggestion is None or not suggestion.answer_letter:
            raise Http404
        is_pdf = suggestion.answer_letter.name.endswith(".pdf")
        try:
            handle = suggestion.answer_letter.open("rb")
        except FileNotFoundError:
            raise Http404(gettext("This file is no longer available.")) from None
        response = FileResponse(
            handle,
            content_type="application/pdf" if is_pdf else "image/jpeg",
            as_attachment=is_pdf,
            filename=f"答复函-{suggestion.pk}.{'pdf' if is_pdf else 'jpg'}",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response


class DutyInline(ScopedInline, admin.TabularInline):
    model = DutyAssignment
    extra = 0
    autocomplete_fields = ["person"]
    fields = ["person", "attended", "signed_in_at"]
    # Attendance is what people signed in to on the day (the scores count it): not typed in later.
    readonly_fields = ["attended", "signed_in_at"]


@admin.register(ReceptionDay)
class ReceptionDayAdmin(StepsAdminMixin, ScopedAdmin):
    step_table = RECEPTION
    list_display = ["date", "point", "status", "roster_names", "attendance", "record_filled_at"]
    list_filter = ["status", "point"]
    date_hierarchy = "date"
    list_select_related = ["point"]
    search_fields = ["point__name", "summary", "visitors"]
    fields = [
        "point",
        "month",
        "date",
        "status",
        "visitors",
        "summary",
        "enterprises",
        "cancel_reason",
        "record_filled_at",
    ]
    # The state and the record change only through the steps (buttons below the form).
    readonly_fields = ["status", "visitors", "summary", "enterprises", "cancel_reason", "record_filled_at"]
    inlines = [DutyInline, PhotoInline]
    actions = ["sign_in_me"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("assignments__person")

    @admin.display(description=_("duty roster"))
    def roster_names(self, obj):
        return "、".join(a.person.name for a in obj.assignments.all())

    @admin.display(description=_("attended"))
    def attendance(self, obj):
        assignments = obj.assignments.all()
        return f"{sum(1 for a in assignments if a.attended)}/{len(assignments)}"

    def get_urls(self):
        return [
            path("<int:pk>/print/", self.admin_site.admin_view(self.print_view), name="deputies_receptionday_print"),
            *super().get_urls(),
        ]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if object_id:
            extra_context = {**(extra_context or {}), "print_url": f"../../{object_id}/print/"}
        return super().changeform_view(request, object_id, form_url, extra_context)

    def print_view(self, request, pk):
        """The A4 sheet of a day: roster and sign-in sheet (签到表) before it, the reception
        record (接待记录) once held."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        day = self.get_queryset(request).filter(pk=pk).select_related("point").first()
        if day is None:
            raise Http404
        held = day.status == ReceptionDay.Status.HELD
        context = {
            "day": day,
            "title": (gettext("Reception record") if held else gettext("Sign-in sheet")) + f" · {day.point.name}",
            "assignments": day.assignments.select_related("person").order_by("person__name"),
            "enterprises": day.enterprises.order_by("name"),
            "requests": day.petitions.order_by("number"),
            "photos": day.photos.count(),
            "blank_rows": range(1, 16),
        }
        return TemplateResponse(request, "deputies/reception_sheet.html", context)

    @admin.action(description=_("Sign me in for the selected reception days"))
    def sign_in_me(self, request, queryset):
        signed = 0
        for day in queryset.filter(assignments__person__user=request.user):
            try:
                reception_day_sign_in(day=day, actor=request.user)
            except StepRefused as exc:
                self.message_user(request, f"{day}: {exc.message}", messages.ERROR)
            else:
                signed += 1
        self.message_user(request, gettext("Signed in for %(n)d reception days.") % {"n": signed})


class VisitForm(CleanTextModelForm):
    class Meta:
        model = Visit
        fields = ["person", "enterprise", "date", "raised"]

    def clean(self):
        data = super().clean()
        if all(data.get(f) for f in ("person", "enterprise", "date")):
            try:
                visit_check(
                    person=data["person"], enterprise=data["enterprise"], date=data["date"], actor=self.request.user
                )
            except StepRefused as exc:
                raise ValidationError(exc.message) from None
        return data


@admin.register(Visit)
class VisitAdmin(ScopedAdmin):
    """走访记录, with each point's coverage this quarter above the list and "my enterprises"."""

    form = VisitForm
    list_display = ["date", "person", "enterprise", "point", "raised"]
    list_filter = ["point", "person__kind"]
    search_fields = ["enterprise__name", "person__name", "raised"]
    date_hierarchy = "date"
    list_select_related = ["person", "enterprise", "point"]
    autocomplete_fields = ["enterprise"]
    change_list_template = "admin/deputies/visit/change_list.html"

    def has_change_permission(self, request, obj=None):
        return False  # a visit is recorded once; a wrong one is deleted by the office

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.request = request
        person = getattr(request.user, "person", None)
        if person is not None and "person" in form.base_fields:
            form.base_fields["person"].initial = person.pk
        return form

    def save_model(self, request, obj, form, change):
        visit = visit_record(
            person=obj.person, enterprise=obj.enterprise, date=obj.date, raised=obj.raised, actor=request.user
        )
        obj.pk, obj.point_id, obj.recorded_at = visit.pk, visit.point_id, visit.recorded_at

    def get_urls(self):
        return [
            path("mine/", self.admin_site.admin_view(self.mine_view), name="deputies_visit_mine"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        points = list(LiaisonPoint.objects.visible_to(request.user).order_by("name"))
        extra_context = {**(extra_context or {}), "coverage": visit_coverage(points)}
        return super().changelist_view(request, extra_context)

    def mine_view(self, request):
        """包挂: my enterprises, the last visit to each and this quarter's visits."""
        person = getattr(request.user, "person", None)
        if person is None:
            raise Http404
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("My enterprises"),
            "person": person,
            "rows": my_enterprises(person),
        }
        return TemplateResponse(request, "deputies/my_enterprises.html", context)
