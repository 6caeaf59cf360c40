"""Activities and collective inspections (集中视察): planned → held (not before the day; who
attended, enterprises visited, findings, photos) or cancelled with a reason."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from liaison.core.steps import StepRefused, StepTable

from ..forms import ActivityHoldForm, ReasonForm
from ..models import Activity, Photo
from .common import POINT, point_rights, save_changed

A = Activity.Status


def activity_rights(actor, activity: Activity) -> set[str]:
    return point_rights(actor, activity.point_id, "deputies.change_activity")


ACTIVITY = StepTable(
    "activity",
    subject="activity",
    rights=activity_rights,
    irreversible={"cancel": _("A cancelled activity cannot be restored; plan a new one if it takes place after all.")},
)


def _locked(activity: Activity) -> Activity:
    return Activity.objects.select_for_update().get(pk=activity.pk)


def _record(activity, attendees, enterprises, findings, photos, now) -> None:
    if not (findings or "").strip():
        raise StepRefused(_t("Write what was found."))
    if not attendees:
        raise StepRefused(_t("Name who attended."))
    activity.findings = findings.strip()
    activity.save(update_fields=["findings"])
    activity.attendees.set(attendees)
    activity.enterprises.set(enterprises or [])
    Photo.objects.bulk_create([Photo(activity=activity, image=image, taken_on=activity.date) for image in photos])


@ACTIVITY.step("hold", _("Record as held"), [A.PLANNED], A.HELD, POINT, form=ActivityHoldForm)
def activity_hold(*, activity, actor, attendees, findings: str, enterprises=(), photos=(), now=None) -> Activity:
    """planned → held, with who attended, the enterprises visited, the findings and photos.
    Not before the activity's date."""
    now = now or timezone.now()
    with transaction.atomic():
        original = _locked(activity)
        ACTIVITY.check("hold", original, actor)
        if timezone.localdate(now) < original.date:
            raise StepRefused(
                _t("An activity can be recorded as held only on or after %(date)s.")
                % {"date": f"{original.date:%Y-%m-%d}"}
            )
        activity = _locked(activity)
        activity.status = A.HELD
        save_changed(activity, original, ["status"])
        _record(activity, attendees, enterprises, findings, photos, now)
        return activity


@ACTIVITY.step("record", _("Amend the record"), [A.HELD], None, POINT, form=ActivityHoldForm)
def activity_record(*, activity, actor, attendees, findings: str, enterprises=(), photos=(), now=None) -> Activity:
    """Amend what a held activity left behind (photos are added); the state stays."""
    now = now or timezone.now()
    with transaction.atomic():
        activity = _locked(activity)
        ACTIVITY.check("record", activity, actor)
        _record(activity, attendees, enterprises, findings, photos, now)
        return activity


@ACTIVITY.step("cancel", _("Cancel"), [A.PLANNED], A.CANCELLED, POINT, form=ReasonForm)
def activity_cancel(*, activity, actor, reason: str, now=None) -> Activity:
    """planned → cancelled, with the reason."""
    with transaction.atomic():
        original = _locked(activity)
        ACTIVITY.check("cancel", original, actor)
        if not reason.strip():
            raise StepRefused(_t("Give the reason for cancelling."))
        activity = _locked(activity)
        activity.status, activity.cancel_reason = A.CANCELLED, reason.strip()
        save_changed(activity, original, ["status", "cancel_reason"])
        return activity
