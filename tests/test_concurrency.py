"""Races that only a real PostgreSQL can show: row locks and concurrent inserts."""

import threading

import pytest
from django.conf import settings
from django.db import connection

from petitions import services
from petitions.models import Petition, PetitionEvent
from petitions.workflow import ENTERPRISE_ACTOR

from .factories import PetitionFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="row-lock races need PostgreSQL: set DATABASE_URL=postgres://…",
    ),
    pytest.mark.django_db(transaction=True),
]


def run_together(count, work):
    barrier = threading.Barrier(count)
    results, errors = [], []

    def runner(n):
        try:
            barrier.wait(timeout=10)
            results.append(work(n))
        except Exception as exc:  # noqa: BLE001 — collected and asserted by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results, errors


def test_two_concurrent_accepts_one_wins(world):
    petition = PetitionFactory(point=world.point)
    users = [world.deputy, world.head]
    results, errors = run_together(
        2, lambda n: services.petition_accept(petition=Petition.objects.get(pk=petition.pk), actor=users[n])
    )
    assert len(results) == 1
    assert len(errors) == 1 and isinstance(errors[0], services.TransitionRefused)
    assert PetitionEvent.objects.filter(petition=petition, action="accept").count() == 1


def test_concurrent_submissions_never_share_a_number(world):
    def submit(n):
        petition = Petition(
            point=world.point,
            enterprise_name=f"企业{n}",
            contact_name="联系人",
            contact_phone="13800000000",
            category="other",
            title=f"诉求{n}",
            content="内容",
        )
        return services.petition_submit(petition=petition, actor=ENTERPRISE_ACTOR)[0].number

    results, errors = run_together(8, submit)
    assert errors == []
    assert len(set(results)) == 8
    assert Petition.objects.count() == 8


def test_the_same_submission_sent_twice_at_once_creates_one(world):
    import uuid

    key = uuid.uuid4()

    def submit(n):
        petition = Petition(
            point=world.point,
            enterprise_name="企业",
            contact_name="联系人",
            contact_phone="13800000000",
            category="other",
            title="重复提交",
            content="内容",
        )
        return services.petition_submit(petition=petition, actor=ENTERPRISE_ACTOR, submission_key=key)[0].pk

    results, errors = run_together(4, submit)
    assert errors == []
    assert len(set(results)) == 1
    assert Petition.objects.count() == 1
