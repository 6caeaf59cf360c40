"""Deliveries to external platforms: never lost, never doubled, Standard Webhooks signed; and
the platforms' callbacks. A real HTTP receiver on 127.0.0.1 counts what arrives."""

import base64
import datetime as dt
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from rest_framework.test import APIClient
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from liaison.celery import app
from liaison.core import deliveries as core_deliveries
from liaison.core import webhooks
from liaison.core.models import Notification
from liaison.core.notifications import deliver_due
from petitions import platforms, services
from petitions.models import Delivery, ExternalPlatform, PetitionEvent, PlatformCallback, Status

from .factories import PetitionFactory
from .localserver import serving

T0 = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)


class Receiver(BaseHTTPRequestHandler):
    """Answers each POST with the next scripted answer (default 200) and records it.
    An answer is a status, or a dict: status, headers, and "trickle" (seconds between bytes)."""

    protocol_version = "HTTP/1.1"
    answers: list = []
    posts: list = []
    other_methods: list = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.posts.append((dict(self.headers), body))
        answer = Receiver.answers.pop(0) if Receiver.answers else 200
        answer = answer if isinstance(answer, dict) else {"status": answer}
        if "trickle" in answer:
            return self._trickle(answer)
        self.send_response(answer["status"])
        for name, value in answer.get("headers", {}).items():
            self.send_header(name, value)
        if answer["status"] == 204:
            self.end_headers()
            return
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def _trickle(self, answer):
        raw = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 1000
        start = 0 if answer.get("where") == "headers" else raw.index(b"\r\n\r\n") + 4
        try:
            self.wfile.write(raw[:start])
            for i in range(start, len(raw)):
                self.wfile.write(raw[i : i + 1])
                self.wfile.flush()
                time.sleep(answer["trickle"])
        except OSError:
            pass  # the sender hung up, as it should

    def do_GET(self):  # noqa: N802
        Receiver.other_methods.append(("GET", self.path))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.answers, Receiver.posts, Receiver.other_methods = [], [], []
    with serving(Receiver) as server:
        yield server, Receiver


@pytest.fixture
def platform(world, receiver):
    server, _ = receiver
    platform = ExternalPlatform.objects.create(
        name="渝快政", slug="ykz", webhook_url=f"http://127.0.0.1:{server.server_port}/hook"
    )
    world.department.platform = platform
    world.department.save()
    return platform


def dispatch(world, petition=None, *, capture=None, now=T0):
    """Accept and dispatch a request to the platform's department; with ``capture`` the
    on-commit hooks run (record and queue the drain), as after a real commit."""
    petition = petition or PetitionFactory(point=world.point)
    services.petition_accept(petition=petition, actor=world.deputy, now=now)
    if capture is None:
        return services.petition_dispatch(petition=petition, actor=world.deputy, department=world.department, now=now)
    with capture(execute=True):
        return services.petition_dispatch(petition=petition, actor=world.deputy, department=world.department, now=now)


def pushes(petition) -> int:
    return PetitionEvent.objects.filter(petition=petition, action=PetitionEvent.Action.PUSH).count()


