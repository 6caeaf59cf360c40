"""Daily roll-ups of request figures (``DailyFigures``) and the sums statistics read from them.

One computation, ``compute``, gives the figures of any set of requests per point, submission
day, category, department and chain segment. The roll-up job stores its rows; statistics sum
the stored rows and replace those of requests changed since the job last ran (today's new ones,
a rating, a 重办) by the same computation run live, so every answer is exact while the work
grows with the rows, not with the requests and their timelines.
"""

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Max, Q, Sum
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from liaison.core.workdays import WorkCalendar

from .models import (
    FIGURES,
    OPEN_STATUSES,
    DailyFigures,
    DailyFiguresMark,
    Petition,
    PetitionEvent,
    Satisfaction,
    Status,
)

# A row's key: point, submission day, category, department, segment.
KEY = ("point", "day", "category", "department", "segment")
# A transaction can commit a timeline entry with a lower id after the job read a higher one: the
# job re-reads entries this recent by time as well, so such an entry is rolled up on the next run.
OVERLAP = dt.timedelta(minutes=15)
BATCH = 2000


def _key_fields(prefix: str = "") -> dict:
    tz = timezone.get_current_timezone()
    return {
        "k_point": F(f"{prefix}point_id"),
        "k_day": TruncDate(f"{prefix}submitted_at", tzinfo=tz),
        "k_category": F(f"{prefix}category"),
        "k_department": F(f"{prefix}department_id"),
        "k_segment": Coalesce(f"{prefix}enterprise__segment_id", f"{prefix}point__host_enterprise__segment_id"),
    }


def _key(row: dict) -> tuple:
    return tuple(row.pop(f"k_{name}") for name in KEY)


