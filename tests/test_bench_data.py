"""The benchmark's data set is written in SQL (bench/generate.sql) for speed, so it names the
models' columns by hand: it is built here at a tiny scale on every CI run, so a model change
that it does not follow fails the build instead of the next benchmark."""

from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="the benchmark's data set is PostgreSQL SQL: set DATABASE_URL=postgres://…",
    ),
]


@pytest.mark.django_db
def test_the_benchmark_data_set_still_fits_the_models():
    sql = (ROOT / "bench" / "generate.sql").read_text().replace(":scale", "0.0002")
    with connection.cursor() as cursor:
        cursor.execute(sql)
    # Every row it wrote reads back through its model, field by field.
    for model in apps.get_models():
        if model._meta.app_label in ("points", "deputies", "petitions", "scoring"):
            list(model._default_manager.all()[:5])
    Petition = apps.get_model("petitions", "Petition")
    assert Petition.objects.count() == 200
    assert apps.get_model("points", "LiaisonPoint").objects.count() == 5000