@pytest.mark.django_db
class TestDelivery:
    def test_dispatch_is_delivered_once_with_a_standard_webhooks_signature(
        self, world, platform, receiver, django_capture_on_commit_callbacks
    ):
        petition = dispatch(world, capture=django_capture_on_commit_callbacks, now=None)
        _, handler = receiver
        assert len(handler.posts) == 1
        headers, body = handler.posts[0]
        # What an integrator runs: the reference library with the platform's secret.
        message = Webhook(platform.signing_secret).verify(body, headers)
        assert message["type"] == "petition.dispatched"
        assert message["data"]["number"] == petition.number and message["data"]["department"] == "区交通局"
        delivery = Delivery.objects.get()
        assert headers["webhook-id"] == delivery.message_id and delivery.status == Delivery.Status.DELIVERED
        assert delivery.last_status_code == 200 and delivery.attempts == 1
        assert pushes(petition) == 1 and delivery.timeline_entry.action == PetitionEvent.Action.PUSH
        # The callback secret does not verify what the portal sends: one secret per direction.
        with pytest.raises(WebhookVerificationError):
            Webhook(platform.callback_secret).verify(body, headers)

    def test_outage_then_recovery_delivers_each_dispatch_exactly_once(self, world, platform, receiver):
        _, handler = receiver
        petitions = [dispatch(world) for _ in range(3)]
        for petition in petitions:
            event = petition.events.get(action="dispatch")
            platforms.record_dispatch(event.pk, now=T0)
        handler.answers = [503] * 6  # the platform is down for the first two rounds
        now = T0
        for _round in range(6):
            # What went wrong in the past: a rescan, a redelivered task and the beat all at once.
            platforms.record_missing(now=now)
            platforms.drain(now=now)
            platforms.drain(now=now)
            now += dt.timedelta(minutes=10)
        by_id = Counter(headers["webhook-id"] for headers, _ in handler.posts)
        assert len(by_id) == 3
        assert len(handler.posts) == 9  # 3 × (2 failures + 1 success): no parallel chains
        assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}
        assert [pushes(p) for p in petitions] == [1, 1, 1]
        ok_ids = [headers["webhook-id"] for headers, _ in handler.posts[-3:]]
        assert sorted(ok_ids) == sorted(Delivery.objects.values_list("message_id", flat=True))
        # Every attempt of a delivery carried the same message id: the receiver can drop repeats.
        assert set(by_id.values()) == {3}

    def test_a_claimed_delivery_is_left_to_its_sender(self, world, platform, receiver):
        petition = dispatch(world)
        platforms.record_dispatch(petition.events.get(action="dispatch").pk, now=T0)
        claimed = core_deliveries.claim_next(Delivery.objects.all(), now=T0, lease=platforms.lease())
        assert claimed is not None and claimed.status == "sending"
        assert platforms.drain(now=T0 + dt.timedelta(seconds=30)) == 0
        assert receiver[1].posts == []
        # A sender that died loses the row when its lease runs out; the answer it might still
        # record later is ignored.
        assert platforms.drain(now=T0 + platforms.lease() + dt.timedelta(seconds=1)) == 1
        assert core_deliveries.still_claimed(claimed).count() == 0
        assert pushes(petition) == 1

    def test_an_empty_answer_on_a_closing_connection_is_delivered(self, world, platform, receiver):
        receiver[1].answers = [{"status": 204, "headers": {"Connection": "close"}}]
        petition = dispatch(world)
        platforms.record_dispatch(petition.events.get(action="dispatch").pk, now=T0)
        platforms.drain(now=T0)
        assert Delivery.objects.get().status == "delivered" and pushes(petition) == 1

    def test_a_redirect_is_a_failure_and_is_not_followed(self, world, platform, receiver):
        _, handler = receiver
        handler.answers = [{"status": 302, "headers": {"Location": "/elsewhere"}}]
        petition = dispatch(world)
        platforms.record_dispatch(petition.events.get(action="dispatch").pk, now=T0)
        assert platforms.drain(now=T0) == 1
        delivery = Delivery.objects.get()
        assert delivery.status == "pending" and delivery.last_status_code == 302
        assert delivery.next_attempt_at == T0 + dt.timedelta(seconds=30)
        assert handler.other_methods == [] and len(handler.posts) == 1 and pushes(petition) == 0
        assert platforms.drain(now=T0 + dt.timedelta(seconds=30)) == 1
        assert Delivery.objects.get().status == "delivered" and pushes(petition) == 1

    def test_retry_after_is_honoured(self, world, platform, receiver):
        _, handler = receiver
        handler.answers = [{"status": 503, "headers": {"Retry-After": "600"}}]
        petition = dispatch(world)
        platforms.record_dispatch(petition.events.get(action="dispatch").pk, now=T0)
        platforms.drain(now=T0)
        assert Delivery.objects.get().next_attempt_at == T0 + dt.timedelta(seconds=600)
        assert platforms.drain(now=T0 + dt.timedelta(seconds=599)) == 0
        assert platforms.drain(now=T0 + dt.timedelta(seconds=600)) == 1
        assert len(handler.posts) == 2 and pushes(petition) == 1

    def test_retry_after_as_a_date_and_its_bounds(self):
        assert core_deliveries.parse_retry_after("Fri, 20 Nov 2026 02:05:00 GMT", T0) == dt.timedelta(minutes=5)
        assert core_deliveries.parse_retry_after("999999999", T0) == dt.timedelta(days=1)
        assert core_deliveries.parse_retry_after("soon", T0) is None
        assert core_deliveries.parse_retry_after("Thu, 19 Nov 2026 00:00:00 GMT", T0) == dt.timedelta(0)

    @pytest.mark.parametrize("where", ["headers", "body"])
    def test_a_trickling_receiver_is_cut_at_the_deadline(self, world, platform, receiver, settings, where):
        settings.DELIVERY_DEADLINE_SECONDS = 1
        _, handler = receiver
        handler.answers = [{"trickle": 0.2, "where": where}]  # one byte per 0.2 s: each read is "quick"
        petition = dispatch(world)
        platforms.record_dispatch(petition.events.get(action="dispatch").pk, now=T0)
        started = time.monotonic()
        platforms.drain(now=T0)
        assert time.monotonic() - started < 2.5
        delivery = Delivery.objects.get()
        assert delivery.status == "pending" and "1 s" in delivery.last_error and pushes(petition) == 0

    def test_410_ends_the_subscription_and_tells_the_office(
        self, world, platform, receiver, django_capture_on_commit_callbacks
    ):
        _, handler = receiver
        handler.answers = [410]
        petition = dispatch(world)
        platforms.record_dispatch(petition.events.get(action="dispatch").pk, now=T0)
        platforms.drain(now=T0)
        platform.refresh_from_db()
        assert platform.subscription_ended_at == T0 and not platform.subscribed
        assert Delivery.objects.get().status == "failed"
        told = Notification.objects.filter(template="platform_gone")
        assert {n.user for n in told} == {world.office}
        deliver_due(now=T0)
        assert "渝快政已终止订阅" in told.get(channel="in_app").subject
        # Nothing more goes to that address: no retry, no new delivery.
        second = dispatch(world, capture=django_capture_on_commit_callbacks)
        platforms.record_missing(now=T0)
        platforms.drain(now=T0 + dt.timedelta(days=1))
        assert len(handler.posts) == 1 and not Delivery.objects.filter(petition=second).exists()

    def test_exhausted_retries_fail_tell_the_office_and_staff_retry(self, world, platform, receiver, settings):
        settings.DELIVERY_MAX_ATTEMPTS = 2
        _, handler = receiver
        handler.answers = [500, 500]
        petition = dispatch(world)
        platforms.record_dispatch(petition.events.get(action="dispatch").pk, now=T0)
        platforms.drain(now=T0)
        platforms.drain(now=T0 + dt.timedelta(minutes=1))
        delivery = Delivery.objects.get()
        assert delivery.status == "failed" and delivery.attempts == 2 and delivery.last_status_code == 500
        assert platforms.drain(now=T0 + dt.timedelta(days=30)) == 0  # never silently abandoned, never resent
        failed = Notification.objects.get(template="delivery_failed", channel="in_app")
        assert failed.user == world.office
        deliver_due(now=T0 + dt.timedelta(minutes=2))
        failed.refresh_from_db()
        assert failed.status == "sent" and petition.number in failed.subject and "未能推送至渝快政" in failed.subject
        assert "2 次尝试" in failed.body and "500" in failed.body
        assert platforms.retry(delivery, now=T0 + dt.timedelta(days=1)) is True
        assert platforms.retry(delivery, now=T0 + dt.timedelta(days=1)) is False  # already pending
        platforms.drain(now=T0 + dt.timedelta(days=1))
        assert Delivery.objects.get().status == "delivered" and pushes(petition) == 1

    def test_a_bad_row_does_not_stop_the_drain_but_the_time_limit_does(self, world, platform, receiver, monkeypatch):
        from celery.exceptions import SoftTimeLimitExceeded

        petition = dispatch(world)
        good = platforms.record_dispatch(petition.events.get(action="dispatch").pk, now=T0)
        broken = ExternalPlatform.objects.create(name="坏", slug="bad", webhook_url=platform.webhook_url)
        ExternalPlatform.objects.filter(pk=broken.pk).update(signing_secret="whsec_broken")  # edited by hand
        first = Delivery.objects.create(
            platform=broken,
            petition=petition,
            event=good.event,
            key="bad",
            type=good.type,
            payload=good.payload,
            next_attempt_at=T0 - dt.timedelta(seconds=1),
            created_at=T0,
        )
        assert platforms.drain(now=T0) == 2
        statuses = dict(Delivery.objects.values_list("pk", "status"))
        assert statuses == {first.pk: "pending", good.pk: "delivered"}
        assert "ValueError" in Delivery.objects.get(pk=first.pk).last_error

        def out_of_time(*args, **kwargs):
            raise SoftTimeLimitExceeded()

        monkeypatch.setattr(platforms, "send", out_of_time)
        with pytest.raises(SoftTimeLimitExceeded):
            platforms.drain(now=T0 + dt.timedelta(minutes=5))
        assert Delivery.objects.get(pk=first.pk).status == "sending"  # retried once its lease runs out

    def test_a_request_returned_before_sending_is_not_sent(self, world, platform, receiver):
        petition = dispatch(world)
        platforms.record_dispatch(petition.events.get(action="dispatch").pk, now=T0)
        services.petition_return(petition=petition, actor=world.handler, reason="不属于我局", now=T0)
        platforms.drain(now=T0)
        assert receiver[1].posts == [] and Delivery.objects.get().status == "cancelled"

    def test_recording_is_idempotent_and_the_scan_fills_the_gap(self, world, platform, receiver):
        petition = dispatch(world)  # no on-commit hooks: as if the process stopped right after
        assert platforms.record_missing(now=T0) == 1
        assert platforms.record_missing(now=T0) == 0
        assert platforms.record_dispatch(petition.events.get(action="dispatch").pk, now=T0) is None
        assert Delivery.objects.count() == 1

    def test_only_the_latest_dispatch_of_a_request_is_recorded(self, world, platform, receiver):
        petition = dispatch(world)
        first = petition.events.get(action="dispatch")
        services.petition_return(petition=petition, actor=world.handler, reason="不属于我局", now=T0)
        services.petition_dispatch(petition=petition, actor=world.deputy, department=world.department, now=T0)
        assert platforms.record_dispatch(first.pk, now=T0) is None
        assert platforms.record_missing(now=T0) == 1
        assert Delivery.objects.get().event != first

    def test_a_failed_recording_does_not_fail_the_dispatch(
        self, world, platform, receiver, monkeypatch, django_capture_on_commit_callbacks
    ):
        def broken(event_id, now=None):
            raise RuntimeError("database gone")

        monkeypatch.setattr(platforms, "record_dispatch", broken)
        petition = dispatch(world, capture=django_capture_on_commit_callbacks)
        assert petition.status == Status.DISPATCHED
        monkeypatch.undo()
        assert platforms.record_missing(now=T0) == 1  # the scan makes up for it

    def test_a_legacy_platform_also_gets_the_old_headers(self, world, platform, receiver):
        ExternalPlatform.objects.filter(pk=platform.pk).update(secret="s3cret-shared")
        petition = dispatch(world)
        platforms.record_dispatch(petition.events.get(action="dispatch").pk, now=T0)
        platforms.drain(now=T0)
        headers, body = receiver[1].posts[0]
        assert webhooks.verify("s3cret-shared", headers["X-Liaison-Timestamp"], body, headers["X-Liaison-Signature"])
        Webhook(platform.signing_secret).verify(body, headers)

    def test_every_task_has_time_limits(self):
        assert 0 < app.conf.task_soft_time_limit < app.conf.task_time_limit
        from django.conf import settings

        assert settings.DELIVERY_DRAIN_SECONDS + settings.DELIVERY_DEADLINE_SECONDS < app.conf.task_soft_time_limit


