"""The starting deadline rules (12345-style), and ``due_at`` for requests filed before it existed."""

import datetime as dt

from django.conf import settings
from django.db import migrations
from django.utils import timezone

HOURS, WORKDAYS = "hours", "workdays"


def rules():
    """Normal requests keep the limits the settings gave (working days); urgent and critical
    ones count clock hours until the department's reply, as hotlines do."""
    normal = {
        "accept": settings.PETITION_ACCEPT_WORKDAYS,
        "handle": settings.PETITION_DISPATCH_WORKDAYS,
        "sign": settings.PETITION_SIGN_WORKDAYS,
        "reply": settings.PETITION_REPLY_WORKDAYS,
    }
    yield from (("normal", stage, amount, WORKDAYS) for stage, amount in normal.items())
    yield from [
        ("urgent", "accept", 4, HOURS),
        ("urgent", "handle", 24, HOURS),
        ("urgent", "sign", 24, HOURS),
        ("urgent", "reply", 5, WORKDAYS),
        ("critical", "accept", 2, HOURS),
        ("critical", "handle", 2, HOURS),
        ("critical", "sign", 2, HOURS),
        ("critical", "reply", 24, HOURS),
    ]


def seed(apps, schema_editor):
    DeadlineRule = apps.get_model("petitions", "DeadlineRule")
    for urgency, stage, amount, unit in rules():
        DeadlineRule.objects.get_or_create(
            category="", urgency=urgency, stage=stage, defaults={"amount": amount, "unit": unit}
        )
    # Deadlines by the day end at the day's last instant.
    if schema_editor.connection.vendor == "postgresql":
        # One statement for a table of any size (no index leads with these dates any more).
        schema_editor.execute(
            "UPDATE petitions_petition SET "
            "due_at = CASE WHEN due_date IS NOT NULL "
            "THEN ((due_date + 1)::timestamp AT TIME ZONE %s) - interval '1 microsecond' END, "
            "reply_due_at = CASE WHEN reply_due IS NOT NULL "
            "THEN ((reply_due + 1)::timestamp AT TIME ZONE %s) - interval '1 microsecond' END "
            "WHERE due_date IS NOT NULL OR reply_due IS NOT NULL",
            [settings.TIME_ZONE, settings.TIME_ZONE],
        )
        return
    Petition = apps.get_model("petitions", "Petition")
    for field in ("due_date", "reply_due"):  # elsewhere (SQLite, small), one UPDATE per day
        target = "due_at" if field == "due_date" else "reply_due_at"
        days = Petition.objects.filter(**{f"{field}__isnull": False}).values_list(field, flat=True).distinct()
        for day in list(days.order_by()):
            end = timezone.make_aware(dt.datetime.combine(day, dt.time.max))
            Petition.objects.filter(**{field: day}).update(**{target: end})


class Migration(migrations.Migration):
    dependencies = [("petitions", "0012_desk_triage_urgency_deadlines")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
