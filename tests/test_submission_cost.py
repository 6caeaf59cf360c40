"""What one public submission costs (issue 21, item 1): at most six SQL statements for the QR
form and the public API, the same messages as every other step records, the holiday calendar
read once per process (and again when anyone changes it), both rate limits in one round trip."""

import datetime as dt
import uuid

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import BigIntegerField
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from liaison.core import compiled, ratelimit, workdays
from liaison.core.compiled import Bound
from liaison.core.models import Holiday, Notification
from liaison.core.notifications import thaw
from petitions.messages import tracking_link
from petitions.models import Petition
from points.models import GroupRobot, LiaisonPoint
from points.selectors import active_point

from .factories import PetitionFactory
from .test_submission import form_data, submit_url

STATEMENTS = 6  # point, look-ups, number, request, timeline row, messages
API = "/api/v1/public/requests/"


def statements(queries):
    """What the database runs in production: the test's outer transaction turns the
    submission's transaction into savepoints, which production does not have."""
    return [q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


def api_body(world, **overrides):
    return {
        "point": world.point.code,
        "enterprise_name": "某配套企业",
        "contact_name": "张三",
        "contact_phone": "13800138000",
        "category": "transport",
        "title": "通勤班车不足",
        "content": "早晚高峰班次太少。",
        "submission_key": str(uuid.uuid4()),
        **overrides,
    }


@pytest.fixture
def robots(world):
    district = world.point.organisation.parent
    return [
        GroupRobot.objects.create(
            name="区里的群", kind="dingtalk", webhook_url="https://r.example/1", organisation=district
        ),
        GroupRobot.objects.create(name="点上的群", kind="wecom", webhook_url="https://r.example/2", point=world.point),
        GroupRobot.objects.create(  # another point's: hears nothing of this one
            name="别处的群", kind="wecom", webhook_url="https://r.example/3", point=world.other_point
        ),
        GroupRobot.objects.create(  # switched off
            name="停用的群", kind="wecom", webhook_url="https://r.example/4", point=world.point, active=False
        ),
    ]


@pytest.mark.django_db
class TestStatements:
    def warm(self, client, world):
        client.post(submit_url(world), form_data(world, enterprise="", enterprise_name="暖机"))

    @pytest.mark.parametrize("chosen", [True, False], ids=["enterprise chosen", "name typed"])
    def test_the_qr_form_files_with_six_statements(self, client, world, robots, chosen):
        self.warm(client, world)
        data = form_data(world) if chosen else form_data(world, enterprise="", enterprise_name="新来的配套企业")
        with CaptureQueriesContext(connection) as queries:
            response = client.post(submit_url(world), data)
        assert response.status_code == 302
        assert len(statements(queries)) == STATEMENTS, "\n".join(statements(queries))
        petition = Petition.objects.get(submission_key=data["submission_key"])
        assert petition.enterprise_name == (world.enterprise.name if chosen else "新来的配套企业")
        assert petition.enterprise_id == (world.enterprise.pk if chosen else None)

    def test_the_api_files_with_six_statements_and_answers_what_tracking_reads(self, client, world, robots):
        self.warm(client, world)
        api = APIClient()
        with CaptureQueriesContext(connection) as queries:
            response = api.post(API, api_body(world), format="json")
        assert response.status_code == 201
        assert len(statements(queries)) == STATEMENTS, "\n".join(statements(queries))
        tracked = api.get(response["Location"]).json()
        assert response.json() == tracked  # built from the rows written = read back

    def test_the_qr_form_page_reads_its_enterprise_list_in_one_query(self, client, world, monkeypatch):
        """No server-side cursor (``iterator()``: DECLARE, FETCH, CLOSE on PostgreSQL) for the
        few enterprises of a point."""
        chunked = []
        monkeypatch.setattr(connection, "chunked_cursor", lambda: chunked.append(1) or connection.cursor())
        with CaptureQueriesContext(connection) as queries:
            response = client.get(submit_url(world))
        assert response.status_code == 200 and world.enterprise.name in response.content.decode()
        assert chunked == [] and len(queries) == 2, "\n".join(q["sql"] for q in queries)  # the point, the list

    def test_a_repeat_and_a_foreign_enterprise_are_still_told_apart(self, client, world):
        data = form_data(world)
        first = client.post(submit_url(world), data)
        again = client.post(submit_url(world), data)
        assert first["Location"] == again["Location"] and Petition.objects.count() == 1
        response = client.post(submit_url(world), form_data(world, enterprise=world.enterprise.pk + 999))
        assert response.status_code == 400 and "enterprise" in response.context["form"].errors
        for bad in ("abc", "-1", str(2**70), "+1", "٣", "５", f"{world.enterprise.pk}_0", "1e3"):
            response = client.post(submit_url(world), form_data(world, enterprise=bad))
            assert response.status_code == 400, bad
        assert Petition.objects.count() == 1


@pytest.mark.django_db
def test_the_messages_of_a_new_request_are_the_ones_each_occasion_records(
    client, world, robots, django_capture_on_commit_callbacks, monkeypatch
):
    world.head.email = "head@example.cn"
    world.head.save()
    queued = []
    monkeypatch.setattr("liaison.core.notifications.enqueue", lambda task, pk: queued.append(pk))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(submit_url(world), form_data(world))
    petition = Petition.objects.get()
    event = petition.events.get()
    link = f"/admin/petitions/petition/{petition.pk}/change/"
    head, deputy = world.head.person, world.deputy.person
    expected = {
        f"enterprise:{event.pk}:sms": (
            "sms",
            None,
            petition.contact_phone,
            "enterprise_received",
            {
                "petition": petition,
                "event": event,
                "department_name": "",
                "sign_due": petition.due_date.isoformat(),
                "reply_due": "",
            },
            tracking_link(petition),
        ),
        f"new-request:{petition.pk}:robot:{robots[0].pk}": (
            "robot",
            None,
            f"#{robots[0].pk} 区里的群",
            "robot_new_request",
            {"petition": petition, "robot": robots[0]},
            link,
        ),
        f"new-request:{petition.pk}:robot:{robots[1].pk}": (
            "robot",
            None,
            f"#{robots[1].pk} 点上的群",
            "robot_new_request",
            {"petition": petition, "robot": robots[1]},
            link,
        ),
        **{
            f"new-request:{petition.pk}:{user.pk}:{channel}": (
                channel,
                user.pk,
                address,
                "new_request",
                {"petition": petition, "person": person},
                link,
            )
            for user, person in ((world.head, head), (world.deputy, deputy))
            for channel, address in [("in_app", ""), *([("email", user.email)] if user.email else [])]
        },
    }
    rows = {n.key: n for n in Notification.objects.all()}
    assert set(rows) == set(expected)  # not the grid worker, nor the other point's people or robot
    for key, (channel, user_id, address, template, context, row_link) in expected.items():
        row = rows[key]
        assert (row.channel, row.user_id, row.address, row.template, row.link) == (
            channel,
            user_id,
            address,
            template,
            row_link,
        ), key
        assert thaw(row.context) == context, key
        assert row.status == "pending" and row.next_attempt_at == petition.submitted_at
    # Sent at once after commit, as ``notify`` queues them; the work desk's wait for the scan.
    assert sorted(queued) == sorted(n.pk for n in rows.values() if n.channel in ("sms", "robot"))


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_the_messages_statement_is_prepared_after_its_threshold_and_writes_the_same(client, world, robots):
    """The connection prepares the messages statement once it has run ``prepare_threshold``
    times (the settings), so PostgreSQL no longer parses it, and plans it once (a generic plan,
    never one per run); what it writes for the requests after that is what the first got."""
    threshold = connection.settings_dict["OPTIONS"]["prepare_threshold"]
    prepared = (
        "SELECT count(*), sum(generic_plans), sum(custom_plans) FROM pg_prepared_statements"
        " WHERE statement LIKE 'INSERT INTO \"core_notification\"%%'"
    )
    written = []
    for n in range(threshold + 2):
        data = form_data(world, contact_phone=f"1380013800{n}")
        assert client.post(submit_url(world), data).status_code == 302
        petition = Petition.objects.get(submission_key=data["submission_key"])
        prefix = f"new-request:{petition.pk}:"
        keys = Notification.objects.filter(key__startswith=prefix).values_list("key", flat=True)
        sms = Notification.objects.get(key=f"enterprise:{petition.events.get().pk}:sms")
        written.append((sorted(k.removeprefix(prefix) for k in keys), sms.link == tracking_link(petition)))
        with connection.cursor() as cursor:
            cursor.execute(prepared)
            count, generic, custom = cursor.fetchone()
        assert count == (n >= threshold), n  # prepared on the run after, then reused
        if count:
            assert (generic, custom) == (n - threshold + 1, 0), n  # planned once, then its plan reused
    assert all(w == written[0] for w in written) and written[0][0] and written[0][1]


@pytest.mark.django_db
def test_a_point_read_by_a_statement_compiled_once_is_the_orms(world):
    """``active_point`` (liaison.core.compiled) converts every value as the ORM does — dates and
    booleans on SQLite too — and finds no inactive point."""
    point = world.point
    point.opened_on = dt.date(2025, 3, 1)
    point.save()
    expected = LiaisonPoint.objects.get(pk=point.pk)
    for by, value in (("qr_token", point.qr_token), ("code", point.code)):
        read = active_point(by, value)
        for field in LiaisonPoint._meta.concrete_fields:
            mine, theirs = getattr(read, field.attname), getattr(expected, field.attname)
            assert (mine, type(mine)) == (theirs, type(theirs)), (by, field.attname)
        assert read.organisation == point.organisation and not read._state.adding
    assert active_point("code", "no-such-point") is None
    point.active = False
    point.save()
    assert active_point("qr_token", point.qr_token) is None and active_point("code", point.code) is None
    with pytest.raises(ValueError):
        active_point("name", point.name)
    # Values the database returns in another form (a UUID as text, a time without its zone on SQLite).
    petition = PetitionFactory(point=point)
    columns = ("submission_key", "submitted_at", "status", "content")
    read = compiled.select(
        Petition,
        ("test-converted",),
        lambda: Petition.objects.filter(pk=Bound("pk", BigIntegerField())).values_list(*columns),
        {"pk": petition.pk},
    )
    assert read == list(Petition.objects.filter(pk=petition.pk).values_list(*columns))


@pytest.mark.django_db
class TestHolidayCalendarInProcess:
    def test_read_once_then_from_memory(self, django_assert_num_queries):
        workdays.add_workdays(dt.date(2027, 2, 1), 3)
        with django_assert_num_queries(0):
            workdays.add_workdays(dt.date(2027, 3, 1), 3)

    def test_a_change_in_the_admin_is_seen_at_once(self):
        monday = dt.date(2030, 3, 4)
        assert workdays.add_workdays(monday, 1) == dt.date(2030, 3, 5)
        Holiday.objects.create(date=dt.date(2030, 3, 5), name="临时调整")
        assert workdays.add_workdays(monday, 1) == dt.date(2030, 3, 6)
        Holiday.objects.filter(date=dt.date(2030, 3, 5)).delete()
        assert workdays.add_workdays(monday, 1) == dt.date(2030, 3, 5)

    def test_another_process_change_is_seen_through_the_version(self, django_assert_num_queries):
        monday = dt.date(2030, 3, 4)
        assert workdays.add_workdays(monday, 1) == dt.date(2030, 3, 5)
        Holiday.objects.bulk_create([Holiday(date=dt.date(2030, 3, 5))])  # no signal here: as if elsewhere
        assert workdays.add_workdays(monday, 1) == dt.date(2030, 3, 5)  # this process's copy
        cache.set(workdays.VERSION_KEY, "set-by-the-other-process", None)
        with django_assert_num_queries(1):
            assert workdays.add_workdays(monday, 1) == dt.date(2030, 3, 6)

    def test_no_cache_means_the_table_every_time(self, django_assert_num_queries, monkeypatch):
        monkeypatch.setattr(cache, "get", lambda *a, **k: None)
        workdays.add_workdays(dt.date(2030, 3, 4), 1)
        with django_assert_num_queries(1):
            workdays.add_workdays(dt.date(2030, 3, 4), 1)


class TestBothLimitsAtOnce:
    def test_counts_in_turn_and_stops_at_the_first_refused(self):
        now = 1_800_000_000.0
        limits = [("all:a", 2), ("all:b", 1)]
        assert ratelimit.allow_all(limits, now=now)
        assert not ratelimit.allow_all(limits, now=now)  # b is full: a counted, b taken back
        assert ratelimit.count("all:a", now=now) == 2 and ratelimit.count("all:b", now=now) == 1
        assert not ratelimit.allow_all(limits, now=now)  # a is full now: b not even counted
        assert ratelimit.count("all:a", now=now) == 2 and ratelimit.count("all:b", now=now) == 1
        assert ratelimit.allow_all(limits, now=now + 3600 + 600)  # the window has slid past


@pytest.mark.django_db
def test_the_messages_statement_is_compiled_once_per_process(client, world, monkeypatch):
    from petitions import messages

    built = []
    original = messages._submitted_parts
    monkeypatch.setattr(messages, "_submitted_parts", lambda *a: built.append(a) or original(*a))
    for n in range(3):
        client.post(submit_url(world), form_data(world, contact_phone=f"1380000000{n}"))
    assert len(built) <= 1  # the first call in this process, if no test before compiled it
    assert Notification.objects.filter(key__startswith="enterprise:").count() == 3
    assert {n.address for n in Notification.objects.filter(channel="sms")} == {f"1380000000{n}" for n in range(3)}
