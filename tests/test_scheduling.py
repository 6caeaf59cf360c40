"""Reception days, reminders, escalation, digests and notifications — stepped through time."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.template import TemplateDoesNotExist

from deputies.models import Person, ReceptionDay, Station
from deputies.services import reception_days_generate, reception_reminders_scan, roster_for
from liaison.core import notifications, sms
from liaison.core.models import Notification
from petitions import services
from petitions.escalation import escalation_scan, level_thresholds, weekly_digest_scan
from petitions.models import Petition, PetitionEvent
from points.models import LiaisonPoint

from .conftest import NAMES
from .factories import PersonFactory, PetitionFactory, StationFactory, UserFactory

TZ = ZoneInfo("Asia/Shanghai")


def at(y, m, d, h=9, mi=5):
    return dt.datetime(y, m, d, h, mi, tzinfo=TZ)


@pytest.fixture
def staffed(world):
    """The world's point with a head, four members with phones and a grid worker."""
    Person.objects.filter(stations__point=world.point).update(phone="13900000000")
    for n in range(3):
        StationFactory(point=world.point, person=PersonFactory(name=f"成员{n}", phone=f"1390000000{n}"))
    return world


@pytest.mark.django_db
class TestReceptionDays:
    def test_generated_ahead_once(self, staffed):
        created = reception_days_generate(today=dt.date(2026, 11, 1), months=3)
        assert created == 6  # two active points × three months
        assert reception_days_generate(today=dt.date(2026, 11, 1), months=3) == 0
        dates = list(ReceptionDay.objects.filter(point=staffed.point).order_by("date").values_list("date", flat=True))
        # 15 November 2026 is a Sunday: moved to Monday by the default rule.
        assert dates == [dt.date(2026, 11, 16), dt.date(2026, 12, 15), dt.date(2027, 1, 15)]

    def test_keep_rule_and_national_day(self, staffed):
        LiaisonPoint.objects.filter(pk=staffed.point.pk).update(reception_rule="keep")
        LiaisonPoint.objects.filter(pk=staffed.other_point.pk).update(reception_day=5)
        reception_days_generate(today=dt.date(2026, 10, 1), months=2)
        assert ReceptionDay.objects.get(point=staffed.point, month=dt.date(2026, 11, 1)).date == dt.date(2026, 11, 15)
        # 5 October 2026 falls in the National Day holiday: the next working day is the 8th.
        assert ReceptionDay.objects.get(point=staffed.other_point, month=dt.date(2026, 10, 1)).date == dt.date(
            2026, 10, 8
        )

    def test_roster_is_the_head_plus_members_in_turn_without_grid_workers(self, staffed):
        november = roster_for(staffed.point, dt.date(2026, 11, 1))
        december = roster_for(staffed.point, dt.date(2026, 12, 1))
        assert november[0].name == "陈立群" and len(november) == 3
        assert all(p.kind != Person.Kind.GRID_WORKER for p in november + december)
        assert set(november[1:]) != set(december[1:])

    def test_inactive_points_get_none(self, staffed):
        LiaisonPoint.objects.update(active=False)
        assert reception_days_generate(today=dt.date(2026, 11, 1)) == 0


