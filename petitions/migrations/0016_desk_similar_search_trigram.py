"""pg_trgm, and one trigram index over the text the work desk and the API search.

PostgreSQL only: ``TrigramExtension`` does nothing on other databases, and the index is added
by SQL for the same reason (GIN is PostgreSQL's). It is not in ``Petition.Meta`` so that SQLite
builds the same tables. Its expression is ``querysets.SearchText``'s SQL, which must stay equal
to it for PostgreSQL to use the index (``tests/test_search.py`` checks the plan).
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

CREATE = (
    "CREATE INDEX petition_search_trgm ON petitions_petition USING gin "
    "(UPPER(number || ' ' || title || ' ' || enterprise_name || ' ' || content) gin_trgm_ops)"
)


def add_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def remove_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS petition_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("petitions", "0015_desk_triage_reply_letters")]

    operations = [TrigramExtension(), migrations.RunPython(add_index, remove_index)]
