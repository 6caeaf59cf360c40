import re
import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import BigIntegerField, CharField, Exists, Q, Subquery, UUIDField, Value
from django.forms.models import ModelChoiceIterator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from liaison.core import compiled
from liaison.core.apps import EMPTY_CHOICE
from liaison.core.compiled import Bound
from liaison.core.text import CleanTextMixin
from points.models import Enterprise, LiaisonPoint

from . import routing
from .models import Category, Department, Petition, Satisfaction, Urgency
from .uploads import clean_uploads, decoded

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


def normalise_mobile(value: str) -> str:
    phone = re.sub(r"[\s-]", "", value or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("0086"):
        phone = phone[4:]
    if not PHONE_RE.match(phone):
        raise ValidationError(_("Please enter an 11-digit mainland mobile number, e.g. 13800138000."), code="phone")
    return phone


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*,application/pdf"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


def linked_enterprises(point):
    """Enterprises a point serves: its host and those its people look after (包挂). ``point``:
    a point or an expression of its id."""
    return (
        Enterprise.objects.filter(Q(hosted_points=point) | Q(person_links__person__stations__point=point))
        .distinct()
        .order_by("name")
    )


class RequestFieldsMixin(CleanTextMixin, forms.Form):
    """What every request form checks the same way: its texts freed of control characters, the
    mobile number, and the enterprise — picked from the list or typed by name."""

    contact_phone = forms.CharField(
        label=_("mobile number"),
        max_length=20,  # room for spaces and +86 before normalising to 11 digits
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    missing_enterprise_message = _("Please choose your enterprise or type its name.")

    def clean_contact_phone(self):
        return normalise_mobile(self.cleaned_data.get("contact_phone"))

    def clean(self):
        data = super().clean()
        enterprise = data.get("enterprise")
        name = (data.get("enterprise_name") or "").strip()
        if enterprise:
            data["enterprise_name"] = self.instance.enterprise_name = enterprise.name
        elif not name:
            self.add_error("enterprise_name", self.missing_enterprise_message)
        else:
            data["enterprise_name"] = name
        return data


class _ListedWhenShown(ModelChoiceIterator):
    """The choices of ``LinkedEnterpriseField``: its list read only when the form is shown, in
    one query. Django's own reads them with ``iterator()``: on PostgreSQL a server-side cursor,
    three round trips for a list of a few names (0.8 ms of the form page's 8 ms of CPU)."""

    def __init__(self, field):
        self.field = field

    @property
    def queryset(self):
        return self.field.queryset

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for enterprise in self.queryset:
            yield self.choice(enterprise)


class LinkedEnterpriseField(forms.ModelChoiceField):
    """The enterprise list of the public form: ``linked_enterprises(point)``, built only when the
    form is shown (a form that validates never is), and checked by the form's one look-up query
    (``PublicPetitionForm.clean``) instead of a query of its own: this only reads the id."""

    iterator = _ListedWhenShown
    point = None

    @property
    def queryset(self):
        return linked_enterprises(self.point) if self.point is not None else self._queryset

    @queryset.setter
    def queryset(self, queryset):
        forms.ModelChoiceField.queryset.fset(self, queryset)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        # ASCII digits only: int() also reads "٣", "５" and "5_0", which no option's value is.
        pk = int(text) if text.isascii() and text.isdigit() else 0
        if not 0 < pk < 2**63:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return Enterprise(pk=pk)


class PublicPetitionForm(RequestFieldsMixin, forms.ModelForm):
    """A request as an enterprise files it (QR page and public API). Validates only; the service
    ``petition_submit`` does the write. A valid form has read, with one query, what filing it
    needs to know (``prior``): the request already filed with its submission key, if any, and
    whether its number filed at this point before (``petitions.intake``)."""

    attachments = MultipleFileField(
        label=_("Photos or PDF files"),
        required=False,
        help_text=_("Optional. Up to 4 files, 10 MB each: photos (JPEG, PNG…) or PDF."),
    )
    # Declared here, not adjusted in __init__: a min_length set on a built field adds no validator.
    content = forms.CharField(
        label=_("content"), min_length=5, max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )
    # A field people never see; bots fill it in.
    website = forms.CharField(required=False, label=_("Leave this empty"))
    submission_key = forms.UUIDField(widget=forms.HiddenInput)

    class Meta:
        model = Petition
        fields = ["enterprise", "enterprise_name", "contact_name", "contact_phone", "category", "title", "content"]
        field_classes = {"enterprise": LinkedEnterpriseField}
        help_texts = {"enterprise_name": _("If your enterprise is not in the list, type its name.")}

    def __init__(self, *args, point, **kwargs):
        super().__init__(*args, **kwargs)
        self.point = point
        self.instance.point = point
        field = self.fields["enterprise"]
        field.point = point
        field.required = False
        field.empty_label = _("— choose, or type the name below —")
        self.fields["enterprise_name"].required = False
        self.fields["category"].choices = [("", EMPTY_CHOICE), *Category.choices]
        self.fields["title"].widget.attrs["maxlength"] = 100
        self.prior = {"existing": None, "known_number": False}
        if not self.is_bound:
            self.initial["submission_key"] = uuid.uuid4()
        self.fields["website"].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})

    def clean_contact_name(self):
        return self.cleaned_data["contact_name"].strip()

    def clean_attachments(self):
        return clean_uploads(self.cleaned_data.get("attachments") or [])

    def clean(self):
        data = self.cleaned_data
        enterprise, key, phone = data.get("enterprise"), data.get("submission_key"), data.get("contact_phone")
        if enterprise is not None or (key and phone):
            asked = (bool(key), bool(phone), enterprise is not None)
            values = {"point": self.point.pk, "key": key, "phone": phone, "enterprise": enterprise and enterprise.pk}
            (row,) = compiled.select(LiaisonPoint, ("public-form-lookup", *asked), lambda: _lookup(*asked), values)
            self.prior = {"existing": row[0], "known_number": bool(row[1])}
            if enterprise is not None:
                if row[2] is None:
                    self.add_error("enterprise", self.fields["enterprise"].error_messages["invalid_choice"])
                    data.pop("enterprise", None)
                else:
                    enterprise.name = row[2]
        return super().clean()

    def _get_validation_exclusions(self):
        # The enterprise was checked against the point's list above; the model's own check
        # would read it again.
        exclusions = super()._get_validation_exclusions()
        exclusions.add("enterprise")
        return exclusions

    def clean_website(self):
        if self.cleaned_data.get("website"):
            raise ValidationError(_("This submission looks automated and was not accepted."), code="honeypot")
        return ""


