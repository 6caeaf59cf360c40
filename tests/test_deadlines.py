"""Urgency and deadline rules: hours around the clock, working days over holidays, the rule
for a category before the rule for any, the desk's order and escalation by the hour."""

import datetime as dt
import importlib
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from liaison.core import roles
from petitions import services
from petitions.deadlines import deadline, limit
from petitions.desk import waiting_for
from petitions.escalation import escalation_scan
from petitions.models import Category, DeadlineRule, Petition, Stage, Status, Urgency
from petitions.workflow import ENTERPRISE_ACTOR

from .factories import PetitionFactory

TZ = ZoneInfo("Asia/Shanghai")
RULES = "/admin/petitions/deadlinerule/"
DO = "/admin/petitions/petition/{}/do/{}/"


@pytest.fixture(autouse=True)
def starting_rules(db):
    """The rules the migration seeds: a test database flushed by a transactional test elsewhere
    in the same process has lost them."""
    seeded = importlib.import_module("petitions.migrations.0002_starting_rules_and_postgres_tuning")
    for urgency, stage, amount, unit in seeded.rules():
        DeadlineRule.objects.get_or_create(
            category="", urgency=urgency, stage=stage, defaults={"amount": amount, "unit": unit}
        )


def at(y, m, d, h=9, mi=0):
    return dt.datetime(y, m, d, h, mi, tzinfo=TZ)


def end_of(y, m, d):
    return dt.datetime.combine(dt.date(y, m, d), dt.time.max, tzinfo=TZ)


@pytest.mark.django_db
class TestRules:
    def test_seeded_rules_follow_the_hotline_pattern(self):
        assert limit(category=Category.POLICY, urgency=Urgency.CRITICAL, stage=Stage.ACCEPT) == (2, "hours")
        assert limit(category=Category.POLICY, urgency=Urgency.URGENT, stage=Stage.HANDLE) == (24, "hours")
        assert limit(category=Category.POLICY, urgency=Urgency.NORMAL, stage=Stage.REPLY) == (10, "workdays")

    def test_a_category_rule_beats_the_rule_for_any_category(self):
        DeadlineRule.objects.create(
            category=Category.FINANCE, urgency=Urgency.NORMAL, stage=Stage.ACCEPT, amount=3, unit="hours"
        )
        start = at(2026, 11, 2)
        assert deadline(category=Category.FINANCE, urgency="normal", stage="accept", start=start) == at(2026, 11, 2, 12)
        assert deadline(category=Category.POLICY, urgency="normal", stage="accept", start=start) == end_of(2026, 11, 3)

    def test_without_any_rule_the_settings_working_days_apply(self, settings):
        DeadlineRule.objects.all().delete()
        settings.PETITION_REPLY_WORKDAYS = 2
        assert deadline(category="policy", urgency="critical", stage="reply", start=at(2026, 11, 2)) == end_of(
            2026, 11, 4
        )

    def test_hours_run_through_a_holiday_and_the_night(self, world):
        # 1 October 2026 is National Day: a critical request is due two clock hours later anyway.
        petition = PetitionFactory(point=world.point, urgency=Urgency.CRITICAL, now=at(2026, 10, 1, 23, 30))
        assert petition.due_at == at(2026, 10, 2, 1, 30)
        assert petition.due_date == dt.date(2026, 10, 2)

    def test_working_days_skip_the_spring_festival(self, world):
        # Friday 13 February 2026; Saturday 14th is worked (调休), 15–23 February are off.
        petition = PetitionFactory(point=world.point, now=at(2026, 2, 13, 16))
        assert petition.due_at == end_of(2026, 2, 14)
        petition = services.petition_accept(petition=petition, actor=world.deputy, now=at(2026, 2, 14, 10))
        assert petition.due_date == dt.date(2026, 2, 26)  # 24, 25, 26 February
        assert petition.urgency == Urgency.NORMAL

    def test_dispatch_of_an_urgent_request_counts_sign_in_hours_and_reply_in_days(self, world):
        petition = PetitionFactory(point=world.point, now=at(2026, 9, 30, 20))
        petition = services.petition_accept(
            petition=petition, actor=world.deputy, urgency=Urgency.URGENT, now=at(2026, 9, 30, 21)
        )
        assert petition.due_at == at(2026, 10, 1, 21)  # 24 clock hours, into the holiday
        petition = services.petition_dispatch(
            petition=petition, actor=world.deputy, department=world.department, now=at(2026, 10, 1, 8)
        )
        assert petition.due_at == at(2026, 10, 2, 8)  # sign within 24 hours
        # 5 working days after the Golden Week: 8, 9, 10 (调休 Saturday), 12, 13 October.
        assert petition.reply_due_at == end_of(2026, 10, 13)
        assert petition.reply_due == dt.date(2026, 10, 13)
        petition = services.petition_sign(petition=petition, actor=world.handler, now=at(2026, 10, 1, 9))
        assert petition.due_at == petition.reply_due_at and petition.due_date == dt.date(2026, 10, 13)

    def test_raising_the_urgency_counts_the_stage_again_from_its_start(self, world):
        petition = PetitionFactory(point=world.point, now=at(2026, 11, 2, 9))
        petition = services.petition_accept(petition=petition, actor=world.deputy, now=at(2026, 11, 2, 10))
        assert petition.due_date == dt.date(2026, 11, 5)
        petition = services.petition_set_urgency(
            petition=petition, actor=world.deputy, urgency=Urgency.CRITICAL, now=at(2026, 11, 2, 11)
        )
        assert petition.urgency == Urgency.CRITICAL
        assert petition.due_at == at(2026, 11, 2, 12)  # two hours from the acceptance
        event = petition.events.last()
        assert event.action == "set_urgency" and not event.public