@pytest.mark.django_db
class TestReminders:
    def sms_keys(self):
        return sorted(Notification.objects.filter(channel="sms").values_list("key", flat=True))

    def test_each_reminder_exactly_once(self, staffed):
        reception_days_generate(today=dt.date(2026, 12, 1), months=1)
        day = ReceptionDay.objects.get(point=staffed.point)
        rostered = day.assignments.count()
        assert reception_reminders_scan(now=at(2026, 12, 11)) == 0  # four days before: nothing yet
        reception_reminders_scan(now=at(2026, 12, 12))
        assert len(self.sms_keys()) == rostered
        reception_reminders_scan(now=at(2026, 12, 12, 18))
        assert len(self.sms_keys()) == rostered  # the same day again: nothing new
        reception_reminders_scan(now=at(2026, 12, 14))
        reception_reminders_scan(now=at(2026, 12, 15, 7, 35))
        reception_reminders_scan(now=at(2026, 12, 15, 10))
        keys = self.sms_keys()
        assert len(keys) == 3 * rostered
        assert {k.split(":")[3] for k in keys} == {"d3", "d1", "d0"}
        head = Notification.objects.filter(channel="in_app", user=staffed.head)
        assert head.count() == 3

    def test_a_worker_down_for_three_days_catches_up_once(self, staffed):
        reception_days_generate(today=dt.date(2026, 12, 1), months=1)
        rostered = ReceptionDay.objects.get(point=staffed.point).assignments.count()
        reception_reminders_scan(now=at(2026, 12, 15, 7, 40))
        reception_reminders_scan(now=at(2026, 12, 15, 7, 55))
        keys = self.sms_keys()
        assert len(keys) == rostered and all(k.endswith(":d0:sms") for k in keys)

    def test_record_reminder_after_the_day_until_filled(self, staffed):
        reception_days_generate(today=dt.date(2026, 12, 1), months=1)
        day = ReceptionDay.objects.get(point=staffed.point)
        reception_reminders_scan(now=at(2026, 12, 16, 9, 30))
        assert Notification.objects.filter(template="reception_record", user=staffed.head).count() == 1
        reception_reminders_scan(now=at(2026, 12, 17))
        assert Notification.objects.filter(template="reception_record", user=staffed.head).count() == 1
        other = ReceptionDay.objects.get(point=staffed.other_point)
        other.summary = "企业反映用工问题"
        other.save()
        assert other.record_filled_at is not None
        assert not Notification.objects.filter(template="reception_record", key__contains=f":{other.pk}:").exists()
        assert day.record_filled_at is None

    def test_sms_goes_through_the_backend_after_delivery(self, staffed):
        sms.outbox.clear()
        reception_days_generate(today=dt.date(2026, 12, 1), months=1)
        reception_reminders_scan(now=at(2026, 12, 14))
        assert notifications.deliver_due(now=at(2026, 12, 14, 9, 10)) >= 1
        assert any("接待日" in text for _phone, text in sms.outbox)
        assert not Notification.objects.filter(status="pending", channel="sms").exists()


@pytest.mark.django_db
class TestEscalation:
    def overdue(self, world, submitted):
        petition = PetitionFactory(point=world.point, now=submitted)
        return petition  # due one working day after submission

    def test_each_level_once_with_timeline_and_notifications(self, world):
        petition = self.overdue(world, at(2026, 11, 2))  # due 3 November
        assert escalation_scan(now=at(2026, 11, 3)) == {3: 0, 2: 0, 1: 0}
        assert escalation_scan(now=at(2026, 11, 4)) == {3: 0, 2: 0, 1: 1}
        assert escalation_scan(now=at(2026, 11, 4, 12)) == {3: 0, 2: 0, 1: 0}
        petition.refresh_from_db()
        assert petition.escalation_level == 1
        assert Notification.objects.filter(key__startswith=f"escalation:{petition.pk}:1:", user=world.head).exists()
        escalation_scan(now=at(2026, 11, 9))  # 3 working days past due
        escalation_scan(now=at(2026, 11, 9, 15))
        escalation_scan(now=at(2026, 11, 16))  # 8 working days past due
        escalation_scan(now=at(2026, 11, 20))
        levels = list(PetitionEvent.objects.filter(petition=petition, action="escalate").values_list("text", flat=True))
        assert [t.split("：")[0] for t in levels] == ["级别 1", "级别 2", "级别 3"]
        assert Notification.objects.filter(key__startswith=f"escalation:{petition.pk}:3:", user=world.office).exists()
        assert not PetitionEvent.objects.filter(petition=petition, action="escalate", public=True).exists()

    def test_a_long_missed_request_jumps_to_its_level_once(self, world):
        petition = self.overdue(world, at(2026, 9, 1))
        assert escalation_scan(now=at(2026, 11, 4)) == {3: 1, 2: 0, 1: 0}
        assert PetitionEvent.objects.filter(petition=petition, action="escalate").count() == 1

    def test_closed_and_in_time_requests_are_left_alone(self, world):
        done = self.overdue(world, at(2026, 9, 1))
        services.petition_reject(petition=done, actor=world.deputy, reason="重复")
        self.overdue(world, at(2026, 11, 3))  # due 4 November
        assert escalation_scan(now=at(2026, 11, 4)) == {3: 0, 2: 0, 1: 0}

    def test_dispatched_request_notifies_the_department(self, world):
        petition = self.overdue(world, at(2026, 11, 2))
        services.petition_accept(petition=petition, actor=world.deputy, now=at(2026, 11, 2, 10))
        services.petition_dispatch(
            petition=petition, actor=world.deputy, department=world.department, now=at(2026, 11, 2, 11)
        )
        escalation_scan(now=at(2026, 11, 4))  # sign was due 3 November
        users = set(
            Notification.objects.filter(key__startswith=f"escalation:{petition.pk}:1:").values_list(
                "user__username", flat=True
            )
        )
        assert users == {"handler", "head"}

    def test_thresholds_count_working_days(self):
        levels = level_thresholds(dt.date(2026, 10, 9))  # after National Day
        assert levels[2] == dt.date(2026, 9, 29)

    def test_scan_queries_do_not_grow_with_rows(self, world):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        def scan_with(rows):
            Petition.objects.all().delete()
            for _ in range(rows):
                self.overdue(world, at(2026, 9, 1))
            with CaptureQueriesContext(connection) as queries:
                assert sum(escalation_scan(now=at(2026, 11, 4)).values()) == rows
            return len(queries)

        assert scan_with(3) == scan_with(30)  # one batch either way: a fixed number of queries