def _lookup(key: bool, phone: bool, enterprise: bool):
    """``PublicPetitionForm.clean``'s one query, compiled once per process for what was given:
    the request filed with the submission key, whether the number filed at the point before,
    and the chosen enterprise's name if the point serves it."""
    none = Value(None, output_field=CharField())
    point, pk = Bound("point", BigIntegerField()), Bound("enterprise", BigIntegerField())
    filed = Petition.objects.filter(submission_key=Bound("key", UUIDField())).order_by().values("pk")[:1]
    return LiaisonPoint.objects.filter(pk=point).values_list(
        Subquery(filed) if key else none,
        Exists(Petition.objects.filter(point=point, contact_phone=Bound("phone", CharField()))) if phone else none,
        Subquery(linked_enterprises(point).filter(pk=pk).order_by().values("name")[:1]) if enterprise else none,
    )


class StepForm(CleanTextMixin, forms.Form):
    """The input of one workflow step (``workflow.Step.form``) for one request: its cleaned
    data are the step's service arguments."""

    # The fields a link may fill in (``?name=value`` on the step's page, still to be confirmed):
    # only those the portal's own links fill, never a text sent to the enterprise, shown on the
    # display screen or given to a department, which a link from outside could pre-write.
    prefill: tuple[str, ...] = ()

    def __init__(self, *args, petition, **kwargs):
        super().__init__(*args, **kwargs)
        self.petition = petition


