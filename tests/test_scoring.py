import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deputies.models import Activity, DutyAssignment, ReceptionDay, Suggestion
from deputies.services import (
    activity_hold,
    activity_record,
    reception_day_hold,
    reception_day_sign_in,
    reception_days_generate,
    suggestion_answer,
    suggestion_assign,
    suggestion_rate,
    suggestion_submit,
)
from liaison.core.steps import StepRefused
from petitions import services
from petitions.escalation import escalation_scan
from petitions.models import Petition, Satisfaction, Status
from petitions.workflow import ENTERPRISE_ACTOR
from scoring.models import ScoreEvent, ScoringRule
from scoring.rules import DEFAULT_RULES
from scoring.services import score_rebuild, score_sync

from .factories import PetitionFactory

TZ = ZoneInfo("Asia/Shanghai")


def at(y, m, d, h=10):
    return dt.datetime(y, m, d, h, tzinfo=TZ)


def snapshot():
    return sorted(
        ScoreEvent.objects.values_list("person_id", "rule__code", "source_type", "source_id", "points", "occurred_on")
    )


def codes_for(person):
    return sorted(ScoreEvent.objects.filter(person=person).values_list("rule__code", flat=True))


@pytest.mark.django_db
class TestRules:
    def test_default_rules_are_seeded(self):
        assert set(ScoringRule.objects.values_list("code", flat=True)) == {code for code, _d, _p in DEFAULT_RULES}

    def test_request_rules_fire_once_per_source(self, world):
        deputy = world.deputy.person
        petition = PetitionFactory(point=world.point, now=at(2026, 11, 2))
        services.petition_accept(petition=petition, actor=world.deputy, now=at(2026, 11, 2, 15))
        services.petition_resolve_on_site(petition=petition, actor=world.deputy, result="现场解决", now=at(2026, 11, 3))
        services.petition_rate(petition=petition, actor=ENTERPRISE_ACTOR, satisfaction=Satisfaction.SATISFIED)
        assert score_sync() == 3
        assert score_sync() == 0
        assert codes_for(deputy) == ["accepted_on_time", "closed_satisfied", "resolved_on_site"]
        assert sum(ScoreEvent.objects.filter(person=deputy).values_list("points", flat=True)) == 2 + 5 + 3

    def test_late_acceptance_earns_nothing_and_overdue_costs(self, world):
        petition = PetitionFactory(point=world.point, now=at(2026, 11, 2))  # accept due 3 November
        services.petition_accept(petition=petition, actor=world.deputy, now=at(2026, 11, 5))
        escalation_scan(now=at(2026, 11, 20))  # the handling stage ran out while still with the deputy
        score_sync()
        assert codes_for(world.deputy.person) == ["overdue_caused"]
        assert ScoreEvent.objects.get().points == -2

    def test_only_held_days_signed_in_to_count(self, world):
        reception_days_generate(today=dt.date(2026, 12, 1), months=2)
        day = ReceptionDay.objects.get(point=world.point, month=dt.date(2026, 12, 1))
        reception_day_sign_in(day=day, actor=world.head, now=at(2026, 12, 15, 9))
        score_sync()
        assert not ScoreEvent.objects.exists()  # signed in, but the day is not recorded as held
        reception_day_hold(day=day, actor=world.head, summary="企业反映用工问题", now=at(2026, 12, 15, 17))
        score_sync()
        by_person = dict(ScoreEvent.objects.values_list("person__user__username", "points"))
        assert by_person.pop("head") == 5
        assert set(by_person.values()) == {-3}  # rostered, held, never signed in
        # January's day lies ahead: nothing can be signed or held for it yet.
        january = ReceptionDay.objects.get(point=world.point, month=dt.date(2027, 1, 1))
        with pytest.raises(StepRefused):
            reception_day_sign_in(day=january, actor=world.head, now=at(2026, 12, 15, 9))
        with pytest.raises(StepRefused):
            reception_day_hold(day=january, actor=world.head, summary="x", now=at(2026, 12, 15, 17))
        assert not ScoreEvent.objects.filter(source_id__in=january.assignments.values("pk")).exists()

    def test_suggestions_on_submission_and_on_a_satisfied_rating(self, world):
        deputy = world.deputy.person
        suggestion = Suggestion.objects.create(point=world.point, title="关于优化通勤的建议")
        suggestion.authors.set([deputy])
        score_sync()
        assert codes_for(deputy) == []  # a draft earns nothing
        suggestion_submit(
            suggestion=suggestion,
            actor=world.deputy,
            addressed_unit="区交通局",
            filed_on=dt.date(2026, 3, 1),
            now=at(2026, 3, 1),
        )
        suggestion_assign(suggestion=suggestion, actor=world.head, handling_unit="区交通局", now=at(2026, 3, 2))
        suggestion_answer(
            suggestion=suggestion,
            actor=world.head,
            answered_on=dt.date(2026, 4, 1),
            response="已增开班次",
            answer_letter=ContentFile(b"%PDF-1.4", name="letter.pdf"),
            now=at(2026, 4, 2),
        )
        score_sync()
        assert codes_for(deputy) == ["suggestion_filed"]
        suggestion_rate(suggestion=suggestion, actor=world.deputy, rating="satisfied", now=at(2026, 4, 3))
        score_sync()
        assert codes_for(deputy) == ["suggestion_filed", "suggestion_satisfied"]

    def test_inspections_only_held_and_attended_and_a_removed_attendee_loses_the_points(self, world):
        deputy, head = world.deputy.person, world.head.person
        inspection = Activity.objects.create(
            point=world.point, kind="inspection", title="视察", date=dt.date(2026, 4, 1)
        )
        inspection.participants.set([deputy, head])
        score_sync()
        assert not ScoreEvent.objects.exists()  # planned: invited is not attended
        activity_hold(
            activity=inspection,
            actor=world.head,
            attendees=[deputy, head],
            findings="企业用工紧张",
            now=at(2026, 4, 1, 17),
        )
        score_sync()
        assert codes_for(deputy) == codes_for(head) == ["inspection_joined"]
        activity_record(activity=inspection, actor=world.head, attendees=[head], findings="企业用工紧张")
        score_sync()
        assert codes_for(deputy) == [] and codes_for(head) == ["inspection_joined"]

    def test_a_reopened_request_loses_its_satisfied_points(self, world):
        petition = PetitionFactory(point=world.point, now=at(2026, 11, 2))
        services.petition_accept(petition=petition, actor=world.deputy, now=at(2026, 11, 2, 15))
        services.petition_resolve_on_site(petition=petition, actor=world.deputy, result="现场解决", now=at(2026, 11, 3))
        services.petition_confirm(petition=petition, actor=world.deputy, now=at(2026, 11, 3, 12))
        services.petition_rate(petition=petition, actor=world.deputy, satisfaction=Satisfaction.SATISFIED)
        score_sync()
        assert "closed_satisfied" in codes_for(world.deputy.person)
        Petition.objects.filter(pk=petition.pk).update(status=Status.IN_PROGRESS)  # as 重办 leaves it
        score_sync()
        assert "closed_satisfied" not in codes_for(world.deputy.person)

    def test_inactive_rule_scores_nothing(self, world):
        ScoringRule.objects.filter(code="inspection_joined").update(active=False)
        inspection = Activity.objects.create(
            point=world.point, kind="inspection", title="视察", date=dt.date(2026, 4, 1)
        )
        inspection.participants.set([world.deputy.person])
        assert score_sync() == 0

    def test_changed_points_apply_after_a_rebuild(self, world):
        petition = PetitionFactory(point=world.point)
        services.petition_accept(petition=petition, actor=world.deputy)
        services.petition_resolve_on_site(petition=petition, actor=world.deputy, result="现场解决")
        score_sync()
        ScoringRule.objects.filter(code="resolved_on_site").update(points=8)
        score_sync()
        assert ScoreEvent.objects.get(rule__code="resolved_on_site").points == 5  # the sync keeps history
        score_rebuild()
        assert ScoreEvent.objects.get(rule__code="resolved_on_site").points == 8