@pytest.mark.django_db
class TestOrderAndEscalation:
    def test_the_list_puts_the_most_urgent_first_then_the_nearest_deadline(self, client, world):
        late_normal = PetitionFactory(point=world.point, title="一般晚", now=at(2026, 11, 2, 9))
        early_normal = PetitionFactory(point=world.point, title="一般早", now=at(2026, 10, 30, 9))
        urgent = PetitionFactory(point=world.point, title="紧急", urgency=Urgency.URGENT, now=at(2026, 11, 2, 9))
        critical = PetitionFactory(point=world.point, title="特急", urgency=Urgency.CRITICAL, now=at(2026, 11, 2, 9))
        closed = PetitionFactory(point=world.point, title="已驳回", urgency=Urgency.CRITICAL, now=at(2026, 11, 2, 9))
        services.petition_reject(petition=closed, actor=world.deputy, reason="重复")
        expected = [critical.pk, urgent.pk, early_normal.pk, late_normal.pk, closed.pk]
        assert list(Petition.objects.by_urgency().values_list("pk", flat=True)) == expected
        client.force_login(world.deputy)
        for work_list in ("waiting=new", "status__exact=submitted", "deadline=overdue"):
            body = client.get(f"/admin/petitions/petition/?{work_list}").content.decode()
            positions = [body.index(f"/admin/petitions/petition/{pk}/change/") for pk in expected[:4]]
            assert positions == sorted(positions), work_list
        assert "特急" in body and "紧急" in body
        # The whole archive stays newest first (the index walks it; docs/performance.md).
        body = client.get("/admin/petitions/petition/").content.decode()
        positions = [body.index(f"/admin/petitions/petition/{pk}/change/") for pk in (closed.pk, late_normal.pk)]
        assert positions == sorted(positions)

    def test_an_urgent_request_escalates_once_its_hours_pass(self, world):
        petition = PetitionFactory(point=world.point, urgency=Urgency.URGENT, now=at(2026, 11, 2, 9))
        assert petition.due_at == at(2026, 11, 2, 13)  # accept within 4 hours
        assert escalation_scan(now=at(2026, 11, 2, 12, 59)) == {3: 0, 2: 0, 1: 0}
        assert escalation_scan(now=at(2026, 11, 2, 13, 1)) == {3: 0, 2: 0, 1: 1}
        petition.refresh_from_db()
        assert petition.escalation_level == 1
        # Level 2 still counts working days from the deadline's day.
        assert escalation_scan(now=at(2026, 11, 5, 13)) == {3: 0, 2: 0, 1: 0}
        assert escalation_scan(now=at(2026, 11, 6, 9))[2] == 1

    def test_overdue_and_due_today_count_to_the_minute(self, world):
        urgent = PetitionFactory(point=world.point, urgency=Urgency.URGENT, now=at(2026, 11, 2, 9))
        normal = PetitionFactory(point=world.point, now=at(2026, 11, 1, 9))  # due at the end of 2 November
        assert set(Petition.objects.due_today(at(2026, 11, 2, 12))) == {urgent, normal}
        assert set(Petition.objects.overdue(at(2026, 11, 2, 14))) == {urgent}
        assert set(Petition.objects.due_today(at(2026, 11, 2, 14))) == {normal}

    def test_the_desk_counts_an_urgent_request_overdue_within_the_day(self, world):
        PetitionFactory(point=world.point, urgency=Urgency.URGENT, now=at(2026, 11, 2, 9))
        counts = {row["key"]: row["count"] for row in waiting_for(world.deputy, at(2026, 11, 2, 12))}
        assert counts["due_today"] == 1 and counts["overdue"] == 0
        counts = {row["key"]: row["count"] for row in waiting_for(world.deputy, at(2026, 11, 2, 14))}
        assert counts["due_today"] == 0 and counts["overdue"] == 1


