"""Daily roll-ups: the sums statistics read equal a direct count over the requests, before and
after the job runs, after a 重办 and a late rating, over random histories and the demo."""

import datetime as dt
import io
import random
from collections import defaultdict
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from liaison.core.workdays import WorkCalendar
from petitions import rollups, services
from petitions.models import FIGURES, OPEN_STATUSES, DailyFigures, Petition, PetitionEvent, Satisfaction, Status
from petitions.workflow import ENTERPRISE_ACTOR
from points.models import LiaisonPoint

from .factories import DepartmentFactory, PetitionFactory, UserFactory

TZ = ZoneInfo("Asia/Shanghai")
GROUPINGS = {
    "totals": (),
    "month": ("month",),
    "category": ("category",),
    "department": ("department",),
    "point": ("point",),
    "segment": ("segment",),
}


def local(moment):
    return moment.astimezone(TZ).date()


def direct(points, start, end) -> dict:
    """The figures counted request by request in Python, from the rows and their timelines: an
    implementation independent of ``petitions.rollups``."""
    calendar = WorkCalendar(dt.date(2025, 1, 1), dt.date(2028, 12, 31))
    tables = {name: defaultdict(lambda: dict.fromkeys(FIGURES, 0)) for name in GROUPINGS}
    requests = Petition.objects.filter(point__in=points).select_related("enterprise", "point__host_enterprise")
    for p in requests:
        day = local(p.submitted_at)
        if not start <= day <= end:
            continue
        events = list(PetitionEvent.objects.filter(petition=p).order_by("created_at", "id"))
        segment = (p.enterprise and p.enterprise.segment_id) or (
            p.point.host_enterprise and p.point.host_enterprise.segment_id
        )
        f = dict.fromkeys(FIGURES, 0)
        f["received"] = 1
        f["accepted"] = p.accepted_at is not None
        f["dispatched"] = p.dispatched_at is not None
        f["resolved"] = p.resolved_at is not None
        f["on_time"] = p.resolved_at is not None and p.escalation_level == 0
        f["replied_on_time"] = bool(
            p.resolved_at and p.department_id and p.reply_due and local(p.resolved_at) <= p.reply_due
        )
        if p.dispatched_at:
            limit = calendar.add_workdays(local(p.dispatched_at), settings.PETITION_SIGN_WORKDAYS)
            if p.reply_due:
                limit = min(limit, p.reply_due)
            signs = [e for e in events if e.action == "sign" and e.created_at >= p.dispatched_at]
            f["signed_on_time"] = bool(signs) and local(signs[0].created_at) <= limit
        f["reopened"] = p.reopen_count > 0
        f["satisfied"] = p.satisfaction == Satisfaction.SATISFIED
        f["basic"] = p.satisfaction == Satisfaction.BASIC
        f["unsatisfied"] = sum(e.action == "rate" and e.to_status == Status.ACCEPTED for e in events)
        f["resolved_on_site"] = any(e.action == "resolve_on_site" for e in events)
        f["open"] = p.status in OPEN_STATUSES
        f["rejected"] = p.status in (Status.REJECTED, Status.MERGED)
        if p.resolved_at:
            f["workdays"] = sum(
                calendar.is_workday(day + dt.timedelta(days=n)) for n in range(1, (local(p.resolved_at) - day).days + 1)
            )
        keys = {
            "totals": (),
            "month": (day.replace(day=1),),
            "category": (p.category,),
            "department": (p.department_id,),
            "point": (p.point_id,),
            "segment": (segment,),
        }
        for name, key in keys.items():
            for figure in FIGURES:
                tables[name][key][figure] += int(f[figure])
    return {name: dict(table) for name, table in tables.items()}


def sums(points, start, end):
    result = rollups.figure_sums(points, start, end, GROUPINGS)
    # A totals row is present even for an empty period; direct() has none then.
    if not result["totals"][()]["received"]:
        result["totals"] = {}
    return result


def at(day: dt.date, hour=10):
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TZ)


def random_history(world, rng: random.Random, n: int, first=dt.date(2026, 1, 5)):
    """``n`` requests at both points, each walked some way through the workflow at random."""
    extra = DepartmentFactory(name="区经信委", organisation=world.department.organisation)
    extra.handlers.add(world.handler)
    departments = {
        world.point.pk: ([world.department, extra], world.handler),
        world.other_point.pk: ([world.other_department], world.other_handler),
    }
    boss = UserFactory(username="boss", is_superuser=True, is_staff=True)
    made = []
    for _ in range(n):
        day = first + dt.timedelta(days=rng.randrange(300))
        point = rng.choice([world.point, world.point, world.other_point])
        p = PetitionFactory(point=point, category=rng.choice(["policy", "labour", "transport"]), now=at(day, 9))
        made.append(p)
        step = rng.random()
        if step < 0.15:
            continue
        if step < 0.25:
            services.petition_reject(petition=p, actor=boss, reason="重复", now=at(day, 11))
            continue
        services.petition_accept(petition=p, actor=boss, now=at(day, 11))
        if step < 0.35:
            services.petition_resolve_on_site(petition=p, actor=boss, result="现场解答", now=at(day, 15))
        else:
            choices, handler = departments[point.pk]
            services.petition_dispatch(petition=p, actor=boss, department=rng.choice(choices), now=at(day, 12))
            if step < 0.45:
                continue
            signed = day + dt.timedelta(days=rng.choice([0, 1, 4, 9]))
            services.petition_sign(petition=p, actor=handler, now=at(signed, 9))
            if step < 0.55:
                continue
            replied = signed + dt.timedelta(days=rng.choice([1, 3, 12, 30]))
            services.petition_reply(petition=p, actor=handler, result="已办理", now=at(replied, 16))
        if rng.random() < 0.6:
            p.refresh_from_db()
            rated = local(p.resolved_at) + dt.timedelta(days=1)
            services.petition_rate(
                petition=p, actor=ENTERPRISE_ACTOR, satisfaction=rng.choice(Satisfaction.values), now=at(rated, 10)
            )
    return made