class TestSignatures:
    def test_rotation_sends_both_signatures(self):
        old, new = webhooks.new_secret(), webhooks.new_secret()
        body = json.dumps({"type": "petition.dispatched"}).encode()
        headers = webhooks.sign_headers([new, old], "msg_1", body)
        assert len(headers["webhook-signature"].split(" ")) == 2
        for secret in (old, new):  # a receiver on either secret accepts it
            Webhook(secret).verify(body, headers)
        with pytest.raises(WebhookVerificationError):
            Webhook(webhooks.new_secret()).verify(body, headers)

    def test_verification_window_and_malformed_headers(self):
        secret = webhooks.new_secret()
        body = b'{"a":1}'
        headers = webhooks.sign_headers([secret], "msg_1", body, timestamp=1_000_000)
        assert webhooks.verify_standard([secret], body, headers, now=1_000_000 + 299)
        assert not webhooks.verify_standard([secret], body, headers, now=1_000_000 + 301)
        assert not webhooks.verify_standard([secret], body + b" ", headers, now=1_000_000)
        for bad in ("garbage", "v1,%%%", "", "v1," + "A" * 10_000):
            assert not webhooks.verify_standard([secret], body, {**headers, "webhook-signature": bad}, now=1_000_000)
        assert not webhooks.verify_standard([secret], b"\xff", headers, now=1_000_000)

    def test_secrets_are_long_random_and_checked(self):
        secret = webhooks.new_secret()
        assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) >= 24
        for weak in ("s3cret-shared", "whsec_" + base64.b64encode(b"x" * 16).decode(), "whsec_not base64!"):
            with pytest.raises(ValidationError):
                webhooks.validate_secret(weak)

    @pytest.mark.django_db
    def test_each_platform_gets_its_own_secret_per_direction(self):
        a = ExternalPlatform.objects.create(name="A", slug="a", webhook_url="http://127.0.0.1/a")
        b = ExternalPlatform.objects.create(name="B", slug="b", webhook_url="http://127.0.0.1/b")
        assert len({a.signing_secret, a.callback_secret, b.signing_secret, b.callback_secret}) == 4


