import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from deputies.models import Activity, Suggestion
from petitions import services
from petitions.escalation import escalation_scan
from petitions.models import Petition, Satisfaction
from petitions.selectors import statistics
from petitions.workflow import ENTERPRISE_ACTOR
from points.models import LiaisonPoint

from .factories import DepartmentFactory, PetitionFactory

TZ = ZoneInfo("Asia/Shanghai")
PERIOD = "start=2026-01-01&end=2026-12-31"


def at(y, m, d, h=10):
    return dt.datetime(y, m, d, h, tzinfo=TZ)


@pytest.fixture
def history(world):
    """A small, hand-countable year at the world's point."""
    transport = world.department
    education = DepartmentFactory(name="区教育委员会", organisation=world.department.organisation)
    # 1: dispatched, signed, replied in 6 working days, rated satisfied
    a = PetitionFactory(point=world.point, category="transport", title="通勤班车", now=at(2026, 11, 2))
    services.petition_accept(petition=a, actor=world.deputy, now=at(2026, 11, 2, 11))
    services.petition_dispatch(petition=a, actor=world.deputy, department=transport, now=at(2026, 11, 2, 12))
    services.petition_sign(petition=a, actor=world.handler, now=at(2026, 11, 3))
    services.petition_reply(petition=a, actor=world.handler, result="增开班次", now=at(2026, 11, 10))
    services.petition_rate(
        petition=a, actor=ENTERPRISE_ACTOR, satisfaction=Satisfaction.SATISFIED, now=at(2026, 11, 11)
    )
    # 2: resolved on site the next working day, rated basically satisfied
    b = PetitionFactory(point=world.point, category="policy", title="政策咨询", now=at(2026, 11, 4))
    services.petition_accept(petition=b, actor=world.deputy, now=at(2026, 11, 4, 11))
    services.petition_resolve_on_site(petition=b, actor=world.deputy, result="现场解答", now=at(2026, 11, 5))
    services.petition_rate(petition=b, actor=ENTERPRISE_ACTOR, satisfaction=Satisfaction.BASIC, now=at(2026, 11, 6))
    # 3: dispatched to education, still open and long overdue (escalated)
    c = PetitionFactory(point=world.point, category="education", title="子女入学", now=at(2026, 9, 1))
    services.petition_accept(petition=c, actor=world.deputy, now=at(2026, 9, 1, 11))
    services.petition_dispatch(petition=c, actor=world.deputy, department=education, now=at(2026, 9, 1, 12))
    escalation_scan(now=at(2026, 10, 20))
    # 4: rejected
    d = PetitionFactory(point=world.point, category="policy", title="重复反映", now=at(2026, 11, 6))
    services.petition_reject(petition=d, actor=world.deputy, reason="重复", now=at(2026, 11, 6, 11))
    # elsewhere, and last year: not counted
    PetitionFactory(point=world.other_point, now=at(2026, 11, 6))
    PetitionFactory(point=world.point, now=at(2025, 12, 30))
    Activity.objects.create(point=world.point, kind="inspection", title="集中视察", date=dt.date(2026, 5, 1))
    Suggestion.objects.create(point=world.point, title="关于通勤的建议", filed_on=dt.date(2026, 6, 1))
    return a, b, c, d


@pytest.mark.django_db
class TestStatistics:
    def test_figures_equal_a_hand_count(self, world, history):
        stats = statistics(
            LiaisonPoint.objects.filter(pk=world.point.pk),
            dt.date(2026, 1, 1),
            dt.date(2026, 12, 31),
            now=at(2026, 11, 25),
        )
        t = stats["totals"]
        assert (t["received"], t["accepted"], t["resolved_on_site"], t["dispatched"], t["resolved"]) == (4, 3, 1, 2, 2)
        assert t["on_time"] == 2 and t["on_time_rate"] == 100.0
        # Overdue is today's state of the point, whenever submitted: last year's open request too.
        assert t["overdue"] == 2 and t["open"] == 1 and t["rejected"] == 1
        # "Overdue now" as the work desk counts it: past the deadline's hour, not the next day.
        due_this_morning = PetitionFactory(point=world.point, now=at(2026, 11, 25, 8))
        due = {"due_at": at(2026, 11, 25, 9), "due_date": dt.date(2026, 11, 25)}
        Petition.objects.filter(pk=due_this_morning.pk).update(**due)
        points = LiaisonPoint.objects.filter(pk=world.point.pk)
        overdue = statistics(points, dt.date(2026, 1, 1), dt.date(2026, 12, 31), now=at(2026, 11, 25))["totals"]
        assert overdue["overdue"] == 3 == Petition.objects.filter(point__in=points).overdue(at(2026, 11, 25)).count()
        # (6 working days for a: 2→10 Nov; 1 for b: 4→5 Nov) / 2
        assert t["average_workdays"] == 3.5
        assert (t["satisfied"], t["basic"], t["unsatisfied"], t["satisfaction_rate"]) == (1, 1, 0, 100.0)
        assert (t["people"], t["inspections"], t["suggestions"]) == (3, 1, 1)
        assert [(r["label"], r["value"]) for r in stats["by_category"]["rows"]] == [
            ("政策与审批", 2),
            ("职工子女入学", 1),
            ("交通与物流", 1),
        ]
        assert [(r["label"], r["value"], r["resolved"]) for r in stats["by_department"]["rows"]] == [
            ("区交通局", 1, 1),
            ("区教育委员会", 1, 0),
        ]

    def test_demo_data_shows_the_source_figures(self, client, db):
        call_command("load_demo", stdout=io.StringIO())
        stats = statistics(LiaisonPoint.objects.all(), dt.date(2000, 1, 1), dt.date(2100, 1, 1))["totals"]
        assert (stats["people"], stats["inspections"], stats["received"], stats["resolved"], stats["suggestions"]) == (
            17,
            2,
            7,
            6,
            8,
        )

    def test_page_renders_with_charts_and_constant_queries(self, client, world, history):
        client.force_login(world.office)
        with CaptureQueriesContext(connection) as few:
            response = client.get(f"/statistics/?{PERIOD}")
        assert response.status_code == 200
        body = response.content.decode()
        assert "<svg" in body and "区交通局" in body
        for n in range(15):
            PetitionFactory(point=world.point, category="labour", now=at(2026, 10, 1 + n))
        with CaptureQueriesContext(connection) as many:
            client.get(f"/statistics/?{PERIOD}")
        assert len(many) == len(few)

    def test_bad_period_is_a_clear_error(self, client, world):
        client.force_login(world.office)
        response = client.get("/statistics/?start=2026-12-31&end=2026-01-01")
        assert response.status_code == 400 and "开始" in response.content.decode()


