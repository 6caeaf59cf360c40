import uuid

from django.contrib import admin, messages
from django.core.files.base import ContentFile
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from liaison.core.admin_steps import StepsAdminMixin
from liaison.core.images import reencode_image
from liaison.core.steps import StepRefused
from liaison.core.text import CleanTextModelForm
from points.admin_scope import ScopedAdmin, ScopedInline

from .models import Activity, DutyAssignment, EnterpriseLink, Person, ReceptionDay, Station, Suggestion
from .services import RECEPTION, reception_day_sign_in


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
            "name", "kind", "level", "employer", "title", "phone", "phone_public", "photo", "user", "organisation",
            "active",
        ]  # fmt: skip

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


@admin.register(Activity)
class ActivityAdmin(ScopedAdmin):
    list_display = ["title", "kind", "point", "date"]
    list_filter = ["kind", "point"]
    search_fields = ["title", "summary"]
    date_hierarchy = "date"
    list_select_related = ["point"]
    filter_horizontal = ["participants"]


@admin.register(Suggestion)
class SuggestionAdmin(ScopedAdmin):
    list_display = ["title", "point", "addressed_unit", "filed_on", "status"]
    list_filter = ["status", "point"]
    search_fields = ["title", "content", "addressed_unit"]
    date_hierarchy = "filed_on"
    list_select_related = ["point"]
    filter_horizontal = ["authors"]


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
        "point", "month", "date", "status", "visitors", "summary", "enterprises", "cancel_reason", "record_filled_at",
    ]  # fmt: skip
    # The state and the record change only through the steps (buttons below the form).
    readonly_fields = ["status", "visitors", "summary", "cancel_reason", "record_filled_at"]
    autocomplete_fields = ["enterprises"]
    inlines = [DutyInline]
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