@pytest.mark.django_db
def test_schema_documents_the_webhook(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "webhooks:" in text and "petition.dispatched" in text and "PetitionDispatchedData" in text


# Callbacks ------------------------------------------------------------------------------------


def callback(platform, payload, *, secret=None, msg_id=None, stamp=None, legacy=False):
    raw = json.dumps(payload).encode()
    stamp = stamp or int(time.time())
    if legacy:
        headers = {
            "HTTP_X_LIAISON_TIMESTAMP": str(stamp),
            "HTTP_X_LIAISON_SIGNATURE": webhooks.sign(secret or platform.secret, stamp, raw),
        }
    else:
        signed = webhooks.sign_headers(
            [secret or platform.callback_secret],
            msg_id or f"cb_{payload.get('callback_id', 'x')}",
            raw,
            timestamp=stamp,
        )
        headers = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in signed.items()}
    return APIClient().generic(
        "POST", f"/api/v1/platforms/{platform.slug}/callback/", raw, content_type="application/json", **headers
    )


@pytest.mark.django_db
class TestCallbacks:
    def test_a_repeated_callback_is_acknowledged_with_its_first_answer(self, world, platform):
        petition = dispatch(world)
        first = callback(platform, {"callback_id": "c1", "number": petition.number, "action": "sign"})
        assert first.status_code == 200 and first.json() == {"number": petition.number, "status": "in_progress"}
        reply = {"callback_id": "c2", "number": petition.number, "action": "reply", "text": "已办结"}
        assert callback(platform, reply).json()["status"] == Status.RESOLVED
        events = petition.events.count()
        again = callback(platform, {"callback_id": "c1", "number": petition.number, "action": "sign"})
        assert again.status_code == 200 and again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"
        assert petition.events.count() == events
        assert PlatformCallback.objects.get(callback_id="c1").result["status"] == "in_progress"

    def test_the_webhook_id_is_the_callback_id_when_the_body_has_none(self, world, platform):
        petition = dispatch(world)
        sign_it = {"number": petition.number, "action": "sign"}
        assert callback(platform, sign_it, msg_id="msg_abc").status_code == 200
        assert callback(platform, sign_it, msg_id="msg_abc").headers["Idempotent-Replayed"] == "true"
        assert PlatformCallback.objects.filter(callback_id="msg_abc").count() == 1

    def test_rotation_accepts_the_previous_callback_secret_and_nothing_else(self, world, platform):
        petition = dispatch(world)
        old = platform.callback_secret
        platform.previous_callback_secret, platform.callback_secret = old, webhooks.new_secret()
        platform.save()
        sign_it = {"callback_id": "c1", "number": petition.number, "action": "sign"}
        assert callback(platform, sign_it, secret=platform.signing_secret).status_code == 401  # wrong direction
        assert callback(platform, sign_it, secret=webhooks.new_secret()).status_code == 401
        assert callback(platform, sign_it, secret=old).status_code == 200
        platform.previous_callback_secret = ""
        platform.save()
        note = {"callback_id": "c2", "number": petition.number, "action": "reply", "text": "好"}
        assert callback(platform, note, secret=old).status_code == 401
        assert callback(platform, note).status_code == 200

    def test_stale_and_forged_callbacks_change_nothing(self, world, platform):
        petition = dispatch(world)
        sign_it = {"callback_id": "c1", "number": petition.number, "action": "sign"}
        assert callback(platform, sign_it, stamp=int(time.time()) - 3600).status_code == 401
        raw = json.dumps(sign_it).encode()
        forged = APIClient().generic(
            "POST",
            f"/api/v1/platforms/{platform.slug}/callback/",
            raw,
            content_type="application/json",
            HTTP_WEBHOOK_ID="x",
            HTTP_WEBHOOK_TIMESTAMP=str(int(time.time())),
            HTTP_WEBHOOK_SIGNATURE="v1,bm9wZQ==",
        )
        assert forged.status_code == 401
        petition.refresh_from_db()
        assert petition.status == Status.DISPATCHED and not PlatformCallback.objects.exists()

    def test_legacy_headers_still_accepted_with_the_legacy_secret(self, world, platform):
        petition = dispatch(world)
        sign_it = {"callback_id": "c1", "number": petition.number, "action": "sign"}
        assert callback(platform, sign_it, legacy=True, secret="s3cret-shared").status_code == 401  # none set
        platform.secret = "s3cret-shared"
        platform.save()
        assert callback(platform, sign_it, legacy=True).status_code == 200

    def test_a_refused_callback_is_not_remembered(self, world, platform):
        petition = dispatch(world)
        reply = {"callback_id": "c1", "number": petition.number, "action": "reply", "text": "已办结"}
        assert callback(platform, reply).status_code == 409  # not signed for yet
        assert not PlatformCallback.objects.exists()
        callback(platform, {"callback_id": "c0", "number": petition.number, "action": "sign"})
        assert callback(platform, reply).status_code == 200

    def test_bad_input_gets_a_clear_answer(self, world, platform):
        petition = dispatch(world)
        assert callback(platform, {"callback_id": "c1", "number": "NOPE", "action": "sign"}).status_code == 404
        assert callback(platform, {"callback_id": "c1", "number": petition.number, "action": "fly"}).status_code == 400
        too_long = callback(platform, {"number": petition.number, "action": "sign"}, msg_id="m" * 65)
        assert too_long.status_code == 400 and "回调" in too_long.content.decode()