def compute(petitions) -> dict[tuple, dict]:
    """The figures of ``petitions`` (a queryset) by ``KEY``: five grouped queries and one
    calendar, whatever the number of requests.

    - received, accepted, dispatched, resolved, rejected (or merged), open: as they stand now;
    - on_time: resolved and never escalated; replied_on_time: resolved by the department by its
      reply deadline; signed_on_time: signed for, after the latest dispatch, by the sign limit
      (working days from the dispatch, no later than the reply deadline);
    - reopened: reopened (重办) at least once; satisfied / basic: the current rating;
      unsatisfied: unsatisfied ratings given (each reopened the request);
    - resolved_on_site: requests ever resolved on site;
    - workdays: working days from submission to resolution, summed over the resolved ones.
    """
    tz = timezone.get_current_timezone()
    rows: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    resolved = Q(resolved_at__isnull=False)
    replied = resolved & Q(department__isnull=False, reply_due__isnull=False)
    for row in (
        petitions.annotate(**_key_fields())
        .values(*(f"k_{name}" for name in KEY))
        .annotate(
            received=Count("id"),
            accepted=Count("id", filter=Q(accepted_at__isnull=False)),
            dispatched=Count("id", filter=Q(dispatched_at__isnull=False)),
            resolved=Count("id", filter=resolved),
            on_time=Count("id", filter=resolved & Q(escalation_level=0)),
            replied_on_time=Count(
                "id", filter=replied & Q(LessThanOrEqual(TruncDate("resolved_at", tzinfo=tz), F("reply_due")))
            ),
            reopened=Count("id", filter=Q(reopen_count__gt=0)),
            satisfied=Count("id", filter=Q(satisfaction=Satisfaction.SATISFIED)),
            basic=Count("id", filter=Q(satisfaction=Satisfaction.BASIC)),
            open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
            rejected=Count("id", filter=Q(status__in=[Status.REJECTED, Status.MERGED])),
        )
        .order_by()
    ):
        rows[_key(row)].update(row)
    on_site, rate = PetitionEvent.Action.RESOLVE_ON_SITE, PetitionEvent.Action.RATE
    events = PetitionEvent.objects.filter(petition__in=petitions.values("id"))
    for row in (
        events.filter(action__in=[on_site, rate])
        .annotate(**_key_fields("petition__"))
        .values(*(f"k_{name}" for name in KEY))
        .annotate(
            resolved_on_site=Count("petition", distinct=True, filter=Q(action=on_site)),
            unsatisfied=Count("id", filter=Q(action=rate, to_status=Status.ACCEPTED)),
        )
        .order_by()
    ):
        rows[_key(row)].update(row)
    signs = list(
        events.filter(
            action=PetitionEvent.Action.SIGN,
            petition__dispatched_at__isnull=False,
            created_at__gte=F("petition__dispatched_at"),
        )
        .annotate(**_key_fields("petition__"))
        .values(*(f"k_{name}" for name in KEY))
        .annotate(
            dispatched_on=TruncDate("petition__dispatched_at", tzinfo=tz),
            signed_on=TruncDate("created_at", tzinfo=tz),
            reply_due=F("petition__reply_due"),
            n=Count("petition", distinct=True),
        )
        .order_by()
    )
    spans = list(
        petitions.filter(resolved)
        .annotate(**_key_fields())
        .values(*(f"k_{name}" for name in KEY))
        .annotate(resolved_on=TruncDate("resolved_at", tzinfo=tz), n=Count("id"))
        .order_by()
    )
    days = [r["k_day"] for r in spans] + [r["resolved_on"] for r in spans] + [r["dispatched_on"] for r in signs]
    if days:
        limit = settings.PETITION_SIGN_WORKDAYS
        calendar = WorkCalendar(min(days), max(days) + dt.timedelta(days=limit * 3 + 14))
        for row in signs:
            due = calendar.add_workdays(row.pop("dispatched_on"), limit)
            reply_due = row.pop("reply_due")
            if reply_due is not None:
                due = min(due, reply_due)
            n, signed_on = row.pop("n"), row.pop("signed_on")
            rows[_key(row)]["signed_on_time"] += n if signed_on <= due else 0
        for row in spans:
            day, resolved_on, n = row["k_day"], row.pop("resolved_on"), row.pop("n")
            worked = 0
            while day < resolved_on:
                day += dt.timedelta(days=1)
                worked += calendar.is_workday(day)
            rows[_key(row)]["workdays"] += worked * n
    return dict(rows)


def _submitted_on(days) -> Q:
    tz = timezone.get_current_timezone()
    q = Q(pk__in=[])
    for day in sorted(set(days)):
        start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
        q |= Q(submitted_at__gte=start, submitted_at__lt=start + dt.timedelta(days=1))
    return q


def compute_days(point_days: set[tuple[int, dt.date]]) -> dict[tuple, dict]:
    """``compute`` over the requests of these (point, submission day) pairs only."""
    by_day: dict[dt.date, set[int]] = defaultdict(set)
    for point, day in point_days:
        by_day[day].add(point)
    rows: dict[tuple, dict] = {}
    points = {point for point, _ in point_days}
    for chunk in _chunks(sorted(by_day), 60):
        petitions = Petition.objects.filter(_submitted_on(chunk), point_id__in=points)
        rows |= {key: row for key, row in compute(petitions).items() if (key[0], key[1]) in point_days}
    return rows


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _store(rows: dict[tuple, dict]) -> int:
    DailyFigures.objects.bulk_create(
        (
            DailyFigures(
                point_id=key[0], day=key[1], category=key[2], department_id=key[3], segment_id=key[4], **figures
            )
            for key, figures in rows.items()
        ),
        batch_size=BATCH,
    )
    return len(rows)


def rollup_days(point_days: set[tuple[int, dt.date]]) -> int:
    """Recompute the stored rows of these (point, submission day) pairs; returns how many rows
    were written. Safe to re-run: the pairs' rows are replaced, in one transaction."""
    by_day: dict[dt.date, set[int]] = defaultdict(set)
    for point, day in point_days:
        by_day[day].add(point)
    with transaction.atomic():
        for day, points in by_day.items():
            DailyFigures.objects.filter(day=day, point_id__in=points).delete()
        return _store(compute_days(point_days))


