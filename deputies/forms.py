"""Inputs of deputies' workflow steps: each form's cleaned data are its service's arguments."""

import uuid

from django import forms
from django.core.files.base import ContentFile
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from liaison.core.images import reencode_image
from liaison.core.pdfs import check_pdf
from liaison.core.text import CleanTextMixin
from points.models import Enterprise

from .models import Person, Station, Suggestion

MAX_PHOTOS = 12
MAX_PHOTO_BYTES = 10 * 2**20


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos at once; each one checked and written again as JPEG without metadata."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("photos"))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [d for d in (data if isinstance(data, list | tuple) else [data]) if d]
        if len(files) > MAX_PHOTOS:
            raise forms.ValidationError(_("At most %(n)d photos at a time."), params={"n": MAX_PHOTOS})
        photos = []
        for upload in files:
            upload = super().clean(upload, initial)
            if upload.size > MAX_PHOTO_BYTES:
                raise forms.ValidationError(
                    _("“%(name)s” is larger than %(mb)d MB."), params={"name": upload.name, "mb": 10}
                )
            photos.append(ContentFile(reencode_image(upload.read(), upload.name), name=f"{uuid.uuid4().hex}.jpg"))
        return photos


def linked_enterprises(point):
    """Enterprises a point serves: its host and those its people look after (包挂)."""
    return (
        Enterprise.objects.filter(Q(hosted_points=point) | Q(person_links__person__stations__point=point))
        .distinct()
        .order_by("name")
    )


def point_people(point):
    """People stationed at ``point`` (now or before)."""
    return Person.objects.filter(pk__in=Station.objects.filter(point=point).values("person_id")).order_by("name")


class StepForm(CleanTextMixin, forms.Form):
    """The input of one step for one object, given under the step's subject keyword."""

    def __init__(self, data=None, files=None, **subject):
        super().__init__(data, files)
        (self.subject,) = subject.values()


class ReasonForm(StepForm):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class RecordForm(StepForm):
    """接待记录: who came and what they raised (the minutes)."""

    visitors = forms.CharField(
        label=_("who came"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    summary = forms.CharField(label=_("what was raised"), max_length=10000, widget=forms.Textarea(attrs={"rows": 5}))
    enterprises = forms.ModelMultipleChoiceField(
        label=_("enterprises received"), queryset=Enterprise.objects.none(), required=False
    )
    photos = PhotosField()

    def __init__(self, *args, **subject):
        super().__init__(*args, **subject)
        self.fields["enterprises"].queryset = linked_enterprises(self.subject.point_id)
        if not self.is_bound:
            self.initial = {
                "visitors": self.subject.visitors,
                "summary": self.subject.summary,
                "enterprises": list(self.subject.enterprises.values_list("pk", flat=True)),
            }


def clean_document(upload, *, max_bytes: int):
    """A letter or photo as we keep it: a PDF without active content as sent, a picture written
    again as JPEG without its metadata. Raises ValidationError with a Chinese message."""
    if upload.size > max_bytes:
        raise forms.ValidationError(
            _("“%(name)s” is larger than %(mb)d MB."), params={"name": upload.name, "mb": max_bytes // 2**20}
        )
    data = upload.read()
    if data.startswith(b"%PDF-"):
        check_pdf(data, upload.name)
        return ContentFile(data, name=f"{uuid.uuid4().hex}.pdf")
    return ContentFile(reencode_image(data, upload.name), name=f"{uuid.uuid4().hex}.jpg")


class SubmitForm(StepForm):
    addressed_unit = forms.CharField(label=_("submitted to"), max_length=120)
    filed_on = forms.DateField(label=_("submitted on"))


class AssignForm(StepForm):
    handling_unit = forms.CharField(label=_("handling department"), max_length=120)


class AnswerForm(StepForm):
    answered_on = forms.DateField(label=_("answered on"))
    response = forms.CharField(label=_("answer"), max_length=20000, widget=forms.Textarea(attrs={"rows": 6}))
    answer_letter = forms.FileField(label=_("answer letter"), help_text=_("PDF or photo of the letter, at most 10 MB."))

    def clean_answered_on(self):
        answered = self.cleaned_data["answered_on"]
        if self.subject.filed_on and answered < self.subject.filed_on:
            raise forms.ValidationError(
                _("The answer cannot be dated before the submission (%(date)s)."),
                params={"date": f"{self.subject.filed_on:%Y-%m-%d}"},
            )
        return answered

    def clean_answer_letter(self):
        return clean_document(self.cleaned_data["answer_letter"], max_bytes=10 * 2**20)


class RateForm(StepForm):
    rating = forms.ChoiceField(label=_("authors' rating"), choices=Suggestion.Rating.choices)


class ActivityHoldForm(StepForm):
    """What a held activity leaves behind: who came, where they went, what they found, photos."""

    attendees = forms.ModelMultipleChoiceField(label=_("participants who attended"), queryset=Person.objects.none())
    enterprises = forms.ModelMultipleChoiceField(
        label=_("enterprises visited"), queryset=Enterprise.objects.none(), required=False
    )
    findings = forms.CharField(label=_("findings"), max_length=20000, widget=forms.Textarea(attrs={"rows": 6}))
    photos = PhotosField()

    def __init__(self, *args, **subject):
        super().__init__(*args, **subject)
        activity = self.subject
        invited = Person.objects.filter(activities=activity).values("pk")
        self.fields["attendees"].queryset = (
            Person.objects.filter(Q(pk__in=invited) | Q(pk__in=point_people(activity.point_id).values("pk")))
            .distinct()
            .order_by("name")
        )
        self.fields["enterprises"].queryset = linked_enterprises(activity.point_id)
        if not self.is_bound:
            self.initial = {
                "attendees": list(activity.attendees.values_list("pk", flat=True)),
                "enterprises": list(activity.enterprises.values_list("pk", flat=True)),
                "findings": activity.findings,
            }