# The work desk ----------------------------------------------------------------------------------


@pytest.mark.django_db
class TestAdmin:
    URL = "/admin/petitions/delivery/"

    def failed_delivery(self, world, platform):
        petition = dispatch(world)
        platforms.record_dispatch(petition.events.get(action="dispatch").pk, now=T0)
        Delivery.objects.update(status="failed", attempts=15, last_status_code=500)
        return Delivery.objects.get()

    def test_office_staff_list_filter_and_retry(self, client, world, platform, receiver):
        delivery = self.failed_delivery(world, platform)
        client.force_login(world.office)
        page = client.get(self.URL + "?status=failed")
        assert page.status_code == 200 and delivery.petition.number in page.content.decode()
        assert client.get(f"{self.URL}{delivery.pk}/change/").status_code == 200
        assert client.get(self.URL + "?status=delivered").context["cl"].result_count == 0
        response = client.post(self.URL, {"action": "retry", "_selected_action": [delivery.pk]}, follow=True)
        assert response.status_code == 200
        delivery.refresh_from_db()
        assert delivery.status in ("pending", "delivered") and delivery.manual_retries == 1

    def test_only_office_staff_and_only_their_requests(self, client, world, platform):
        delivery = self.failed_delivery(world, platform)
        for user in (world.deputy, world.head, world.handler, world.grid, world.outsider_deputy):
            assert not Delivery.objects.visible_to(user).exists()
        assert list(Delivery.objects.visible_to(world.office)) == [delivery]
        client.force_login(world.deputy)
        assert client.get(self.URL).status_code == 403
        from liaison.core import roles

        from .factories import OrganisationFactory, UserFactory

        stranger = UserFactory(username="other_office", groups=[roles.OFFICE_STAFF])
        OrganisationFactory().staff.add(stranger)
        client.force_login(stranger)
        assert delivery.petition.number not in client.get(self.URL).content.decode()
        assert client.get(f"{self.URL}{delivery.pk}/change/").status_code == 302  # not found → admin index
        client.post(self.URL, {"action": "retry", "_selected_action": [delivery.pk]})
        delivery.refresh_from_db()
        assert delivery.status == "failed"

    def test_a_platform_address_typed_without_its_scheme_is_https(self, rf, admin_user):
        from django.contrib import admin as django_admin

        from petitions.models import ExternalPlatform

        request = rf.get("/")
        request.user = admin_user
        form_class = django_admin.site._registry[ExternalPlatform].get_form(request)
        form = form_class(data={"name": "渝快政", "slug": "ykz", "webhook_url": "platform.example.cn/hook"})
        form.is_valid()
        assert form.cleaned_data["webhook_url"] == "https://platform.example.cn/hook"


