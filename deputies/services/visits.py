"""走访记录: a grid worker or deputy records a visit to an enterprise they look after."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _t

from liaison.core.steps import StepRefused

from ..models import EnterpriseLink, Person, Station, Visit
from .common import POINT, point_rights


def visit_check(*, person: Person, enterprise, date: dt.date, actor, now=None) -> int:
    """Raise StepRefused unless ``actor`` may record this visit; return the point it belongs
    to. Forms call it to show the refusal beside the fields; ``visit_record`` calls it again."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if date > today:
        raise StepRefused(_t("The %(what)s date cannot be in the future.") % {"what": _t("visit")})
    station = Station.objects.current(date).filter(person=person).order_by("-role", "since").first() or (
        Station.objects.current(today).filter(person=person).first()
    )
    if station is None:
        raise StepRefused(_t("%(person)s is not stationed at any point.") % {"person": person})
    own = getattr(actor, "is_authenticated", False) and person.user_id == actor.pk
    if not own and POINT not in point_rights(actor, station.point_id, "deputies.add_visit"):
        raise StepRefused(_t("Only the person or the staff of their point may record their visits."))
    if not EnterpriseLink.objects.filter(person=person, enterprise=enterprise).exists():
        raise StepRefused(
            _t("%(enterprise)s is not among the enterprises %(person)s looks after.")
            % {"enterprise": enterprise, "person": person}
        )
    return station.point_id


def visit_record(*, person: Person, enterprise, date: dt.date, raised: str = "", actor, now=None) -> Visit:
    """Record that ``person`` visited ``enterprise`` on ``date``. The enterprise must be one the
    person looks after (包挂); the date not in the future; the actor the person themselves or
    staff of the point where the person is stationed. The visit belongs to that point."""
    point_id = visit_check(person=person, enterprise=enterprise, date=date, actor=actor, now=now)
    return Visit.objects.create(person=person, enterprise=enterprise, point_id=point_id, date=date, raised=raised)
