"""Hostile checks of urgency: raising it must never give a department more time than the
reply date the deputy chose at dispatch (and told the enterprise)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from petitions import services
from petitions.models import DeadlineRule, Urgency

from .factories import PetitionFactory

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def reply_rules(db):
    """The reply rules these tests count with, set here: a test database flushed by a
    transactional test elsewhere in the same process has lost the seeded ones."""
    for urgency, amount, unit in (("normal", 10, "workdays"), ("urgent", 5, "workdays"), ("critical", 24, "hours")):
        DeadlineRule.objects.update_or_create(
            category="", urgency=urgency, stage="reply", defaults={"amount": amount, "unit": unit}
        )


def at(y, m, d, h=9):
    return dt.datetime(y, m, d, h, tzinfo=TZ)


@pytest.mark.django_db
class TestRaisingUrgencyAfterDispatch:
    def dispatched(self, world, due):
        petition = PetitionFactory(point=world.point, now=at(2026, 11, 2, 9))
        petition = services.petition_accept(petition=petition, actor=world.deputy, now=at(2026, 11, 2, 10))
        return services.petition_dispatch(
            petition=petition, actor=world.deputy, department=world.department, due=due, now=at(2026, 11, 2, 11)
        )

    def test_a_tight_reply_date_chosen_at_dispatch_is_not_pushed_back(self, world):
        petition = self.dispatched(world, dt.date(2026, 11, 3))  # the next day, chosen by the deputy
        chosen = petition.reply_due_at
        petition = services.petition_set_urgency(
            petition=petition, actor=world.deputy, urgency=Urgency.URGENT, now=at(2026, 11, 2, 12)
        )
        # The urgent rule (5 working days) would end on 9 November: more urgent must not mean later.
        assert petition.reply_due_at <= chosen
        assert petition.due_at <= chosen

    def test_in_progress_too(self, world):
        petition = self.dispatched(world, dt.date(2026, 11, 3))
        petition = services.petition_sign(petition=petition, actor=world.handler, now=at(2026, 11, 2, 11))
        chosen = petition.reply_due_at
        petition = services.petition_set_urgency(
            petition=petition, actor=world.deputy, urgency=Urgency.URGENT, now=at(2026, 11, 2, 12)
        )
        assert petition.reply_due_at <= chosen and petition.due_at <= chosen

    def test_raising_still_shortens_a_long_deadline(self, world):
        petition = self.dispatched(world, None)  # the normal rule's reply date
        before = petition.reply_due_at
        petition = services.petition_set_urgency(
            petition=petition, actor=world.deputy, urgency=Urgency.CRITICAL, now=at(2026, 11, 2, 12)
        )
        assert petition.reply_due_at == at(2026, 11, 3, 11) < before  # 24 clock hours from dispatch