def _mark():
    mark, _ = DailyFiguresMark.objects.select_for_update().get_or_create(pk=1)
    return mark


def rollup_all(now=None) -> int:
    """Rebuild every stored row, a month at a time (after loading data by other means than the
    services, e.g. the demo or the benchmark). Returns the number of rows written."""
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    with transaction.atomic():
        mark = _mark()
        top = PetitionEvent.objects.aggregate(top=Max("id"))["top"] or 0
        DailyFigures.objects.all().delete()
        written = 0
        for month in Petition.objects.datetimes("submitted_at", "month", tzinfo=tz):
            start = month
            end = dt.datetime.combine((month.date() + dt.timedelta(days=32)).replace(day=1), dt.time.min, tzinfo=tz)
            written += _store(compute(Petition.objects.filter(submitted_at__gte=start, submitted_at__lt=end)))
        mark.event_id, mark.run_at = top, now
        mark.save()
    return written


def rollup_changed(now=None) -> int:
    """Bring the stored rows up to date: recompute the (point, day) pairs of requests with a
    timeline entry since the last run (new requests, ratings, 重办, late events), then move the
    mark. The first run rebuilds everything. Runs one at a time (the mark row is locked), and a
    second run in a row rewrites only what the overlap window holds."""
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    with transaction.atomic():
        mark = _mark()
        if mark.run_at is None:
            return rollup_all(now=now)
        top = PetitionEvent.objects.aggregate(top=Max("id"))["top"] or 0
        # Two index range scans (by id, by time) rather than one OR that reads the whole timeline.
        changed = set()
        for entries in (
            PetitionEvent.objects.filter(id__gt=mark.event_id, id__lte=top),
            PetitionEvent.objects.filter(created_at__gte=mark.run_at - OVERLAP, created_at__lte=now),
        ):
            changed |= set(
                entries.values_list("petition__point_id", TruncDate("petition__submitted_at", tzinfo=tz))
                .order_by()  # the timeline's default order would join the DISTINCT
                .distinct()
            )
        written = rollup_days(changed) if changed else 0
        mark.event_id, mark.run_at = top, now
        mark.save()
    return written


# What statistics may group by, as a stored row's column and as a Python key of a live row.
GROUPS = {
    "point": ("point_id", lambda key: key[0]),
    "month": ("month", lambda key: key[1].replace(day=1)),
    "category": ("category", lambda key: key[2]),
    "department": ("department_id", lambda key: key[3]),
    "segment": ("segment_id", lambda key: key[4]),
}


