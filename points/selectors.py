"""Reads over points alone: the date a point's rule gives its reception day, and the chain as
its page draws it (segments, enterprises by role, the leaders' networks, the points on it)."""

import calendar
import datetime as dt

from django.db.models import CharField, Count, F, Q, Window
from django.db.models.functions import RowNumber

from liaison.core import compiled
from liaison.core.compiled import Bound
from liaison.core.workdays import next_workday

from .models import Enterprise, EnterpriseRelation, IndustryChain, LiaisonPoint

# How many names a segment lists per role (and points per segment); the rest are counted.
NAMES_PER_GROUP = 8


def active_point(by: str, value: str) -> LiaisonPoint | None:
    """The active point whose ``by`` ("qr_token" or "code", both unique) is ``value``: what
    every scan of a QR code and every filing reads first, so compiled once (liaison.core.compiled)."""
    if by not in ("qr_token", "code"):
        raise ValueError(by)
    return compiled.get(
        LiaisonPoint,
        ("active-point", by),
        lambda: LiaisonPoint.objects.active().filter(**{by: Bound("value", CharField())}),
        {"value": value},
    )


def reception_date_in_month(point: LiaisonPoint, month: dt.date) -> dt.date:
    """The point's reception day in ``month`` by its rule: the day of the month (the 15th by
    default), moved to the next working day if the rule says so and it is a rest day."""
    last = calendar.monthrange(month.year, month.month)[1]
    date = dt.date(month.year, month.month, min(point.reception_day, last))
    if point.reception_rule == LiaisonPoint.ReceptionRule.NEXT_WORKDAY:
        date = next_workday(date)
    return date


def next_rule_date(point: LiaisonPoint, today: dt.date) -> dt.date:
    """The first date on or after ``today`` that the point's rule gives (it falls within two
    months: this month's day, or next month's)."""
    date = reception_date_in_month(point, today.replace(day=1))
    if date >= today:
        return date
    return reception_date_in_month(point, (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1))


def _first_per_group(queryset, partition: list[str], order: str, limit: int):
    """The first ``limit`` rows of each group, in one query (a window over the groups)."""
    rank = Window(RowNumber(), partition_by=[F(field) for field in partition], order_by=F(order).asc())
    return queryset.annotate(rank=rank).filter(rank__lte=limit).order_by(*partition, order)


def chain_enterprises(chain: IndustryChain, limit: int = NAMES_PER_GROUP) -> dict:
    """Enterprises of ``chain`` by (segment id, role): ``{"count": n, "names": [...]}`` with the
    first ``limit`` names. Two queries whatever the number of enterprises."""
    groups: dict = {}
    counts = Enterprise.objects.filter(chain=chain).values("segment_id", "chain_role").annotate(n=Count("id"))
    for row in counts.order_by():
        groups[row["segment_id"], row["chain_role"]] = {"count": row["n"], "names": []}
    names = _first_per_group(Enterprise.objects.filter(chain=chain), ["segment_id", "chain_role"], "name", limit)
    for segment_id, role, name in names.values_list("segment_id", "chain_role", "name"):
        groups[segment_id, role]["names"].append(name)
    return groups


def chain_networks(chain: IndustryChain) -> list[dict]:
    """The chain's leaders (链主, 小链长) with the enterprises they lead, counted from the
    relation records: partners or suppliers, how many of them are backbone, supporting or
    technology enterprises, and over how many segments. One query."""
    role = "target__chain_role"
    rows = (
        EnterpriseRelation.objects.filter(source__chain=chain)
        .values("source_id", "source__name", "source__chain_role", "source__segment__name", "kind")
        .annotate(
            led=Count("target_id"),
            backbone=Count("target_id", filter=Q(**{role: Enterprise.ChainRole.BACKBONE})),
            supplier=Count("target_id", filter=Q(**{role: Enterprise.ChainRole.SUPPLIER})),
            tech_sme=Count("target_id", filter=Q(**{role: Enterprise.ChainRole.TECH_SME})),
            segments=Count("target__segment_id", distinct=True),
        )
        .order_by("source__chain_role", "-led", "source__name")
    )
    kinds = dict(EnterpriseRelation.Kind.choices)
    roles = dict(Enterprise.ChainRole.choices)
    return [
        {
            "name": row["source__name"],
            "role": str(roles.get(row["source__chain_role"], "")),
            "segment": row["source__segment__name"],
            "kind": row["kind"],
            "kind_label": str(kinds.get(row["kind"], "")),
            **{key: row[key] for key in ("led", "backbone", "supplier", "tech_sme", "segments")},
        }
        for row in rows
    ]


def chain_points(chain: IndustryChain, limit: int = NAMES_PER_GROUP) -> dict:
    """Active points of ``chain`` by the segment of their host enterprise (None without one):
    ``{"count": n, "points": [{name, code, address}, …]}`` with the first ``limit``. Two queries."""
    points = LiaisonPoint.objects.active().filter(chain=chain)
    groups = {
        row["host_enterprise__segment_id"]: {"count": row["n"], "points": []}
        for row in points.values("host_enterprise__segment_id").annotate(n=Count("id")).order_by()
    }
    first = _first_per_group(points, ["host_enterprise__segment_id"], "name", limit)
    for row in first.values("host_enterprise__segment_id", "name", "code", "address"):
        groups[row.pop("host_enterprise__segment_id")]["points"].append(row)
    return groups