@pytest.mark.django_db
def test_incremental_equals_rebuild_on_a_generated_history(world):
    rng = random.Random(20261125)
    actors = [world.deputy, world.head]
    reception_days_generate(today=dt.date(2026, 9, 1), months=3)
    for n in range(40):
        day = dt.date(2026, 9, 1) + dt.timedelta(days=rng.randrange(60))
        petition = PetitionFactory(point=world.point, now=at(day.year, day.month, day.day, 9))
        actor = rng.choice(actors)
        later = at(day.year, day.month, day.day, 9) + dt.timedelta(hours=rng.choice([2, 30, 100]))
        step = rng.random()
        if step < 0.2:
            services.petition_reject(petition=petition, actor=actor, reason="不属于受理范围", now=later)
        else:
            services.petition_accept(petition=petition, actor=actor, now=later)
            if step < 0.6:
                services.petition_resolve_on_site(petition=petition, actor=actor, result="已答复", now=later)
                satisfaction = rng.choice(list(Satisfaction))
                services.petition_rate(petition=petition, actor=ENTERPRISE_ACTOR, satisfaction=satisfaction, now=later)
        if n % 7 == 0:
            for assignment in DutyAssignment.objects.filter(signed_in_at__isnull=True)[:2]:
                if rng.random() < 0.7:
                    DutyAssignment.objects.filter(pk=assignment.pk).update(attended=True, signed_in_at=later)
            ReceptionDay.objects.filter(date__lte=day).update(status=ReceptionDay.Status.HELD)
            escalation_scan(now=later + dt.timedelta(days=10))
        if n % 10 == 0:
            suggestion = Suggestion.objects.create(
                point=world.point, title=f"建议{n}", filed_on=day, status=Suggestion.Status.SUBMITTED
            )
            suggestion.authors.set([world.deputy.person, world.head.person])
        score_sync()
        score_sync()  # a replay changes nothing
    incremental = snapshot()
    assert len(incremental) > 40
    score_rebuild()
    assert snapshot() == incremental


