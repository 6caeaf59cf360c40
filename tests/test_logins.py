"""Signing in: one failed-login throttle for the login page, the admin and the API token, keyed
on the real client address; sliding-window limits; password reset by e-mail and by SMS."""

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from liaison.core import ratelimit

THROTTLED = "登录失败次数过多"


@pytest.fixture
def api():
    return APIClient()


class TestSlidingWindow:
    def test_ten_per_hour_never_lets_more_than_ten_through_in_any_hour(self):
        start = 1_800_000_000 - 60  # a minute before the clock's hour turns
        allowed = [ratelimit.allow("sw:a", 10, 3600, now=start + n) for n in range(10)]
        after_the_hour = [ratelimit.allow("sw:a", 10, 3600, now=start + 120 + n) for n in range(10)]
        assert all(allowed) and not any(after_the_hour)  # a fixed hour would let these ten through

    def test_hits_leave_the_window_after_an_hour(self):
        start = 1_800_000_000
        assert all(ratelimit.allow("sw:b", 3, 3600, now=start) for _ in range(3))
        assert not ratelimit.allow("sw:b", 3, 3600, now=start + 3000)
        assert ratelimit.allow("sw:b", 3, 3600, now=start + 3600 + 300)
        assert ratelimit.count("sw:b", 3600, now=start + 3600 + 300) == 1

    def test_refused_hits_do_not_prolong_the_refusal(self):
        start = 1_800_000_000
        assert ratelimit.allow("sw:c", 1, 3600, now=start)
        for minute in range(1, 60):
            assert not ratelimit.allow("sw:c", 1, 3600, now=start + 60 * minute)
        assert ratelimit.allow("sw:c", 1, 3600, now=start + 3900)


