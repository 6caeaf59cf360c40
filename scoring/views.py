import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.validators import slug_re
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from deputies.models import Person, Station
from points.models import LiaisonPoint

from .selectors import PERIODS, leaderboard, period_bounds, person_record, person_summary


def _period(request):
    kind = request.GET.get("period") if request.GET.get("period") in PERIODS else "year"
    try:
        day = dt.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        day = timezone.localdate()
    start, end = period_bounds(kind, day)
    return kind, day, start, end


@login_required
def board(request):
    """Leaderboards of the points the user works for, per month, quarter or year."""
    points = LiaisonPoint.objects.visible_to(request.user).filter(active=True)
    code = request.GET.get("point")
    if code:
        points = points.filter(code=code) if slug_re.match(code) else points.none()
    kind, day, start, end = _period(request)
    boards = [(point, leaderboard([point], start, end)) for point in points]
    return render(
        request,
        "scoring/board.html",
        {"boards": boards, "period": kind, "day": day, "start": start, "end": end, "periods": PERIODS},
    )


def can_see_record(user, person) -> bool:
    """Everyone their own; office staff and point heads the people of their points."""
    if user.is_superuser or (person.user_id and person.user_id == user.pk):
        return True
    points = LiaisonPoint.objects.visible_to(user)
    if user.organisations.exists():
        return person.stations.filter(point__in=points).exists()
    heads_of = Station.objects.heads().filter(person__user=user).values("point_id")
    return person.stations.filter(point__in=heads_of).exists()


@login_required
def record(request, person_id):
    """履职档案: every score event of one person with its source; prints on A4."""
    person = get_object_or_404(Person, pk=person_id)
    if not can_see_record(request.user, person):
        raise PermissionDenied
    kind, day, start, end = _period(request)
    events = list(person_record(person, start, end))
    return render(
        request,
        "scoring/record.html",
        {
            "person": person,
            "events": events,
            "total": sum(e.points for e in events),
            "start": start,
            "end": end,
            "summary": person_summary(person, start, end),
            "period": kind,
            "day": day,
        },
    )