@pytest.mark.django_db
class TestMessagesWrittenByTheDatabase:
    """notify_select writes messages with INSERT … SELECT across many-valued relations: the
    recipients must be exactly those the relation's own conditions pick, once each."""

    def test_a_new_request_reaches_the_current_head_and_deputies_on_their_channels(self, world):
        world.head.email = "head@example.cn"
        world.head.save()
        left = PersonFactory(user=UserFactory(username="left"), name="离任代表")
        StationFactory(person=left, point=world.point, since=dt.date(2024, 1, 1), until=dt.date(2026, 1, 1))
        StationFactory(person=PersonFactory(user=UserFactory(username="disabled", is_active=False)), point=world.point)
        # The head is also stationed at the other point: still one message per channel.
        StationFactory(person=world.head.person, point=world.other_point)
        petition = PetitionFactory(point=world.point, now=at(2026, 11, 2))
        rows = Notification.objects.filter(key__startswith=f"new-request:{petition.pk}:")
        assert sorted(rows.values_list("user__username", "channel", "address")) == [
            ("deputy", "in_app", ""),
            ("head", "email", "head@example.cn"),
            ("head", "in_app", ""),
        ]
        assert rows.get(user=world.head, channel="email").key == f"new-request:{petition.pk}:{world.head.pk}:email"
        notifications.deliver_due(now=at(2026, 11, 2, 9, 10))
        body = rows.get(user=world.deputy).body
        assert NAMES["deputy"] in body and petition.title in body  # each recipient's own person

    def test_insert_select_fills_defaults_and_refuses_unknown_fields(self, world):
        from django.db.models import F, Value
        from django.db.models.functions import Concat

        from liaison.core.bulk import insert_select

        petition = PetitionFactory(point=world.point, now=at(2026, 11, 2))
        rows = Petition.objects.filter(pk=petition.pk)
        key = Concat(Value("test:"), F("number"))
        made = insert_select(
            Notification,
            rows,
            ignore_conflicts=True,
            key=key,
            channel="in_app",
            template="new_request",
            next_attempt_at=at(2026, 11, 2),
        )
        again = insert_select(
            Notification,
            rows,
            ignore_conflicts=True,
            key=key,
            channel="in_app",
            template="new_request",
            next_attempt_at=at(2026, 11, 2),
        )
        assert (made, again) == (1, 0)
        row = Notification.objects.get(key=f"test:{petition.number}")
        assert (row.status, row.attempts, row.context, row.user) == ("pending", 0, {}, None)
        assert row.created_at is not None
        with pytest.raises(TypeError, match="no field colour"):
            insert_select(Notification, rows, colour="red")

    def test_insert_select_writes_what_row_by_row_inserts_would(self, world):
        """Pins liaison.core.bulk to the Django internals it compiles with, on the backend the
        suite runs on (SQLite here, PostgreSQL in CI): the same rows as the ORM writing them one
        by one — columns in order, expressions, plain values and defaults."""
        from django.db.models import F, Value
        from django.db.models.functions import Concat

        from liaison.core.bulk import insert_select

        now = at(2026, 11, 2, 9)
        for n in range(3):
            PetitionFactory(point=world.point, title=f"第{n}件", now=now)
        rows = Petition.objects.filter(point=world.point).order_by("pk")
        written = insert_select(
            PetitionEvent,
            rows,
            petition_id=F("id"),
            action="escalate",
            from_status=F("status"),
            to_status=F("status"),
            actor_label="系统",
            text=Concat(Value("督办："), F("title")),
            created_at=now,
        )
        for p in rows:
            PetitionEvent.objects.create(
                petition=p,
                action="note",
                from_status=p.status,
                to_status=p.status,
                actor_label="系统",
                text=f"督办：{p.title}",
                created_at=now,
            )
        fields = ["petition_id", "from_status", "to_status", "actor_id", "actor_label", "text", "public", "created_at"]

        def written_as(action):
            return list(PetitionEvent.objects.filter(action=action).order_by("petition_id").values(*fields))

        assert written == 3 and written_as("escalate") == written_as("note")

    def test_a_statement_compiled_once_writes_each_runs_values(self, world):
        """``insert_select_all`` with a ``cache_key``: on PostgreSQL the values that never change
        are written into the statement as literals and the ``Bound`` ones sent typed, one parameter
        per name however often it is used; whatever they hold (a percent sign, quotes, a
        placeholder's spelling in either style) lands as given, run after run."""
        from django.db.models import BigIntegerField, CharField, DateTimeField, F, Value
        from django.db.models.functions import Concat

        from liaison.core.bulk import insert_select_all
        from liaison.core.compiled import Bound

        now = at(2026, 11, 2, 9)
        petition = PetitionFactory(point=world.point, now=now)
        odd = "50% 'done' %s %% $1 \\ 督办"

        def parts():
            rows = Petition.objects.filter(pk=Bound("petition", BigIntegerField()))
            text = Concat(Value(odd), Bound("text", CharField()), Bound("text", CharField()), output_field=CharField())
            columns = {"petition_id": F("id"), "action": "note", "actor_label": odd, "text": text}
            return [(rows, {**columns, "created_at": Bound("now", DateTimeField())})]

        for n, given in enumerate(["%s", "$1", "100%", "'); DROP TABLE x; --", "第四次"]):
            values = {"petition": petition.pk, "text": given, "now": now}
            (pk,) = insert_select_all(PetitionEvent, parts, cache_key=("test-odd",), values=values)[0]
            event = PetitionEvent.objects.get(pk=pk)
            assert (event.actor_label, event.text, event.petition_id) == (odd, odd + given + given, petition.pk), n


