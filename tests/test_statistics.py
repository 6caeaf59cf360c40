"""Statistics for 考核: the monthly trend, the department and point rankings, their scope,
exports and print views, checked against a direct count over random histories."""

import csv
import datetime as dt
import io
import random

import pytest
from openpyxl import load_workbook

from liaison.core import roles
from petitions import rollups
from petitions.selectors import statistics
from points.models import LiaisonPoint

from .factories import DepartmentFactory, PetitionFactory, UserFactory
from .test_rollups import YEAR, at, direct, random_history

PERIOD = "start=2026-01-01&end=2026-12-31"


def rate(part, whole):
    return round(100 * part / whole, 1) if whole else None


@pytest.mark.django_db
class TestFigures:
    @pytest.mark.parametrize("rolled", [False, True])
    def test_trend_and_rankings_equal_direct_counts(self, world, rolled):
        random_history(world, random.Random(7), 50)
        if rolled:
            rollups.rollup_changed(now=at(dt.date(2026, 11, 25)))
        points = LiaisonPoint.objects.all()
        stats = statistics(points, *YEAR, now=at(dt.date(2026, 11, 25)))
        expected = direct(points, *YEAR)
        assert [row["month"] for row in stats["trend"]] == [dt.date(2026, m, 1) for m in range(1, 13)]
        for row in stats["trend"]:
            cell = expected["month"].get((row["month"],))
            if cell is None:
                assert row["received"] == 0 and row["on_time_rate"] is None
                continue
            assert (row["received"], row["resolved"]) == (cell["received"], cell["resolved"])
            assert row["on_time_rate"] == rate(cell["on_time"], cell["resolved"])
            rated = cell["satisfied"] + cell["basic"] + cell["unsatisfied"]
            assert row["satisfaction_rate"] == rate(cell["satisfied"] + cell["basic"], rated)
        departments = {row["name"]: row for row in stats["departments"]}
        assert departments, "the random history dispatches requests"
        for (department_id,), cell in expected["department"].items():
            if department_id is None or not cell["dispatched"]:
                continue
            row = next(r for r in stats["departments"] if r["name"] == _department_name(department_id))
            assert row["signed_on_time_rate"] == rate(cell["signed_on_time"], cell["dispatched"])
            assert row["replied_on_time_rate"] == rate(cell["replied_on_time"], cell["dispatched"])
            assert row["reopen_rate"] == rate(cell["reopened"], cell["received"])
        assert [row["rank"] for row in stats["points"]] == [1, 2]
        for row in stats["points"]:
            point = LiaisonPoint.objects.get(name=row["name"])
            cell = expected["point"][(point.pk,)]
            assert (row["received"], row["resolved"]) == (cell["received"], cell["resolved"])
            assert row["on_time_rate"] == rate(cell["on_time"], cell["resolved"])
        ranked = [row["on_time_rate"] if row["on_time_rate"] is not None else -1 for row in stats["points"]]
        assert ranked == sorted(ranked, reverse=True)


def _department_name(pk):
    from petitions.models import Department

    return Department.objects.get(pk=pk).name


@pytest.fixture
def dispatched_both(world):
    """A request dispatched at each point, each to a department of its own office."""
    random_history(world, random.Random(11), 30)


@pytest.mark.django_db
class TestPageScopeAndExports:
    def test_office_sees_only_its_points_and_departments(self, client, world, dispatched_both):
        client.force_login(world.office)
        response = client.get(f"/statistics/?{PERIOD}")
        body = response.content.decode()
        assert response.status_code == 200
        assert world.department.name in body and world.point.name in body
        assert world.other_department.name not in body and world.other_point.name not in body
        for testid in ("trend-counts", "trend-rates", "trend-table", "department-ranking", "point-ranking"):
            assert f'data-testid="{testid}"' in body
        assert "按时签收率（%）" in body and "重办率（%）" in body

    def test_another_office_sees_none_of_these_figures(self, client, world, dispatched_both):
        stranger = UserFactory(username="office2", groups=[roles.OFFICE_STAFF])
        world.other_point.organisation.staff.add(stranger)
        client.force_login(stranger)
        response = client.get(f"/statistics/?{PERIOD}")
        body = response.content.decode()
        assert world.department.name not in body and world.point.name not in body
        assert world.other_department.name in body and world.other_point.name in body
        export = client.get(f"/ledgers/department-ranking/export.csv?{PERIOD}")
        assert world.department.name not in b"".join(export.streaming_content).decode()

    def test_ranking_exports_carry_the_headers_and_rows(self, client, world, dispatched_both):
        client.force_login(world.office)
        response = client.get(f"/ledgers/department-ranking/export.csv?{PERIOD}")
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
        assert rows[0] == [
            "序号",
            "名次",
            "承办单位",
            "交办诉求",
            "按时签收率（%）",
            "按时答复率（%）",
            "重办率（%）",
            "满意率（%）",
        ]
        assert world.department.name in {row[2] for row in rows[1:]}
        assert world.other_department.name not in {row[2] for row in rows[1:]}
        response = client.get(f"/ledgers/monthly-trend/export.xlsx?{PERIOD}")
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        values = list(sheet.values)
        assert values[1][:3] == ("序号", "月份", "收到诉求")
        assert [row[1] for row in values[2:]] == [f"2026-{m:02d}" for m in range(1, 13)]
        response = client.get(f"/ledgers/point-ranking/?{PERIOD}")
        body = response.content.decode()
        assert 'data-testid="ledger-title">活动点考核排名<' in body and world.point.name in body

    def test_a_department_name_that_looks_like_a_formula_is_exported_as_text(self, client, world):
        hostile = DepartmentFactory(name='=HYPERLINK("http://x")', organisation=world.department.organisation)
        hostile.handlers.add(world.handler)
        boss = UserFactory(username="boss2", is_superuser=True, is_staff=True)
        from petitions import services

        p = PetitionFactory(point=world.point, now=at(dt.date(2026, 3, 2), 9))
        services.petition_accept(petition=p, actor=boss, now=at(dt.date(2026, 3, 2), 10))
        services.petition_dispatch(petition=p, actor=boss, department=hostile, now=at(dt.date(2026, 3, 2), 11))
        client.force_login(world.office)
        response = client.get(f"/ledgers/department-ranking/export.csv?{PERIOD}")
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
        assert rows[1][2].startswith("'=")

    def test_bad_dates_are_a_clear_error_not_a_failure(self, client, world):
        client.force_login(world.office)
        for query in (
            "start=2026-13-01&end=2026-12-31",
            "start=x&end=y",
            "start=2026-12-31&end=2026-01-01",
            "start=2026-01-01&end=9999-12-31",  # the day after would overflow
            "start=0001-01-01&end=2026-12-31",  # centuries of months
            "point=999999&start=2026-01-01&end=2026-12-31",
            "point=abc",
        ):
            assert client.get(f"/statistics/?{query}").status_code == 400
            assert client.get(f"/ledgers/point-ranking/export.csv?{query}").status_code == 400
        body = client.get("/statistics/?start=2026-01-01&end=9999-12-31").content.decode()
        assert "请选择 2000 年至 2100 年之间的日期" in body