@pytest.mark.django_db
class TestWhoMaySetThem:
    def test_handler_deputy_and_office_staff_cannot_edit_rules(self, client, world):
        rule = DeadlineRule.objects.first()
        for user in (world.handler, world.deputy, world.office):  # shared by every office
            client.force_login(user)
            assert client.post(f"{RULES}add/", {"urgency": "normal", "stage": "accept"}).status_code == 403
            assert client.post(f"{RULES}{rule.pk}/change/", {"amount": 1}).status_code == 403
        client.force_login(world.handler)
        assert client.get(RULES).status_code == 403  # nor read them: they are the points' business

    def test_the_reference_keeper_edits_rules_and_a_bad_amount_is_told_in_chinese(self, client, world):
        world.office.groups.add(Group.objects.get(name=roles.REFERENCE_KEEPER))
        client.force_login(world.office)
        data = {"category": "finance", "urgency": "urgent", "stage": "reply", "unit": "hours"}
        response = client.post(f"{RULES}add/", {**data, "amount": "0"})
        assert response.status_code == 200
        assert "确保该值大于或等于" in response.content.decode()
        response = client.post(f"{RULES}add/", {**data, "amount": "abc"})
        assert "输入整数" in response.content.decode()
        assert client.post(f"{RULES}add/", {**data, "amount": "48"}).status_code == 302
        assert DeadlineRule.objects.get(category="finance", urgency="urgent", stage="reply").amount == 48

    def test_the_same_rule_twice_is_refused(self):
        rule = DeadlineRule(category="", urgency="normal", stage="accept", amount=1, unit="workdays")
        with pytest.raises(ValidationError):
            rule.full_clean()

    def test_only_triage_sets_urgency_and_a_bad_value_is_refused(self, client, world, petition):
        with pytest.raises(services.TransitionRefused):
            services.petition_set_urgency(petition=petition, actor=world.outsider_deputy, urgency="urgent")
        with pytest.raises(services.TransitionRefused):
            services.petition_set_urgency(petition=petition, actor=ENTERPRISE_ACTOR, urgency="urgent")
        with pytest.raises(services.TransitionRefused):
            services.petition_set_urgency(petition=petition, actor=world.deputy, urgency="whenever")
        client.force_login(world.deputy)
        response = client.post(DO.format(petition.pk, "set_urgency"), {"urgency": "whenever"})
        assert response.status_code == 400 and "选择一个有效的选项" in response.content.decode()
        page = client.get(DO.format(petition.pk, "accept")).content.decode()
        assert all(label in page for label in ("一般", "紧急", "特急", "紧急程度"))
        response = client.post(DO.format(petition.pk, "accept"), {"urgency": "critical"})
        assert response.status_code == 302
        petition.refresh_from_db()
        assert petition.status == Status.ACCEPTED and petition.urgency == Urgency.CRITICAL

    def test_the_api_accepts_with_an_urgency(self, client, world, petition):
        client.force_login(world.deputy)
        url = f"/api/v1/requests/{petition.pk}/accept/"
        response = client.post(url, {"urgency": "soon"}, content_type="application/json")
        assert response.status_code == 400
        response = client.post(url, {"urgency": "urgent"}, content_type="application/json")
        assert response.status_code == 200, response.content
        petition.refresh_from_db()
        assert petition.urgency == Urgency.URGENT
        assert client.get(f"/api/v1/requests/{petition.pk}/").json()["urgency"] == "urgent"