@pytest.mark.django_db
class TestLedgers:
    def test_print_view_has_the_header_fields_rows_and_signatures(self, client, world, history):
        client.force_login(world.office)
        response = client.get(f"/ledgers/requests/?point={world.point.pk}&{PERIOD}")
        body = response.content.decode()
        assert response.status_code == 200
        assert 'data-testid="ledger-title">企业诉求台账<' in body
        assert f'data-testid="ledger-point">{world.point.name}<' in body
        assert 'data-testid="ledger-period">2026-01-01 至 2026-12-31<' in body
        for column in (
            "序号",
            "受理编号",
            "受理日期",
            "渠道",
            "企业",
            "类别",
            "诉求摘要",
            "受理代表",
            "承办单位",
            "交办日期",
            "办理时限",
            "办结日期",
            "办理结果",
            "满意度",
            "状态",
        ):
            assert f"<th>{column}</th>" in body
        for petition in history:
            assert petition.number in body
        assert "制表人" in body and "审核人" in body
        assert "ledger.css" in body

    def test_xlsx_cells_widths_frozen_header_and_dates(self, client, world, history):
        client.force_login(world.office)
        response = client.get(f"/ledgers/requests/export.xlsx?point={world.point.pk}&{PERIOD}")
        assert response.status_code == 200
        assert "attachment" in response["Content-Disposition"]
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        assert sheet.freeze_panes == "A3"
        assert sheet["B2"].value == "受理编号" and sheet["A2"].value == "序号"
        first = [c.value for c in sheet[3]]
        a = history[2]  # the oldest request comes first
        assert first[0] == 1 and first[1] == a.number
        assert isinstance(first[2], dt.datetime) and first[2].date() == dt.date(2026, 9, 1)
        assert first[8] == "区教育委员会"
        assert sheet.column_dimensions["G"].width == 36
        assert sheet.max_row == 2 + 4

    def test_csv_opens_in_excel_with_chinese(self, client, world, history):
        client.force_login(world.office)
        response = client.get(f"/ledgers/requests/export.csv?point={world.point.pk}&{PERIOD}")
        raw = b"".join(response.streaming_content)
        assert raw.startswith("\ufeff".encode())
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        assert rows[0][:3] == ["序号", "受理编号", "受理日期"]
        assert len(rows) == 5 and rows[1][1] == history[2].number and rows[1][12] == ""

    def test_dates_are_the_local_day(self, client, world):
        late = PetitionFactory(point=world.point, now=dt.datetime(2026, 11, 3, 0, 30, tzinfo=TZ))  # 2 Nov in UTC
        client.force_login(world.office)
        raw = b"".join(client.get(f"/ledgers/requests/export.csv?point={world.point.pk}&{PERIOD}").streaming_content)
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        assert rows[1][1:3] == [late.number, "2026-11-03"]

    @pytest.mark.parametrize("slug", ["reception-days", "activities", "suggestions", "performance-points"])
    def test_every_ledger_prints_and_exports(self, client, world, history, slug):
        from deputies.services import reception_days_generate
        from scoring.services import score_sync

        reception_days_generate(today=dt.date(2026, 11, 1))
        score_sync()
        client.force_login(world.office)
        assert client.get(f"/ledgers/{slug}/?{PERIOD}").status_code == 200
        sheet = load_workbook(
            io.BytesIO(b"".join(client.get(f"/ledgers/{slug}/export.xlsx?{PERIOD}").streaming_content))
        ).active
        assert sheet.max_row >= 3
        csv_rows = b"".join(client.get(f"/ledgers/{slug}/export.csv?{PERIOD}").streaming_content).decode("utf-8-sig")
        assert len(csv_rows.splitlines()) == sheet.max_row - 1

    def test_scope_and_permissions(self, client, world, history):
        client.force_login(world.office)
        body = client.get(f"/ledgers/requests/?point={world.other_point.pk}&{PERIOD}").content.decode()
        assert "选择一个有效的选项" in body
        client.force_login(world.handler)
        assert client.get(f"/ledgers/reception-days/?{PERIOD}").status_code == 403
        client.logout()
        assert client.get(f"/ledgers/requests/?{PERIOD}").status_code == 302

    def test_print_view_queries_do_not_grow(self, client, world, history):
        client.force_login(world.office)
        with CaptureQueriesContext(connection) as few:
            client.get(f"/ledgers/requests/?{PERIOD}")
        for n in range(20):
            PetitionFactory(point=world.point, now=at(2026, 10, 1 + n))
        with CaptureQueriesContext(connection) as many:
            client.get(f"/ledgers/requests/?{PERIOD}")
        assert len(many) == len(few)