class AddInfoForm(StepForm):
    text = forms.CharField(label=_("Information to add"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    attachments = MultipleFileField(label=_("Photos or PDF files"), required=False)

    def clean_attachments(self):
        return clean_uploads(self.cleaned_data.get("attachments") or [])


class RateForm(StepForm):
    satisfaction = forms.ChoiceField(
        label=_("How satisfied are you?"), choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


# Small forms behind the work desk's step buttons.
class ReasonForm(StepForm):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class ResultForm(StepForm):
    """A result, with the reply letters (答复函) addressed to the enterprise: checked and
    re-encoded here, when the form validates, so a refused file is a form error."""

    result = forms.CharField(label=_("Result"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    letters = MultipleFileField(
        label=_("Reply letter"),
        required=False,
        help_text=_(
            "Optional. The signed reply letter as PDF or photos, up to 4 files of 10 MB; the "
            "enterprise sees it on its tracking page."
        ),
    )

    def clean_letters(self):
        return decoded(clean_uploads(self.cleaned_data.get("letters") or []))


class PublicSummaryMixin(forms.Form):
    """Staff decide what of a resolved request may appear on public screens: never the
    enterprise's own words, which may carry names and numbers."""

    public_summary = forms.CharField(
        label=_("Summary for the display screen"),
        required=False,
        max_length=100,
        help_text=_(
            "Optional. One line the point's display screen may show, without names or numbers, "
            "e.g. “某企业用电增容问题已协调解决”. Left empty, the request is not shown there."
        ),
    )


class ResolveForm(PublicSummaryMixin, ResultForm):
    pass


class TextForm(StepForm):
    text = forms.CharField(label=_("Text"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class ConfirmForm(PublicSummaryMixin, TextForm):
    pass


class NoteForm(StepForm):
    text = forms.CharField(label=_("Note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class SuggestedDepartmentField(forms.ModelChoiceField):
    """Departments in the order of ``routing.suggestions``, the first few marked as suggested."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.suggested: dict[int, int] = {}  # department id → similar requests it answered

    def suggest(self, departments, petition) -> None:
        self.queryset, self.suggested = routing.rank(departments, petition)

    def label_from_instance(self, obj):
        handled = self.suggested.get(obj.pk)
        if handled is None:
            return obj.name
        return gettext("Suggested: %(department)s (answered %(count)d similar requests)") % {
            "department": obj.name,
            "count": handled,
        }


class DispatchForm(StepForm):
    department = SuggestedDepartmentField(
        label=_("Department"),
        queryset=Department.objects.none(),
        help_text=_(
            "Suggested first: the departments that answered the most requests of this category at this "
            "organisation's points, recent ones counting more."
        ),
    )
    due = forms.DateField(
        label=_("Reply due"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty for the limit of the request's category and urgency."),
    )
    instructions = forms.CharField(
        label=_("Dispatch instructions"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional. What the department should do or watch for; the enterprise does not see it."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the departments that serve this point's organisation, suggested ones first.
        self.fields["department"].suggest(Department.objects.serving(self.petition.point), self.petition)


class MergeForm(StepForm):
    prefill = ("into",)  # the duplicates panel's merge buttons
    into = forms.CharField(label=_("Tracking number of the request to merge into"), max_length=40)

    def clean_into(self):
        number = self.cleaned_data["into"].strip().upper()
        target = Petition.objects.filter(number=number, point_id=self.petition.point_id).first()
        if target is None:
            raise ValidationError(_("No request of this point has that tracking number."))
        return target


class UrgencyForm(StepForm):
    urgency = forms.ChoiceField(
        label=_("Urgency"),
        choices=Urgency.choices,
        widget=forms.RadioSelect,
        help_text=_("Urgent and critical requests have deadlines in hours; see the deadline rules."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["urgency"].initial = self.petition.urgency


class AcceptForm(UrgencyForm):
    """Accepting sets the urgency too; left out (one click, the API's empty body), it stays
    as it is: normal unless set before."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["urgency"].required = False

    def clean_urgency(self):
        return self.cleaned_data.get("urgency") or None