@pytest.mark.django_db
class TestDigestAndDelivery:
    def test_weekly_digest_once_per_head_per_week(self, world):
        PetitionFactory(point=world.point, now=at(2026, 11, 20))
        assert weekly_digest_scan(now=at(2026, 11, 23, 7)) == 0  # Monday before 08:00
        assert weekly_digest_scan(now=at(2026, 11, 23, 8, 30)) >= 1
        assert weekly_digest_scan(now=at(2026, 11, 25)) == 0
        assert weekly_digest_scan(now=at(2026, 11, 30, 9)) >= 1
        notifications.deliver_due(now=at(2026, 11, 30, 9, 5))
        digest = Notification.objects.filter(template="weekly_digest", user=world.head).order_by("created_at").first()
        assert "待办 1 件" in digest.body and digest.subject.startswith(world.point.name)

    def test_email_sent_once_and_failures_retried_with_backoff(self, world, settings):
        world.head.email = "head@example.cn"
        world.head.save()
        settings.SMS_BACKEND = "tests.test_scheduling.BrokenSms"
        now = at(2026, 11, 23)
        context = {"point": world.point, "person": world.head.person, "figures": {}, "week": 48}
        notifications.notify_user(world.head, key="t:1", template="weekly_digest", context=context, now=now)
        sms_row = notifications.notify(
            key="t:2", template="weekly_digest", channel="sms", address="13900000000", context=context, now=now
        )
        notifications.deliver_due(now=now)
        notifications.deliver_due(now=now)
        assert len(mail.outbox) == 1 and mail.outbox[0].to == ["head@example.cn"]
        sms_row.refresh_from_db()
        assert sms_row.status == "pending" and sms_row.attempts == 1 and "provider down" in sms_row.last_error
        assert sms_row.next_attempt_at == now + dt.timedelta(minutes=1)
        notifications.deliver_due(now=now + dt.timedelta(seconds=30))
        sms_row.refresh_from_db()
        assert sms_row.attempts == 1  # not before its time
        settings.SMS_BACKEND = "liaison.core.sms.OutboxSmsBackend"
        notifications.deliver_due(now=now + dt.timedelta(minutes=2))
        sms_row.refresh_from_db()
        assert sms_row.status == "sent" and sms_row.attempts == 2

    def test_a_message_without_templates_raises(self, world):
        with pytest.raises(TemplateDoesNotExist):
            notifications.notify(key="x", template="no_such_message", context={}, channel="in_app", user=world.head)
        assert not Notification.objects.filter(key="x").exists()

    def test_a_claimed_row_is_not_sent_by_a_second_worker(self, world):
        now = at(2026, 11, 23)
        context = {"point": world.point, "person": world.head.person, "figures": {}, "week": 1}
        row = notifications.notify(
            key="c", template="weekly_digest", channel="in_app", user=world.head, context=context
        )
        Notification.objects.filter(pk=row.pk).update(status="sending", next_attempt_at=now + dt.timedelta(minutes=5))
        assert notifications.deliver(row.pk, now=now) is False
        assert notifications.deliver(row.pk, now=now + dt.timedelta(minutes=11)) is True