@pytest.mark.django_db
def test_callbacks_move_the_request_through_the_workflow(world, platform):
    petition = dispatch(world)
    assert callback(platform, {"callback_id": "c1", "number": petition.number, "action": "sign"}).status_code == 200
    reply = {"callback_id": "c2", "number": petition.number, "action": "reply", "text": "已办结"}
    assert callback(platform, reply).json()["status"] == Status.RESOLVED
    assert petition.events.filter(action="reply", actor_label="渝快政").exists()


@pytest.mark.django_db
def test_a_callback_for_a_request_not_on_the_platform_is_404(world, platform):
    petition = PetitionFactory(point=world.point)
    assert callback(platform, {"callback_id": "x", "number": petition.number, "action": "sign"}).status_code == 404


@pytest.mark.postgres
@pytest.mark.skipif(
    "postgresql" not in django_settings.DATABASES["default"]["ENGINE"],
    reason="SKIP LOCKED between parallel drains needs PostgreSQL: set DATABASE_URL=postgres://…",
)
@pytest.mark.django_db(transaction=True)
def test_parallel_drains_send_each_delivery_once(world, platform, receiver, monkeypatch):
    from django.db import connection
    from django.utils import timezone

    _, handler = receiver
    handler.answers = [503] * 3
    monkeypatch.setattr(platforms, "queue_drain", lambda: None)  # the threads below do the draining
    petitions = [dispatch(world, now=None) for _ in range(6)]  # recorded as each dispatch commits
    assert Delivery.objects.count() == 6
    start = timezone.now() + dt.timedelta(seconds=1)
    barrier = threading.Barrier(4)
    done, errors = [], []

    def drainer():
        try:
            for step in range(3):  # three rounds, ten minutes apart: the failures come due again
                barrier.wait(timeout=30)  # one clock for all: a lease is only lost when it runs out
                done.append(platforms.drain(now=start + dt.timedelta(minutes=10 * step)))
        except Exception as exc:  # noqa: BLE001 — asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=drainer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}
    assert len(handler.posts) == 6 + 3  # six messages, three of them failed once
    assert [pushes(p) for p in petitions] == [1] * 6