@pytest.mark.django_db
class TestOneThrottleForEveryLogin:
    def test_token_failures_lock_the_login_pages_too_and_the_other_way_round(self, client, api, world, settings):
        settings.LOGIN_FAILURES_PER_ACCOUNT = 3
        for n in range(3):  # a forged X-Forwarded-For per try changes nothing
            response = api.post(
                "/api/v1/auth/token/",
                {"username": "deputy", "password": "wrong"},
                HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
            )
            assert response.status_code == 400
        right = {"username": "deputy", "password": "pw-for-tests-1"}
        response = api.post("/api/v1/auth/token/", right, format="json")
        assert response.status_code == 429 and "登录失败次数过多" in response.json()["detail"]
        for url in ("/login/", "/admin/login/"):
            assert THROTTLED in client.post(url, right).content.decode(), url
        # … and from another address the deputy signs in everywhere
        assert api.post("/api/v1/auth/token/", right, REMOTE_ADDR="10.7.7.7").status_code == 200
        assert client.post("/login/", right, REMOTE_ADDR="10.7.7.7").status_code == 302

    def test_login_page_failures_lock_the_token_endpoint(self, client, api, world, settings):
        settings.LOGIN_FAILURES_PER_ACCOUNT = 2
        for _ in range(2):
            client.post("/login/", {"username": "deputy", "password": "wrong"})
        response = api.post("/api/v1/auth/token/", {"username": "deputy", "password": "pw-for-tests-1"})
        assert response.status_code == 429

    def test_token_request_rate_ignores_a_forged_forwarded_header(self, api, world):
        codes = [
            api.post(
                "/api/v1/auth/token/",
                {"username": "deputy", "password": "pw-for-tests-1"},
                HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
            ).status_code
            for n in range(12)
        ]
        assert codes[:10] == [200] * 10 and 429 in codes[10:]

    def test_behind_a_proxy_the_address_it_saw_counts_not_the_one_the_client_wrote(self, client, world, settings):
        settings.NUM_PROXIES = 1
        settings.LOGIN_FAILURES_PER_ACCOUNT = 2
        for n in range(2):
            client.post(
                "/login/",
                {"username": "deputy", "password": "wrong"},
                HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 203.0.113.9",
                REMOTE_ADDR="10.0.0.1",
            )
        right = {"username": "deputy", "password": "pw-for-tests-1"}
        blocked = client.post("/login/", right, HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.9", REMOTE_ADDR="10.0.0.1")
        assert THROTTLED in blocked.content.decode()
        other = client.post("/login/", right, HTTP_X_FORWARDED_FOR="203.0.113.10", REMOTE_ADDR="10.0.0.1")
        assert other.status_code == 302

    def test_a_stranger_cannot_lock_a_deputy_out(self, client, api, world, settings):
        settings.LOGIN_FAILURES_PER_ACCOUNT = 5
        for _ in range(20):
            client.post("/login/", {"username": "deputy", "password": "wrong"}, REMOTE_ADDR="198.51.100.66")
            api.post("/api/v1/auth/token/", {"username": "deputy", "password": "wrong"}, REMOTE_ADDR="198.51.100.66")
        right = {"username": "deputy", "password": "pw-for-tests-1"}
        assert client.post("/admin/login/", right, REMOTE_ADDR="10.1.2.3").status_code == 302
        assert api.post("/api/v1/auth/token/", right, REMOTE_ADDR="10.1.2.3").status_code == 200


def _sms_code(phone):
    from liaison.core import otp, sms

    otp.wait_for_sends()
    texts = [text for to, text in sms.outbox if to == phone]
    return re.search(r"\d{6}", texts[-1]).group() if texts else None


@pytest.fixture
def outboxes():
    from liaison.core import sms

    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def deputy_phone(world):
    person = world.deputy.person
    person.phone = "13911112222"
    person.save()
    world.deputy.email = "li@example.gov.cn"
    world.deputy.save()
    return person.phone


NEW = {"new_password1": "Chongqing-2026-reset", "new_password2": "Chongqing-2026-reset"}


@pytest.mark.django_db
@pytest.mark.usefixtures("outboxes")
class TestPasswordResetByEmail:
    def test_a_link_from_the_portal_address_sets_a_new_password(self, client, world, deputy_phone, settings):
        from django.core import mail

        from liaison.core import otp

        settings.PUBLIC_BASE_URL = "https://liaison.example.gov.cn"
        response = client.post("/password-reset/", {"email": "LI@example.gov.cn"})
        assert response.status_code == 302 and response["Location"] == "/password-reset/sent/"
        otp.wait_for_sends()
        (message,) = mail.outbox
        assert message.to == ["li@example.gov.cn"] and "的密码" in message.subject and "重置" in message.subject
        link = re.search(r"https://liaison\.example\.gov\.cn(/password-reset/\S+/)", message.body).group(1)
        assert "testserver" not in message.body
        form_page = client.get(link, follow=True)
        assert form_page.status_code == 200 and "设置新密码" in form_page.content.decode()
        done = client.post(
            form_page.redirect_chain[-1][0],
            {"new_password1": NEW["new_password1"], "new_password2": NEW["new_password2"]},
        )
        assert done.status_code == 302
        assert client.login(username="deputy", password=NEW["new_password1"])

    def test_an_unknown_address_gets_the_same_answer_and_no_mail(self, client, world):
        from django.core import mail

        from liaison.core import otp

        response = client.post("/password-reset/", {"email": "nobody@example.gov.cn"})
        assert response.status_code == 302 and response["Location"] == "/password-reset/sent/"
        otp.wait_for_sends()
        assert mail.outbox == []

    def test_requests_are_limited_alike_for_known_and_unknown_addresses(self, client, world, deputy_phone, settings):
        settings.OTP_PER_SUBJECT = 2
        for email in ("li@example.gov.cn", "nobody@example.gov.cn"):
            codes = [client.post("/password-reset/", {"email": email}).status_code for _ in range(3)]
            assert codes == [302, 302, 429], email


@pytest.mark.django_db
@pytest.mark.usefixtures("outboxes")
class TestPasswordResetBySms:
    def ask(self, client, username="deputy", **extra):
        return client.post("/password-reset/sms/", {"username": username}, **extra)

    def test_a_code_by_sms_sets_a_new_password(self, client, world, deputy_phone):
        response = self.ask(client, "Deputy")
        assert response.status_code == 302 and response["Location"] == "/password-reset/sms/code/"
        code = _sms_code(deputy_phone)
        assert code and "10 分钟" in _sms_texts(deputy_phone)[-1]
        wrong = client.post("/password-reset/sms/code/", {"code": f"{(int(code) + 1) % 10**6:06d}", **NEW})
        assert wrong.status_code == 400 and "验证码错误或已过期" in wrong.content.decode()
        right = client.post("/password-reset/sms/code/", {"code": code, **NEW})
        assert right.status_code == 302 and right["Location"] == "/login/"
        assert client.login(username="deputy", password=NEW["new_password1"])
        again = self.ask(client) and client.post("/password-reset/sms/code/", {"code": code, **NEW})
        assert again.status_code == 400  # spent

    def test_an_unknown_name_gets_the_same_pages_and_no_sms(self, client, world, deputy_phone):
        from liaison.core import sms

        known, unknown = Client(), Client()
        answers = [self.ask(c, name) for c, name in ((known, "deputy"), (unknown, "no-such-user"))]
        assert [(a.status_code, a["Location"]) for a in answers] == [(302, "/password-reset/sms/code/")] * 2
        _sms_code(deputy_phone)
        assert [to for to, _ in sms.outbox] == [deputy_phone]
        pages = [c.post("/password-reset/sms/code/", {"code": "123456", **NEW}) for c in (known, unknown)]
        assert pages[0].status_code == pages[1].status_code == 400
        assert _errors(pages[0]) == _errors(pages[1])

    def test_a_code_expires_after_ten_minutes(self, client, world, deputy_phone):
        import time_machine

        with time_machine.travel("2026-11-20 09:00 +0800", tick=False) as traveller:
            self.ask(client)
            code = _sms_code(deputy_phone)
            traveller.shift(10 * 60 + 1)
            response = client.post("/password-reset/sms/code/", {"code": code, **NEW})
        assert response.status_code == 400 and "验证码错误或已过期" in response.content.decode()

    def test_five_tries_then_the_code_is_void(self, client, world, deputy_phone):
        self.ask(client)
        code = _sms_code(deputy_phone)
        for _ in range(5):
            client.post("/password-reset/sms/code/", {"code": "000000" if code != "000000" else "111111", **NEW})
        response = client.post("/password-reset/sms/code/", {"code": code, **NEW})
        assert response.status_code == 429 and "重新获取验证码" in response.content.decode()
        assert not client.login(username="deputy", password=NEW["new_password1"])

    def test_codes_are_limited_alike_for_known_and_unknown_names(self, client, world, deputy_phone, settings):
        settings.OTP_PER_SUBJECT = 3
        for name in ("deputy", "no-such-user"):
            codes = [self.ask(client, name).status_code for _ in range(4)]
            assert codes == [302, 302, 302, 429], name
        assert len(_sms_texts(deputy_phone)) == 3

    def test_a_reset_lifts_the_failed_login_lock_of_this_client(self, client, world, deputy_phone, settings):
        settings.LOGIN_FAILURES_PER_ACCOUNT = 2
        for _ in range(2):
            client.post("/login/", {"username": "deputy", "password": "wrong"})
        self.ask(client)
        client.post("/password-reset/sms/code/", {"code": _sms_code(deputy_phone), **NEW})
        response = client.post("/login/", {"username": "deputy", "password": NEW["new_password1"]})
        assert response.status_code == 302


def _sms_texts(phone):
    from liaison.core import sms

    return [text for to, text in sms.outbox if to == phone]


def _errors(response):
    return sorted(str(e) for errors in response.context["form"].errors.values() for e in errors)


@pytest.mark.django_db
@pytest.mark.usefixtures("outboxes")
def test_without_a_cache_no_code_is_promised(client, world, deputy_phone, settings):
    from liaison.core import cache as resilient
    from liaison.core import sms

    settings.CACHES = {
        "default": {"BACKEND": "liaison.core.cache.ResilientRedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    try:
        for name in ("deputy", "no-such-user"):
            response = Client().post("/password-reset/sms/", {"username": name})
            assert response.status_code == 503 and "暂时无法发送验证码" in response.content.decode(), name
            response = Client().post("/track/", {"number": "BYD-2026-00001", "phone": "13800000000"})
            assert response.status_code == 503
    finally:
        resilient._down_until.clear()
    assert sms.outbox == []