class BrokenSms:
    def send(self, phone, text):
        raise ConnectionError("provider down")


@pytest.mark.django_db
def test_current_stations_follow_their_dates(world):
    assert Station.objects.current(dt.date(2026, 1, 1)).filter(point=world.point).count() == 3
    assert Station.objects.current(dt.date(2023, 12, 31)).filter(point=world.point).count() == 0


@pytest.mark.django_db
def test_escalation_notes_are_read_in_the_readers_language(world):
    """Written by the scan in one language, each level's note reads in each reader's, with the
    office it went to when its own had nobody."""
    from django.utils import translation

    petition = PetitionFactory(point=world.point, now=at(2026, 11, 2))
    with translation.override("zh-hans"):
        for day in (4, 9, 16):
            escalation_scan(now=at(2026, 11, day))
    events = list(PetitionEvent.objects.filter(petition=petition, action="escalate").order_by("created_at"))
    assert len(events) == 3
    with translation.override("zh-hans"):
        assert [e.shown_text for e in events] == [e.text for e in events]  # as the scan wrote it
    with translation.override("en"):
        english = [e.shown_text for e in events]
    assert english[0] == "Level 1: reminder to the handler and the point head"
    assert english[1].startswith("Level 2: supervised by the street working committee; nobody at its own office")
    assert english[1].endswith(f"so it went to {world.office.organisations.get().name}")
    with translation.override("en"):
        assert {e.shown_actor for e in events} == {"system"}
    with translation.override("zh-hans"):
        assert {e.shown_actor for e in events} == {"系统"}