def doc_examples() -> dict:
    """The Python examples of docs/integration.md, run as an integrator would copy them."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "integration.md").read_text(encoding="utf-8")
    namespace = {"__name__": "docs_example"}
    for block in re.findall(r"```python\n(.*?)```", text, re.S):
        exec(compile(block, "docs/integration.md", "exec"), namespace)  # noqa: S102 — our own documentation
    return namespace


@pytest.mark.django_db(transaction=True)
def test_the_documented_examples_verify_a_delivery_and_send_a_callback(world, platform, receiver, live_server):
    examples = doc_examples()
    petition = dispatch(world, now=None)  # committed: recorded and drained for real
    headers, body = receiver[1].posts[0]
    event = examples["verify"](platform.signing_secret, body, headers)
    assert event["type"] == "petition.dispatched" and event["data"]["number"] == petition.number
    with pytest.raises(WebhookVerificationError):
        examples["verify"](platform.callback_secret, body, headers)
    answer = examples["send_callback"](
        live_server.url, platform.slug, platform.callback_secret, {"number": petition.number, "action": "sign"}
    )
    assert answer == {"number": petition.number, "status": "in_progress"}


@pytest.mark.postgres
@pytest.mark.skipif(
    "postgresql" not in django_settings.DATABASES["default"]["ENGINE"],
    reason="concurrent inserts of one callback id need PostgreSQL: set DATABASE_URL=postgres://…",
)
@pytest.mark.django_db(transaction=True)
def test_the_same_callback_at_the_same_moment_is_applied_once(world, platform, monkeypatch):
    from django.db import connection

    monkeypatch.setattr(platforms, "queue_drain", lambda: None)
    petition = dispatch(world, now=None)
    barrier = threading.Barrier(4)
    answers = []

    def send():
        try:
            barrier.wait(timeout=10)
            answers.append(callback(platform, {"callback_id": "c1", "number": petition.number, "action": "sign"}))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [a.status_code for a in answers] == [200] * 4
    assert {a.json()["status"] for a in answers} == {"in_progress"}
    assert sum("Idempotent-Replayed" in a.headers for a in answers) == 3
    assert petition.events.filter(action="sign").count() == 1
