"""Message channels: plain-text rendering, SMS backends and providers, group robots, the work
desk's message list. Providers and robots are played by HTTP servers on 127.0.0.1."""

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.template import TemplateDoesNotExist
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from liaison.core import notifications, otp, robots
from liaison.core.models import Notification
from petitions.models import Petition
from points.models import GroupRobot, LiaisonPoint
from points.robots import notify_robots

from .factories import PetitionFactory
from .localserver import serving

ROOT = Path(__file__).resolve().parent.parent
TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 23, 9, 5, tzinfo=TZ)
TRICKY = 'A<B & "C"'


def deliver_all(now=NOW):
    return notifications.deliver_due(now=now)


@pytest.mark.django_db
class TestPlainText:
    def test_text_parts_show_the_title_as_typed_and_html_stays_escaped(self, world):
        world.head.email = "head@example.cn"
        world.head.save()
        petition = PetitionFactory(point=world.point, title=TRICKY, now=NOW)
        Petition.objects.filter(pk=petition.pk).update(enterprise_name="<甲&乙>")
        notifications.notify_user(
            world.head, key="t", template="new_request", context={"petition": petition, "person": None}, now=NOW
        )
        deliver_all()
        row = Notification.objects.get(key="t:in_app")
        assert TRICKY in row.body and "<甲&乙>" in row.body
        assert "&lt;" not in row.body + row.subject and "&quot;" not in row.body and "&amp;" not in row.body
        assert "A&lt;B &amp; &quot;C&quot;" in row.html  # the HTML part is still escaped
        emails = [m for m in mail.outbox if m.to == ["head@example.cn"]]
        assert emails and all(TRICKY in m.body and "&lt;" not in m.body + m.subject for m in emails)

    def test_every_text_template_is_rendered_without_escaping(self, world):
        context = {"point": {"name": "<点>"}, "person": {"name": '"张"'}, "figures": {}, "week": 1}
        subject = notifications.render_part("notifications/weekly_digest/subject.txt", context)
        body = notifications.render_part("notifications/weekly_digest/body.txt", context)
        assert subject.startswith("<点>") and '"张"' in body


