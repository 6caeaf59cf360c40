from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison.core.ledger import Column, Ledger, register

from .models import Category, Channel, Petition, Satisfaction, Status
from .selectors import submitted_between

_CHANNELS, _CATEGORIES = dict(Channel.choices), dict(Category.choices)
_SATISFACTION, _STATUS = dict(Satisfaction.choices), dict(Status.choices)


def _local_date(value):
    return timezone.localtime(value).date() if value else None


def request_rows(points, start, end):
    """One row per request submitted in the period, oldest first; streamed from the database."""
    rows = (
        Petition.objects.filter(point__in=list(points.values_list("pk", flat=True)), **submitted_between(start, end))
        .order_by("submitted_at", "id")
        .values_list(
            "number",
            "submitted_at",
            "channel",
            "enterprise_name",
            "category",
            "title",
            "deputy__name",
            "department__name",
            "dispatched_at",
            "reply_due",
            "resolved_at",
            "resolution",
            "satisfaction",
            "status",
        )  # fmt: skip
        .annotate(_order=F("id"))
    )
    for (number, submitted, channel, enterprise, category, title, deputy, department, dispatched, reply_due,
         resolved, resolution, satisfaction, status, _order) in rows.iterator(chunk_size=2000):  # fmt: skip
        yield [
            number, _local_date(submitted), str(_CHANNELS.get(channel, channel)), enterprise,
            str(_CATEGORIES.get(category, category)), title, deputy or "", department or "",
            _local_date(dispatched), reply_due, _local_date(resolved), resolution,
            str(_SATISFACTION.get(satisfaction, "")), str(_STATUS.get(status, status)),
        ]  # fmt: skip


register(
    Ledger(
        slug="requests",
        title=_("Ledger of enterprise requests"),
        columns=[
            Column(_("Tracking number"), 20),
            Column(_("Accepted on"), 12, "date"),
            Column(_("Channel"), 10),
            Column(_("Enterprise"), 28),
            Column(_("Category"), 14),
            Column(_("Summary"), 36),
            Column(_("Accepting deputy"), 10),
            Column(_("Department"), 16),
            Column(_("Dispatched on"), 12, "date"),
            Column(_("Time limit"), 12, "date"),
            Column(_("Resolved on"), 12, "date"),
            Column(_("Result"), 36),
            Column(_("Satisfaction"), 10),
            Column(_("Status"), 10),
        ],  # fmt: skip
        rows=request_rows,
        permission="petitions.view_petition",
        order=10,
    )
)