YEAR = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))


@pytest.mark.django_db
class TestRollups:
    @pytest.mark.parametrize("seed", [1, 2])
    def test_sums_equal_a_direct_count_before_and_after_the_job(self, world, seed):
        made = random_history(world, random.Random(seed), 60)
        points = LiaisonPoint.objects.all()
        expected = direct(points, *YEAR)
        # Nothing rolled up yet: every row is computed live, and exact.
        assert sums(points, *YEAR) == expected
        assert rollups.rollup_changed(now=at(dt.date(2026, 11, 25))) > 0
        assert DailyFigures.objects.exists()
        assert sums(points, *YEAR) == expected
        # A partial period and a single point.
        mine = LiaisonPoint.objects.filter(pk=world.point.pk)
        assert sums(mine, dt.date(2026, 3, 1), dt.date(2026, 6, 30)) == direct(
            mine, dt.date(2026, 3, 1), dt.date(2026, 6, 30)
        )
        # Late events on old requests: a 重办 and a late rating, before and after the next run.
        resolved = [p for p in made if Petition.objects.get(pk=p.pk).status == Status.RESOLVED]
        later = at(dt.date(2026, 11, 26))
        services.petition_rate(
            petition=resolved[0], actor=ENTERPRISE_ACTOR, satisfaction=Satisfaction.UNSATISFIED, now=later
        )
        services.petition_rate(petition=resolved[1], actor=ENTERPRISE_ACTOR, satisfaction=Satisfaction.BASIC, now=later)
        expected = direct(points, *YEAR)
        assert sums(points, *YEAR) == expected
        rollups.rollup_changed(now=later)
        assert sums(points, *YEAR) == expected

    def test_stored_rows_alone_equal_the_direct_count_once_the_job_ran(self, world):
        random_history(world, random.Random(3), 40)
        rollups.rollup_changed(now=at(dt.date(2026, 11, 25)))
        points = LiaisonPoint.objects.all()
        with CaptureQueriesContext(connection) as queries:
            result = sums(points, *YEAR)
        # The mark, changed requests (none), then the sums: one scan on PostgreSQL, one aggregate per
        # grouping elsewhere; nothing computed live.
        assert len(queries) == 2 + (1 if connection.vendor == "postgresql" else len(GROUPINGS))
        assert result == direct(points, *YEAR)

    def test_second_run_rewrites_only_the_recent_window(self, world):
        random_history(world, random.Random(4), 20)
        rollups.rollup_changed(now=at(dt.date(2026, 11, 25)))
        rows = set(DailyFigures.objects.values_list("pk", flat=True))
        # Run much later: no entry since, none in the overlap window, nothing rewritten.
        assert rollups.rollup_changed(now=at(dt.date(2026, 12, 25))) == 0
        assert set(DailyFigures.objects.values_list("pk", flat=True)) == rows

    def test_a_new_request_today_is_counted_at_once(self, world):
        rollups.rollup_changed(now=at(dt.date(2026, 11, 25)))
        PetitionFactory(point=world.point, now=at(dt.date(2026, 11, 25), 14))
        points = LiaisonPoint.objects.all()
        assert sums(points, *YEAR)["totals"][()]["received"] == 1
        assert not DailyFigures.objects.exists()

    def test_demo_rollup_equals_the_direct_count(self, db):
        call_command("load_demo", stdout=io.StringIO())
        rollups.rollup_all()
        points = LiaisonPoint.objects.all()
        start, end = dt.date(2000, 1, 1), dt.date(2100, 1, 1)
        result = sums(points, start, end)
        assert result == direct(points, start, end)
        assert (result["totals"][()]["received"], result["totals"][()]["resolved"]) == (7, 6)


@pytest.mark.django_db
def test_command_rebuilds_rows_written_behind_the_services_back(world):
    p = PetitionFactory(point=world.point, now=at(dt.date(2026, 5, 6)))
    rollups.rollup_changed(now=at(dt.date(2026, 11, 25)))
    # A bulk load bypasses the timeline: only a rebuild sees it.
    Petition.objects.filter(pk=p.pk).update(category="labour")
    call_command("rollup_figures", "--rebuild", stdout=io.StringIO())
    assert list(DailyFigures.objects.values_list("category", "received")) == [("labour", 1)]
