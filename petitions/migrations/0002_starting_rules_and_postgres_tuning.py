"""What the models cannot say: the starting deadline rules (12345-style), and PostgreSQL's own
tuning — autovacuum for the large, busy tables and pg_trgm with one trigram index for search.

On other databases the PostgreSQL parts do nothing: ``TrigramExtension`` checks the vendor, the
rest checks it below. The trigram index is not in ``Petition.Meta`` so that SQLite builds the same
tables; its expression is ``querysets.SearchText``'s SQL, which must stay equal to it for
PostgreSQL to use the index (``tests/test_search.py`` checks the plan).
"""

from django.conf import settings
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

HOURS, WORKDAYS = "hours", "workdays"


def rules():
    """Normal requests keep the limits the settings give (working days); urgent and critical
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


def seed_rules(apps, schema_editor):
    DeadlineRule = apps.get_model("petitions", "DeadlineRule")
    for urgency, stage, amount, unit in rules():
        DeadlineRule.objects.get_or_create(
            category="", urgency=urgency, stage=stage, defaults={"amount": amount, "unit": unit}
        )


TUNED = ["petitions_petition", "petitions_petitionevent", "core_notification"]


def tune(apps, schema_editor, scale=0.02):
    """Vacuum the large, busy tables after 2 % of their rows changed instead of 20 %: lists count
    rows with index-only scans, which need a fresh visibility map to skip the table."""
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TUNED:
        schema_editor.execute(
            f"ALTER TABLE {schema_editor.quote_name(table)} SET "
            f"(autovacuum_vacuum_scale_factor = {scale}, autovacuum_vacuum_insert_scale_factor = {scale}, "
            f"autovacuum_analyze_scale_factor = {scale})"
        )


def untune(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TUNED:
        schema_editor.execute(
            f"ALTER TABLE {schema_editor.quote_name(table)} RESET (autovacuum_vacuum_scale_factor, "
            "autovacuum_vacuum_insert_scale_factor, autovacuum_analyze_scale_factor)"
        )


SEARCH_INDEX = (
    "CREATE INDEX petition_search_trgm ON petitions_petition USING gin "
    "(UPPER(number || ' ' || title || ' ' || enterprise_name || ' ' || content) gin_trgm_ops)"
)


def add_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SEARCH_INDEX)


def remove_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS petition_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("petitions", "0001_initial"), ("core", "0001_initial")]

    operations = [
        migrations.RunPython(seed_rules, migrations.RunPython.noop),
        migrations.RunPython(tune, untune),
        TrigramExtension(),
        migrations.RunPython(add_search_index, remove_search_index),
    ]
