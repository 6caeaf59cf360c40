"""Inputs of deputies' workflow steps: each form's cleaned data are its service's arguments."""

from django import forms
from django.utils.translation import gettext_lazy as _

from liaison.core.text import CleanTextMixin


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

    def __init__(self, *args, **subject):
        super().__init__(*args, **subject)
        if not self.is_bound:
            self.initial = {"visitors": self.subject.visitors, "summary": self.subject.summary}
