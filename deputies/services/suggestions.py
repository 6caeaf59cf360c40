"""建议 as a lifecycle: drafted → submitted (to whom, when) → assigned to the handling
department → answered (date not before the submission, answer text and letter) → rated by its
authors → closed. Each step one service; the table ``SUGGESTION`` drives the admin's buttons."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from liaison.core.steps import StepRefused, StepTable

from ..forms import AnswerForm, AssignForm, RateForm, SubmitForm
from ..models import Suggestion
from .common import POINT, point_rights, save_changed

AUTHOR = "author"  # a person among the suggestion's authors
S = Suggestion.Status


def suggestion_rights(actor, suggestion: Suggestion) -> set[str]:
    """Point staff with the change permission; authors for their own suggestion."""
    rights = point_rights(actor, suggestion.point_id, "deputies.change_suggestion")
    if getattr(actor, "is_authenticated", False) and suggestion.authors.filter(user=actor).exists():
        rights.add(AUTHOR)
    return rights


SUGGESTION = StepTable(
    "suggestion",
    subject="suggestion",
    rights=suggestion_rights,
    irreversible={"close": _("A closed suggestion can no longer be changed.")},
)


def _locked(suggestion: Suggestion) -> Suggestion:
    return Suggestion.objects.select_for_update().get(pk=suggestion.pk)


def _not_after_today(day: dt.date, now, what: str) -> None:
    if day > timezone.localdate(now):
        raise StepRefused(_t("The %(what)s date cannot be in the future.") % {"what": what})


def _required(value: str, what: str) -> str:
    if not (value or "").strip():
        raise StepRefused(_t("Please fill in %(what)s.") % {"what": what})
    return value.strip()


@SUGGESTION.step("submit", _("Submit"), [S.DRAFTED], S.SUBMITTED, POINT, AUTHOR, form=SubmitForm)
def suggestion_submit(*, suggestion, actor, addressed_unit: str, filed_on: dt.date, now=None) -> Suggestion:
    """drafted → submitted to ``addressed_unit`` on ``filed_on`` (not in the future)."""
    now = now or timezone.now()
    with transaction.atomic():
        original = _locked(suggestion)
        SUGGESTION.check("submit", original, actor)
        _not_after_today(filed_on, now, _t("submission"))
        if not original.authors.exists():
            raise StepRefused(_t("Name the authors before submitting."))
        suggestion = _locked(suggestion)
        suggestion.status = S.SUBMITTED
        suggestion.addressed_unit = _required(addressed_unit, _t("to whom it is submitted"))
        suggestion.filed_on = filed_on
        save_changed(suggestion, original, ["status", "addressed_unit", "filed_on"])
        return suggestion


@SUGGESTION.step("assign", _("Assign to a department"), [S.SUBMITTED], S.ASSIGNED, POINT, form=AssignForm)
def suggestion_assign(*, suggestion, actor, handling_unit: str, now=None) -> Suggestion:
    """submitted → assigned to the department that answers it."""
    now = now or timezone.now()
    with transaction.atomic():
        original = _locked(suggestion)
        SUGGESTION.check("assign", original, actor)
        suggestion = _locked(suggestion)
        suggestion.status = S.ASSIGNED
        suggestion.handling_unit = _required(handling_unit, _t("the handling department"))
        suggestion.assigned_on = max(timezone.localdate(now), original.filed_on)
        save_changed(suggestion, original, ["status", "handling_unit", "assigned_on"])
        return suggestion


@SUGGESTION.step("answer", _("Record the answer"), [S.ASSIGNED], S.ANSWERED, POINT, form=AnswerForm)
def suggestion_answer(*, suggestion, actor, answered_on: dt.date, response: str, answer_letter, now=None):
    """assigned → answered: the 答复 date (not before the submission, not in the future), the
    answer text and the letter (答复函) are all required."""
    now = now or timezone.now()
    with transaction.atomic():
        original = _locked(suggestion)
        SUGGESTION.check("answer", original, actor)
        _not_after_today(answered_on, now, _t("answer"))
        if answered_on < original.filed_on:
            raise StepRefused(
                _t("The answer cannot be dated before the submission (%(date)s).")
                % {"date": f"{original.filed_on:%Y-%m-%d}"}
            )
        if not answer_letter:
            raise StepRefused(_t("Attach the answer letter."))
        suggestion = _locked(suggestion)
        suggestion.status = S.ANSWERED
        suggestion.answered_on = answered_on
        suggestion.response = _required(response, _t("the answer"))
        suggestion.answer_letter = answer_letter
        suggestion.save(update_fields=["status", "answered_on", "response", "answer_letter"])
        return suggestion


@SUGGESTION.step("rate", _("Rate the answer"), [S.ANSWERED], S.RATED, AUTHOR, form=RateForm)
def suggestion_rate(*, suggestion, actor, rating: str, now=None) -> Suggestion:
    """answered → rated by one of its authors (满意 / 基本满意 / 不满意)."""
    now = now or timezone.now()
    if rating not in Suggestion.Rating.values:
        raise StepRefused(_t("Choose a rating."))
    with transaction.atomic():
        original = _locked(suggestion)
        SUGGESTION.check("rate", original, actor)
        suggestion = _locked(suggestion)
        suggestion.status, suggestion.rating = S.RATED, rating
        suggestion.rated_on = max(timezone.localdate(now), original.answered_on)
        save_changed(suggestion, original, ["status", "rating", "rated_on"])
        return suggestion


# "Close" alone is also the admin's link back to the list (关闭); closing a suggestion is 办结.
@SUGGESTION.step("close", pgettext_lazy("a suggestion", "Close"), [S.RATED], S.CLOSED, POINT)
def suggestion_close(*, suggestion, actor, now=None) -> Suggestion:
    """rated → closed: nothing more is expected on it."""
    now = now or timezone.now()
    with transaction.atomic():
        original = _locked(suggestion)
        SUGGESTION.check("close", original, actor)
        suggestion = _locked(suggestion)
        suggestion.status = S.CLOSED
        suggestion.closed_on = max(timezone.localdate(now), original.rated_on)
        save_changed(suggestion, original, ["status", "closed_on"])
        return suggestion