def _stored_sums(stored, groupings: dict[str, tuple[str, ...]], names: tuple[str, ...]) -> dict[str, dict]:
    """Sums of the stored rows for each grouping: on PostgreSQL one scan for all of them
    (``GROUPING SETS``), elsewhere one aggregate per grouping."""
    tables = {name: defaultdict(lambda: dict.fromkeys(FIGURES, 0)) for name in groupings}
    query = stored.annotate(month=TruncMonth("day"))
    if connection.vendor == "postgresql":
        # Months are summed by day in the database and folded here (a few hundred rows): cheaper
        # than truncating every row's date through a timestamp.
        column = {g: "day" if g == "month" else GROUPS[g][0] for g in GROUPS}
        columns = sorted({column[g] for grouping in groupings.values() for g in grouping})
        sql, params = stored.values(*columns, *names).order_by().query.sql_with_params()
        # GROUPING(...) has a bit set for each column a row is not grouped by: it names the set.
        bits = {c: 1 << (len(columns) - 1 - i) for i, c in enumerate(columns)}
        sets = {}
        for name, grouping in groupings.items():
            used = [column[g] for g in grouping]
            sets[sum(bit for c, bit in bits.items() if c not in used)] = (name, used)
        grouping_sql = ", ".join(f"({', '.join(used)})" for _, used in sets.values())
        flag = f"GROUPING({', '.join(columns)})" if columns else "0"
        figures = ", ".join(f"COALESCE(SUM({f}), 0)" for f in names)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {flag}, {', '.join([*columns, figures]) if columns else figures}"  # noqa: S608 (names are ours)
                f" FROM ({sql}) AS figures GROUP BY GROUPING SETS ({grouping_sql})",
                params,
            )
            rows = cursor.fetchall()
        for flag_value, *row in rows:
            name, used = sets[flag_value]
            values = dict(zip(columns, row[: len(columns)], strict=True))
            key = tuple(values["day"].replace(day=1) if g == "month" else values[column[g]] for g in groupings[name])
            cell = tables[name][key]
            for figure, value in zip(names, row[len(columns) :], strict=True):
                cell[figure] += value
        for name, grouping in groupings.items():
            if not grouping:
                tables[name][()]  # an empty period still has its totals row
        return tables
    sums = {figure: Coalesce(Sum(figure), 0) for figure in names}
    for name, grouping in groupings.items():
        columns = [GROUPS[g][0] for g in grouping]
        if columns:
            for row in query.values(*columns).annotate(**sums).order_by():
                tables[name][tuple(row.pop(c) for c in columns)].update(row)
        else:
            tables[name][()].update(query.aggregate(**sums))
    return tables


def figure_sums(
    points, start: dt.date, end: dt.date, groupings: dict[str, tuple[str, ...]], names: tuple[str, ...] = FIGURES
) -> dict:
    """Sums of ``FIGURES`` over the requests of ``points`` submitted from ``start`` to ``end``
    (local dates, inclusive), exact now: for each name of ``groupings``, a dict from the tuple
    of the grouping's values (``GROUPS``; () for the totals) to the figures (only ``names``
    are summed; the others stay 0).

    Stored rows are summed in the database (on PostgreSQL in one scan for every grouping); the
    rows of requests with a timeline entry the roll-up has not read yet are taken out and
    computed live instead. Queries: three (SQLite: two plus one per grouping), plus six when
    anything changed since the last run."""
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    # The mark as a value, not a subquery: the planner then knows that few entries follow it
    # and starts from them instead of from every request of the period.
    mark = DailyFiguresMark.objects.filter(pk=1).values_list("event_id", flat=True).first() or 0
    dirty = set(
        PetitionEvent.objects.filter(
            id__gt=mark,
            petition__point__in=points,
            petition__submitted_at__gte=since,
            petition__submitted_at__lt=until,
        )
        .values_list("petition__point_id", TruncDate("petition__submitted_at", tzinfo=tz))
        .order_by()  # the timeline's default order would join the DISTINCT
        .distinct()
    )
    live = compute_days(dirty) if dirty else {}
    stale: dict[tuple, dict] = {}
    if dirty:
        for row in DailyFigures.objects.filter(
            point_id__in={p for p, _ in dirty}, day__in={d for _, d in dirty}
        ).values("point_id", "day", "category", "department_id", "segment_id", *FIGURES):
            key = (
                row.pop("point_id"),
                row.pop("day"),
                row.pop("category"),
                row.pop("department_id"),
                row.pop("segment_id"),
            )
            if key[:2] in dirty:
                stale[key] = row
    stored = DailyFigures.objects.filter(point__in=points, day__range=(start, end))
    result = {}
    for name, table in _stored_sums(stored, groupings, names).items():
        grouping = groupings[name]
        for sign, rows in ((-1, stale), (1, live)):
            for key, figures in rows.items():
                cell = table[tuple(GROUPS[g][1](key) for g in grouping)]
                for figure in names:
                    cell[figure] += sign * figures[figure]
        result[name] = {key: cell for key, cell in table.items() if cell["received"] or key == ()}
    return result