class FakeServer:
    """An HTTP server on 127.0.0.1 that plays a provider or a robot: it records each request and
    gives the answers queued in ``answers`` (status, JSON body, seconds to wait first)."""

    def __init__(self):
        self.requests = []
        self.answers = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 — http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                server.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": self.rfile.read(length).decode()}
                )
                status, body, delay = server.answers.pop(0) if server.answers else (200, {"errcode": 0}, 0)
                time.sleep(delay)
                data = (body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up waiting
                    pass

            def log_message(self, *args):
                pass

        self.handler = Handler
        self.host = None  # set while it serves

    def answer(self, body, status=200, delay=0):
        self.answers.append((status, body, delay))

    @property
    def last(self):
        return self.requests[-1]


@pytest.fixture
def server():
    fake = FakeServer()
    with serving(fake.handler) as httpd:
        fake.host = f"127.0.0.1:{httpd.server_address[1]}"
        yield fake


def digest_sms(world, key="sms:1", phone="139 0000 0000"):
    """An SMS for the weekly digest: its parameters need no other rows than the world's."""
    context = {"point": world.point, "person": world.head.person, "figures": {"new": 3, "open": 2}, "week": 48}
    return notifications.notify(
        key=key, template="weekly_digest", channel="sms", address=phone, context=context, now=NOW
    )


def refreshed(row):
    row.refresh_from_db()
    return row


@pytest.fixture
def provider(settings, server):
    settings.SMS_ENDPOINT = server.host
    settings.SMS_PROTOCOL = "http"
    settings.SMS_TIMEOUT = 1
    settings.SMS_ACCESS_KEY_ID = "AKID-test"
    settings.SMS_ACCESS_KEY_SECRET = "secret-test"
    settings.SMS_SIGN_NAME = "璧山区人大"
    settings.SMS_APP_ID = "1400000000"
    settings.SMS_TEMPLATES = {"weekly_digest": "SMS_4800"}
    return server


@pytest.mark.django_db
class TestSmsParameters:
    def test_parameters_come_from_sms_txt_in_order_and_one_line_each(self, world):
        world.point.name = "点\nfake=1"
        world.point.save()
        context = {"point": world.point, "figures": {"new": 3}, "week": 48}
        params = notifications.sms_params("weekly_digest", context)
        assert list(params) == ["point", "week", "new", "resolved", "open", "overdue"]
        assert params["point"] == "点 fake=1" and params["new"] == "3" and params["resolved"] == "0"

    def test_an_sms_for_a_message_without_parameters_is_refused_when_recorded(self, world, settings, tmp_path):
        (tmp_path / "notifications" / "bare").mkdir(parents=True)
        for part in notifications.PARTS:
            (tmp_path / "notifications" / "bare" / part).write_text("x")
        settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
        notifications.notify(key="in-app", template="bare", context={}, channel="in_app", user=world.head)
        with pytest.raises(TemplateDoesNotExist):
            notifications.notify(key="sms", template="bare", context={}, channel="sms", address="13900000000")
        assert not Notification.objects.filter(key="sms").exists()

    def test_the_file_backend_writes_one_json_line_per_message(self, world, settings, tmp_path):
        settings.SMS_BACKEND = "liaison.core.sms.FileSmsBackend"
        settings.SMS_FILE = tmp_path / "var" / "sms.log"
        world.point.name = 'A<B & "C"'
        world.point.save()
        row = digest_sms(world)
        with time_machine.travel(NOW, tick=False):
            deliver_all()
        (line,) = settings.SMS_FILE.read_text(encoding="utf-8").splitlines()
        entry = json.loads(line)
        assert entry["to"] == "139 0000 0000" and entry["at"] == NOW.isoformat()
        assert entry["text"].startswith('A<B & "C"：') and "待办 2 件" in entry["text"]
        assert refreshed(row).status == "sent" and refreshed(row).body in entry["text"]

    def test_a_backend_with_only_send_phone_text_still_gets_the_text(self, world, settings):
        settings.SMS_BACKEND = "tests.test_channels.TextOnlySms"
        TextOnlySms.sent.clear()
        digest_sms(world)
        deliver_all()
        ((phone, text),) = TextOnlySms.sent
        assert phone == "139 0000 0000" and "待办 2 件" in text


class TextOnlySms:
    sent = []

    def send(self, phone, text):
        self.sent.append((phone, text))


@pytest.mark.django_db
class TestAlibabaSms:
    @pytest.fixture(autouse=True)
    def _backend(self, settings, provider):
        settings.SMS_BACKEND = "liaison.core.sms.AlibabaSmsBackend"

    def test_sends_the_template_code_and_parameters(self, world, provider):
        provider.answer({"Code": "OK", "Message": "OK", "BizId": "900^0", "RequestId": "r1"})
        row = digest_sms(world)
        assert deliver_all() == 1
        request = provider.last
        query = parse_qs(urlsplit(request["path"]).query)
        assert request["headers"]["x-acs-action"] == "SendSms"
        assert request["headers"]["Authorization"].startswith("ACS3-HMAC-SHA256 Credential=AKID-test,")
        assert query["PhoneNumbers"] == ["13900000000"] and query["SignName"] == ["璧山区人大"]
        assert query["TemplateCode"] == ["SMS_4800"] and query["OutId"] == [str(row.pk)]
        params = json.loads(query["TemplateParam"][0])
        assert params == {
            "point": world.point.name,
            "week": "48",
            "new": "3",
            "resolved": "0",
            "open": "2",
            "overdue": "0",
        }
        assert refreshed(row).status == "sent"

    def test_a_bad_number_fails_at_once_without_retries(self, world, provider):
        provider.answer({"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号", "RequestId": "r2"})
        row = digest_sms(world)
        deliver_all()
        row = refreshed(row)
        assert row.status == "failed" and row.attempts == 1 and "isv.MOBILE_NUMBER_ILLEGAL" in row.last_error
        assert deliver_all(NOW + dt.timedelta(hours=3)) == 0 and len(provider.requests) == 1

    def test_an_unapproved_template_fails_at_once(self, world, provider):
        provider.answer({"Code": "isv.SMS_TEMPLATE_ILLEGAL", "Message": "模板不合法", "RequestId": "r3"})
        row = digest_sms(world)
        deliver_all()
        assert refreshed(row).status == "failed"

    def test_throttling_is_retried_with_backoff_and_then_sent(self, world, provider):
        provider.answer({"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发流控", "RequestId": "r4"})
        provider.answer({"Code": "OK", "Message": "OK", "BizId": "901^0", "RequestId": "r5"})
        row = digest_sms(world)
        deliver_all()
        row = refreshed(row)
        assert row.status == "pending" and "isv.BUSINESS_LIMIT_CONTROL" in row.last_error
        assert row.next_attempt_at == NOW + dt.timedelta(minutes=1)
        deliver_all(NOW + dt.timedelta(minutes=1))
        row = refreshed(row)
        assert row.status == "sent" and row.attempts == 2 and row.last_error == ""

    def test_an_http_error_answer_is_retried(self, world, provider):
        provider.answer({"Code": "InvalidAccessKeyId.NotFound", "Message": "Specified access key is not found."}, 404)
        row = digest_sms(world)
        deliver_all()
        row = refreshed(row)
        assert row.status == "pending" and "InvalidAccessKeyId.NotFound" in row.last_error

    def test_a_provider_that_does_not_answer_in_time_is_retried(self, world, provider):
        provider.answer({"Code": "OK"}, delay=2.5)
        row = digest_sms(world)
        started = time.monotonic()
        deliver_all()
        assert time.monotonic() - started < 2.4
        row = refreshed(row)
        assert row.status == "pending" and row.attempts == 1 and "timed out" in row.last_error.lower()

    def test_a_malformed_number_fails_without_asking_the_provider(self, world, provider):
        row = digest_sms(world, phone="0571-8888")
        deliver_all()
        assert refreshed(row).status == "failed" and provider.requests == []

    def test_a_message_without_a_template_code_waits_for_one(self, world, provider, settings):
        settings.SMS_TEMPLATES = {}
        row = digest_sms(world)
        deliver_all()
        row = refreshed(row)
        assert row.status == "pending" and "SMS_TEMPLATE_WEEKLY_DIGEST" in row.last_error
        assert provider.requests == []


@pytest.mark.django_db
class TestTencentSms:
    @pytest.fixture(autouse=True)
    def _backend(self, settings, provider):
        settings.SMS_BACKEND = "liaison.core.sms.TencentSmsBackend"

    @staticmethod
    def status(code="Ok", message="send success"):
        sent = {
            "SerialNo": "2640:1",
            "PhoneNumber": "+8613900000000",
            "Fee": 1,
            "SessionContext": "",
            "Code": code,
            "Message": message,
            "IsoCode": "CN",
        }
        return {"Response": {"SendStatusSet": [sent], "RequestId": "r"}}

    def test_sends_the_template_id_and_parameters_in_order(self, world, provider):
        provider.answer(self.status())
        row = digest_sms(world)
        assert deliver_all() == 1
        request = provider.last
        body = json.loads(request["body"])
        assert request["headers"]["X-TC-Action"] == "SendSms"
        assert request["headers"]["Authorization"].startswith("TC3-HMAC-SHA256 Credential=AKID-test/")
        assert body["PhoneNumberSet"] == ["+8613900000000"] and body["SmsSdkAppId"] == "1400000000"
        assert body["SignName"] == "璧山区人大" and body["TemplateId"] == "SMS_4800"
        assert body["TemplateParamSet"] == [world.point.name, "48", "3", "0", "2", "0"]
        assert body["SessionContext"] == str(row.pk)
        assert refreshed(row).status == "sent"

    def test_an_unapproved_template_fails_at_once(self, world, provider):
        error = {"Code": "FailedOperation.TemplateIncorrectOrUnapproved", "Message": "模板未审核通过"}
        provider.answer({"Response": {"Error": error, "RequestId": "r"}})
        row = digest_sms(world)
        deliver_all()
        row = refreshed(row)
        assert row.status == "failed" and "TemplateIncorrectOrUnapproved" in row.last_error

    def test_a_bad_number_in_the_status_fails_at_once(self, world, provider):
        provider.answer(self.status("InvalidParameterValue.IncorrectPhoneNumber", "手机号格式错误"))
        row = digest_sms(world)
        deliver_all()
        assert refreshed(row).status == "failed"

    def test_a_daily_limit_is_retried(self, world, provider):
        provider.answer(self.status("LimitExceeded.PhoneNumberDailyLimit", "单个手机号日下发条数超过上限"))
        row = digest_sms(world)
        deliver_all()
        row = refreshed(row)
        assert row.status == "pending" and "PhoneNumberDailyLimit" in row.last_error

    def test_a_provider_that_does_not_answer_in_time_is_retried(self, world, provider):
        provider.answer(self.status(), delay=2.5)
        row = digest_sms(world)
        started = time.monotonic()
        deliver_all()
        assert time.monotonic() - started < 2.4
        row = refreshed(row)
        assert row.status == "pending" and "timed out" in row.last_error.lower()


@pytest.mark.django_db
class TestOneTimeCodesBySms:
    """The codes that recover a tracking link and reset a password go through the configured
    backend, as their own approved templates, and the code received is the one that works."""

    def test_a_provider_sends_the_tracking_code_template_with_its_parameters(self, client, world, provider, settings):
        settings.SMS_BACKEND = "liaison.core.sms.AlibabaSmsBackend"
        settings.SMS_TEMPLATES = {"tracking_code": "SMS_5100"}
        provider.answer({"Code": "OK", "Message": "OK", "BizId": "900^1", "RequestId": "r1"})
        petition = PetitionFactory(point=world.point, contact_phone="13900000000")
        assert client.post("/track/", {"number": petition.number, "phone": "13900000000"}).status_code == 302
        otp.wait_for_sends()
        query = parse_qs(urlsplit(provider.last["path"]).query)
        assert query["PhoneNumbers"] == ["13900000000"] and query["TemplateCode"] == ["SMS_5100"]
        params = json.loads(query["TemplateParam"][0])
        assert list(params) == ["number", "code"] and params["number"] == petition.number
        opened = client.post("/track/code/", {"code": params["code"]})
        assert opened.status_code == 302 and opened["Location"] == petition.get_tracking_url()

    def test_a_provider_sends_the_password_reset_code_template(self, client, world, provider, settings):
        settings.SMS_BACKEND = "liaison.core.sms.TencentSmsBackend"
        settings.SMS_TEMPLATES = {"password_reset_code": "7000"}
        provider.answer(TestTencentSms.status())
        world.deputy.person.phone = "13900000000"
        world.deputy.person.save()
        assert client.post("/password-reset/sms/", {"username": "deputy"}).status_code == 302
        otp.wait_for_sends()
        body = json.loads(provider.last["body"])
        assert body["TemplateId"] == "7000" and body["PhoneNumberSet"] == ["+8613900000000"]
        (code,) = body["TemplateParamSet"]
        new = {"new_password1": "Chongqing-2026-reset", "new_password2": "Chongqing-2026-reset"}
        assert client.post("/password-reset/sms/code/", {"code": code, **new}).status_code == 302
        world.deputy.refresh_from_db()
        assert world.deputy.check_password("Chongqing-2026-reset")

    def test_the_file_backend_writes_the_code(self, client, world, settings, tmp_path):
        settings.SMS_BACKEND = "liaison.core.sms.FileSmsBackend"
        settings.SMS_FILE = tmp_path / "sms.log"
        petition = PetitionFactory(point=world.point, contact_phone="13900000000")
        client.post("/track/", {"number": petition.number, "phone": "13900000000"})
        otp.wait_for_sends()
        (line,) = [json.loads(line) for line in settings.SMS_FILE.read_text().splitlines()]
        assert line["to"] == "13900000000" and line["template"] == "tracking_code" and petition.number in line["text"]


# The refusals are made while the production settings load (test_foundation starts the whole
# of production once); loading only them keeps each case a fraction of a second.
PRINT_SMS_BACKEND = "from liaison.settings import prod; print(prod.SMS_BACKEND)"


def _production(extra_env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SMS_")}
    environment.update(
        {"DJANGO_SETTINGS_MODULE": "liaison.settings.prod", "SECRET_KEY": "k" * 50, "ALLOWED_HOSTS": "x.example.cn"},
        **extra_env,
    )
    return subprocess.run(
        [sys.executable, "-c", PRINT_SMS_BACKEND],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


class TestProductionSms:
    def test_production_refuses_the_development_backend(self):
        result = _production({})
        assert result.returncode != 0 and "SMS_ALLOW_DEV_BACKEND" in result.stderr

    def test_production_runs_the_development_backend_only_when_told_to(self):
        result = _production({"SMS_ALLOW_DEV_BACKEND": "true"})
        assert result.returncode == 0, result.stderr
        assert _production({"SMS_ALLOW_DEV_BACKEND": "flase"}).returncode != 0

    def test_production_starts_with_a_provider_and_its_account(self):
        tencent = {
            "SMS_BACKEND": "liaison.core.sms.TencentSmsBackend",
            "SMS_ACCESS_KEY_ID": "AKID",
            "SMS_ACCESS_KEY_SECRET": "s",
            "SMS_SIGN_NAME": "璧山区人大",
        }
        result = _production(tencent)
        assert result.returncode != 0 and "SMS_APP_ID" in result.stderr
        result = _production({**tencent, "SMS_APP_ID": "1400000000"})
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "liaison.core.sms.TencentSmsBackend"

    def test_production_refuses_a_backend_that_does_not_exist(self):
        result = _production({"SMS_BACKEND": "liaison.core.sms.AliyunSms", "SMS_ALLOW_DEV_BACKEND": "true"})
        assert result.returncode != 0 and "cannot be imported" in result.stderr


def robot(server, owner, kind="dingtalk", **fields):
    path = "/robot/send?access_token=tok" if kind == "dingtalk" else "/cgi-bin/webhook/send?key=wkey"
    where = {"point": owner} if isinstance(owner, LiaisonPoint) else {"organisation": owner}
    return GroupRobot.objects.create(
        name=fields.pop("name", f"{kind} group"),
        kind=kind,
        webhook_url=f"http://{server.host}{path}",
        **where,
        **fields,
    )


def new_request_to_robots(petition, now=NOW):
    return notify_robots(
        point=petition.point,
        event="new_request",
        key=f"new-request:{petition.pk}",
        template="robot_new_request",
        context={"petition": petition},
        link=f"/admin/petitions/petition/{petition.pk}/change/",
        now=now,
    )


@pytest.fixture
def robots_on(settings, server):
    settings.ROBOT_TIMEOUT = 1
    settings.PUBLIC_BASE_URL = "https://liaison.example.cn"
    return server


class TestRobotClient:
    def test_dingtalk_signature_as_documented(self):
        assert robots.dingtalk_sign("SECtest", 1700000000000) == "aZLLrriXgn05YbwaGR7knYsLeJADjr9NwLaNNKpxh4g%3D"
        url = robots.signed_url("https://oapi.dingtalk.com/robot/send?access_token=t", "SECtest", 1700000000000)
        assert url.endswith(
            "?access_token=t&timestamp=1700000000000&sign=aZLLrriXgn05YbwaGR7knYsLeJADjr9NwLaNNKpxh4g%3D"
        )

    def test_long_texts_are_cut_to_what_wecom_takes(self):
        body = robots.payload("wecom", title="t", text="长" * 2000)
        assert len(body["text"]["content"].encode()) <= 2048


@pytest.mark.django_db
class TestRobots:
    def test_a_signed_dingtalk_message_with_the_text_and_an_absolute_link(self, world, robots_on):
        point_robot = robot(robots_on, world.point, secret="SECtest")
        petition = PetitionFactory(point=world.point, title=TRICKY, now=NOW)
        assert Notification.objects.filter(channel="robot").count() == 1  # recorded when it was filed
        assert new_request_to_robots(petition) == 0
        robots_on.answer({"errcode": 0, "errmsg": "ok"})
        with time_machine.travel(NOW, tick=False):
            assert deliver_all() >= 1
        request = robots_on.last
        query = parse_qs(urlsplit(request["path"]).query)
        timestamp = query["timestamp"][0]
        assert timestamp == str(int(NOW.timestamp() * 1000)) and query["access_token"] == ["tok"]
        expected = hmac.new(b"SECtest", f"{timestamp}\nSECtest".encode(), hashlib.sha256).digest()
        assert base64.b64decode(query["sign"][0]) == expected  # parse_qs has URL-decoded it once
        body = json.loads(request["body"])
        assert body["msgtype"] == "text"
        assert petition.number in body["text"]["content"] and TRICKY in body["text"]["content"]
        assert "提交了" in body["text"]["content"]  # the group reads Chinese
        assert f"https://liaison.example.cn/admin/petitions/petition/{petition.pk}/change/" in body["text"]["content"]
        row = Notification.objects.get(key=f"new-request:{petition.pk}:robot:{point_robot.pk}")
        assert row.channel == "robot" and row.status == "sent" and row.user is None

    def test_dingtalk_refusal_is_recorded_and_retried(self, world, robots_on):
        robot(robots_on, world.point, secret="SECwrong")
        robots_on.answer({"errcode": 310000, "errmsg": "sign not match"})
        petition = PetitionFactory(point=world.point, now=NOW)
        new_request_to_robots(petition)
        deliver_all()
        row = Notification.objects.get(channel="robot")
        assert row.status == "pending" and "310000" in row.last_error and "sign not match" in row.last_error
        deliver_all(NOW + dt.timedelta(minutes=1))
        assert refreshed(row).status == "sent" and refreshed(row).attempts == 2

    def test_a_message_the_robot_refuses_as_such_is_not_retried(self, world, robots_on):
        robot(robots_on, world.point, kind="wecom")
        robots_on.answer({"errcode": 45002, "errmsg": "content size exceed limit"})
        new_request_to_robots(PetitionFactory(point=world.point, now=NOW))
        deliver_all()
        assert Notification.objects.get(channel="robot").status == "failed"

    def test_wecom_markdown_to_the_key_address(self, world, robots_on):
        robot(robots_on, world.point, kind="wecom", markdown=True)
        robots_on.answer({"errcode": 0, "errmsg": "ok"})
        petition = PetitionFactory(point=world.point, now=NOW)
        new_request_to_robots(petition)
        deliver_all()
        request = robots_on.last
        assert request["path"] == "/cgi-bin/webhook/send?key=wkey"
        body = json.loads(request["body"])
        assert body["msgtype"] == "markdown" and body["markdown"]["content"].startswith("### ")
        assert Notification.objects.get(channel="robot").status == "sent"

    def test_wecom_error_and_timeout_are_retried(self, world, robots_on):
        robot(robots_on, world.point, kind="wecom")
        robots_on.answer({"errcode": 93000, "errmsg": "invalid webhook url"})
        robots_on.answer({"errcode": 0, "errmsg": "ok"}, delay=2.5)
        new_request_to_robots(PetitionFactory(point=world.point, now=NOW))
        deliver_all()
        row = Notification.objects.get(channel="robot")
        assert row.status == "pending" and "93000" in row.last_error
        started = time.monotonic()
        deliver_all(NOW + dt.timedelta(minutes=1))
        assert time.monotonic() - started < 2.4
        row = refreshed(row)
        assert row.status == "pending" and row.attempts == 2 and "timed out" in row.last_error

    def test_an_answer_that_is_not_the_robots_json_is_retried(self, world, robots_on):
        robot(robots_on, world.point, kind="wecom")
        robots_on.answer("<html>gateway</html>", status=502)
        new_request_to_robots(PetitionFactory(point=world.point, now=NOW))
        deliver_all()
        row = Notification.objects.get(channel="robot")
        assert row.status == "pending" and "502" in row.last_error

    def test_robots_of_the_point_and_its_organisations_up_the_tree_only(self, world, robots_on):
        street = world.point.organisation
        mine = {
            robot(robots_on, world.point).pk,
            robot(robots_on, street, kind="wecom").pk,
            robot(robots_on, street.parent, name="district").pk,
        }
        robot(robots_on, world.other_point)  # another street's point
        robot(robots_on, world.other_point.organisation)
        robot(robots_on, world.point, active=False)
        robot(robots_on, world.point, on_new_request=False)
        petition = PetitionFactory(point=world.point, now=NOW)
        assert Notification.objects.filter(channel="robot").count() == 3  # recorded when it was filed
        assert new_request_to_robots(petition) == 0  # the same occasion again: nothing new
        keys = set(Notification.objects.filter(channel="robot").values_list("key", flat=True))
        assert keys == {f"new-request:{petition.pk}:robot:{pk}" for pk in mine}

    def test_a_robot_deleted_before_sending_fails_the_message(self, world, robots_on):
        doomed = robot(robots_on, world.point)
        new_request_to_robots(PetitionFactory(point=world.point, now=NOW))
        doomed.delete()
        deliver_all()
        row = Notification.objects.get(channel="robot")
        assert row.status == "failed" and robots_on.requests == []

    def test_a_robot_needs_exactly_one_owner(self, world, robots_on):
        with pytest.raises(IntegrityError), transaction.atomic():
            GroupRobot.objects.create(name="x", kind="wecom", webhook_url="https://qyapi.example/x")
        both = GroupRobot(
            name="x",
            kind="wecom",
            webhook_url="https://q.example/x",
            point=world.point,
            organisation=world.point.organisation,
        )
        with pytest.raises(ValidationError):
            both.full_clean()


ROBOTS = "/admin/points/grouprobot/"


@pytest.mark.django_db
class TestRobotAdmin:
    @pytest.fixture
    def office(self, world):
        codes = ["view_grouprobot", "add_grouprobot", "change_grouprobot"]
        world.office.user_permissions.add(*Permission.objects.filter(codename__in=codes))
        return world.office

    def test_office_staff_see_robots_of_their_tree_only(self, client, world, office, robots_on):
        robot(robots_on, world.point, name="本点群")
        robot(robots_on, world.point.organisation.parent, name="区办群")
        robot(robots_on, world.other_point, name="别的点群")
        robot(robots_on, world.other_point.organisation, name="别的街道群")
        client.force_login(office)
        page = client.get(ROBOTS).content.decode()
        assert "本点群" in page and "区办群" in page
        assert "别的点群" not in page and "别的街道群" not in page
        assert "access_token=tok" not in page  # the address's credential is not listed

    def test_choices_and_secret(self, client, world, office, robots_on):
        mine = robot(robots_on, world.point, secret="SECkeep")
        client.force_login(office)
        form = client.get(f"{ROBOTS}add/").context["adminform"].form
        assert world.point in form.fields["point"].queryset
        assert world.other_point not in form.fields["point"].queryset
        assert world.other_point.organisation not in form.fields["organisation"].queryset
        page = client.get(f"{ROBOTS}{mine.pk}/change/").content.decode()
        assert "SECkeep" not in page
        data = {
            "name": "改名",
            "kind": "dingtalk",
            "webhook_url": mine.webhook_url,
            "secret": "",
            "point": world.point.pk,
            "on_new_request": "on",
            "active": "on",
        }
        assert client.post(f"{ROBOTS}{mine.pk}/change/", data).status_code == 302
        mine.refresh_from_db()
        assert mine.name == "改名" and mine.secret == "SECkeep"
        other = robot(robots_on, world.other_point)
        assert client.get(f"{ROBOTS}{other.pk}/change/").status_code == 302  # not theirs: back to the list

    def test_a_robot_with_two_owners_or_no_web_address_is_refused_in_chinese(self, client, world, office):
        client.force_login(office)
        data = {
            "name": "群",
            "kind": "wecom",
            "webhook_url": "ftp://qyapi.example/x",
            "secret": "",
            "point": world.point.pk,
            "organisation": world.point.organisation.pk,
            "active": "on",
        }
        response = client.post(f"{ROBOTS}add/", data)
        page = response.content.decode()
        assert (
            response.status_code == 200
            and "二者择一" in page
            and "合法的URL" in page
            and "grouprobot_one_owner" not in page
        )
        assert not GroupRobot.objects.exists()

    def test_send_a_test_message_shows_the_answer(self, client, world, office, robots_on):
        good = robot(robots_on, world.point, name="好群")
        bad = robot(robots_on, world.point, name="坏群", kind="wecom")
        robots_on.answer({"errcode": 0, "errmsg": "ok"})
        robots_on.answer({"errcode": 93000, "errmsg": "invalid webhook url"})
        client.force_login(office)
        response = client.post(ROBOTS, {"action": "send_test", "_selected_action": [good.pk, bad.pk]}, follow=True)
        page = response.content.decode()
        assert "好群" in page and "93000" in page
        assert set(Notification.objects.filter(channel="robot").values_list("status", flat=True)) == {"sent", "failed"}


MESSAGES = "/admin/core/notification/"


@pytest.mark.django_db
class TestWorkDeskMessages:
    @pytest.fixture
    def message(self, world):
        petition = PetitionFactory(point=world.point, title=TRICKY, now=NOW)
        deliver_all()
        return Notification.objects.get(key__startswith=f"new-request:{petition.pk}:", user=world.head)

    def test_the_list_shows_text_and_link_never_template_or_context(self, client, world, message):
        client.force_login(world.head)
        page = client.get(MESSAGES).content.decode()
        assert message.subject and escape(message.subject) in page
        assert f'href="{message.link}"' in page
        assert "new_request" not in page and "__model__" not in page

    def test_the_message_page_shows_its_text_and_reading_it_marks_it_read(self, client, world, message):
        client.force_login(world.head)
        page = client.get(f"{MESSAGES}{message.pk}/change/").content.decode()
        assert escape(message.body) in page and "new_request" not in page and "__model__" not in page
        assert refreshed(message).read_at is not None

    def test_a_message_not_sent_yet_is_shown_rendered(self, client, world):
        petition = PetitionFactory(point=world.point, now=NOW)
        row = Notification.objects.get(key__startswith=f"new-request:{petition.pk}:", user=world.head)
        assert row.subject == ""  # waiting for the scan
        client.force_login(world.head)
        page = client.get(f"{MESSAGES}{row.pk}/change/").content.decode()
        assert petition.number in page and "__model__" not in page

    def test_unread_badge_in_the_header_with_one_query(self, client, world, message):
        client.force_login(world.head)
        unread = Notification.objects.filter(user=world.head, channel="in_app", read_at__isnull=True).count()
        assert unread >= 1
        with CaptureQueriesContext(connection) as queries:
            page = client.get("/admin/").content.decode()
        assert '<span class="badge"' in page and f">{unread}</span>" in page and f"{MESSAGES}?unread=1" in page
        assert len([q for q in queries if "core_notification" in q["sql"]]) == 1
        Notification.objects.filter(user=world.head).update(read_at=NOW)
        assert 'class="unread-messages"' not in client.get("/admin/").content.decode()

    def test_the_unread_filter(self, client, world, message):
        Notification.objects.filter(pk=message.pk).update(read_at=NOW)
        client.force_login(world.head)
        assert escape(message.subject) not in client.get(f"{MESSAGES}?unread=1").content.decode()
        assert escape(message.subject) in client.get(f"{MESSAGES}?unread=0").content.decode()

    def test_administrators_see_sms_rows_as_text(self, client, world, admin_user):
        row = digest_sms(world)
        deliver_all()
        client.force_login(admin_user)
        page = client.get(MESSAGES).content.decode()
        assert escape(refreshed(row).subject) in page and "weekly_digest" not in page


@pytest.mark.django_db
class TestRobotMessages:
    """The message sets the workflow is to use for robots render for a group, not a person."""

    def test_reception_day_reminder_names_the_roster(self, world, robots_on):
        from deputies.services import reception_days_generate

        robot(robots_on, world.point.organisation, on_reception_reminder=True)
        reception_days_generate(today=dt.date(2026, 12, 1), months=1)
        day = world.point.reception_days.get()
        created = notify_robots(
            point=world.point,
            event="reception_reminder",
            key=f"reception:{day.pk}:d1",
            template="robot_reception_reminder",
            context={"day": day},
            now=NOW,
        )
        assert created == 1
        deliver_all()
        content = json.loads(robots_on.last["body"])["text"]["content"]
        assert world.point.name in content and "2026-12-15" in content and "陈立群" in content

    def test_escalation_uses_the_escalation_message(self, world, robots_on):
        robot(robots_on, world.point)
        petition = PetitionFactory(point=world.point, now=NOW)
        created = notify_robots(
            point=world.point,
            event="escalation",
            key=f"escalation:{petition.pk}:2",
            template="escalation",
            context={"petition": petition, "level": 2, "label": "Supervised by the street working committee"},
            now=NOW,
        )
        assert created == 1
        deliver_all()
        content = json.loads(robots_on.last["body"])["text"]["content"]
        assert petition.number in content and "2" in content