@pytest.mark.django_db
class TestBoardsAndRecords:
    def scored(self, world):
        petition = PetitionFactory(point=world.point)
        services.petition_accept(petition=petition, actor=world.deputy)
        services.petition_resolve_on_site(petition=petition, actor=world.deputy, result="现场解决")
        other = PetitionFactory(point=world.other_point)
        services.petition_accept(petition=other, actor=world.outsider_deputy)
        score_sync()

    def test_board_shows_the_users_points(self, client, world):
        self.scored(world)
        client.force_login(world.deputy)
        body = client.get("/scores/?period=month").content.decode()
        assert world.point.name in body and world.other_point.name not in body
        assert "李晓梅" in body and "王建平" not in body
        for code in ("byd", "no such"):  # one point, or none; never an error
            response = client.get("/scores/", {"point": code})
            assert response.status_code == 200
            assert (world.point.name in response.content.decode()) == (code == world.point.code), code
        assert client.get("/scores/", {"point": "byd\x00"}).status_code == 400  # refused before any view

    def test_a_deputy_sees_their_own_record_only(self, client, world):
        self.scored(world)
        client.force_login(world.deputy)
        own = client.get(f"/scores/person/{world.deputy.person.pk}/")
        assert own.status_code == 200 and "现场办结诉求" in own.content.decode()
        assert client.get(f"/scores/person/{world.outsider_deputy.person.pk}/").status_code == 403
        assert client.get(f"/scores/person/{world.head.person.pk}/").status_code == 403

    def test_head_and_office_see_their_peoples_records(self, client, world):
        self.scored(world)
        for user in (world.head, world.office):
            client.force_login(user)
            assert client.get(f"/scores/person/{world.deputy.person.pk}/").status_code == 200
            assert client.get(f"/scores/person/{world.outsider_deputy.person.pk}/").status_code == 403

    def test_anonymous_is_sent_to_login(self, client, world):
        assert client.get("/scores/").status_code == 302

    def test_screen_shows_the_points_top(self, client, world):
        self.scored(world)
        panel = client.get(f"/p/{world.point.code}/screen/panel/").content.decode()
        assert "履职积分" in panel and "李晓梅" in panel and "王建平" not in panel


def _history(world, n, start):
    """``n`` requests accepted and resolved on site, with a held reception day each month."""
    for i in range(n):
        day = start + dt.timedelta(days=i)
        petition = PetitionFactory(point=world.point, now=at(day.year, day.month, day.day, 9))
        services.petition_accept(petition=petition, actor=world.deputy, now=at(day.year, day.month, day.day, 11))
        services.petition_resolve_on_site(
            petition=petition, actor=world.deputy, result="现场解决", now=at(day.year, day.month, day.day, 12)
        )


def _sync_queries():
    with CaptureQueriesContext(connection) as queries:
        score_sync()
    return len(queries)


@pytest.mark.django_db
def test_the_sync_query_count_does_not_grow_with_history(world):
    _history(world, 3, dt.date(2026, 1, 5))
    score_sync()
    small = _sync_queries()
    _history(world, 60, dt.date(2026, 2, 2))
    score_sync()
    assert _sync_queries() == small
    # New sources cost a fixed number of inserts, not one query per source either.
    _history(world, 20, dt.date(2026, 6, 1))
    assert _sync_queries() <= small + len(DEFAULT_RULES)


@pytest.mark.django_db
def test_the_record_summarises_the_year(client, world):
    import re

    reception_days_generate(today=dt.date(2026, 12, 1), months=1)
    day = ReceptionDay.objects.get(point=world.point)
    reception_day_sign_in(day=day, actor=world.head, now=at(2026, 12, 15, 9))
    reception_day_hold(day=day, actor=world.head, summary="纪要", now=at(2026, 12, 15, 17))
    petition = PetitionFactory(point=world.point, now=at(2026, 11, 2))
    services.petition_accept(petition=petition, actor=world.head, now=at(2026, 11, 2, 15))
    services.petition_resolve_on_site(petition=petition, actor=world.head, result="现场解决", now=at(2026, 11, 3))
    suggestion = Suggestion.objects.create(point=world.point, title="关于优化通勤的建议")
    suggestion.authors.set([world.head.person])
    suggestion_submit(
        suggestion=suggestion,
        actor=world.head,
        addressed_unit="区交通局",
        filed_on=dt.date(2026, 3, 1),
        now=at(2026, 3, 1),
    )
    score_sync()
    client.force_login(world.head)
    page = client.get(f"/scores/person/{world.head.person.pk}/", {"period": "year", "date": "2026-12-20"})
    text = re.sub(r"\s+", " ", page.content.decode())
    assert page.status_code == 200
    assert re.search(r'data-testid="reception">1 / 1', text)
    assert re.search(r'data-testid="requests">1（办结 1 件', text)
    assert "关于优化通勤的建议" in text and world.point.name in text
    for heading in ("履职档案", "提交日期", "答复内容", "代表评价"):
        assert heading in text, heading
