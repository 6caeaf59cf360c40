"""Signing in: one failed-login throttle for the login page, the admin and the API token, keyed
on the real client address; sliding-window limits; password reset by e-mail and by SMS."""

import pytest
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
            response = api.post("/api/v1/auth/token/", {"username": "deputy", "password": "wrong"},
                                HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")  # fmt: skip
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
            api.post("/api/v1/auth/token/", {"username": "deputy", "password": "pw-for-tests-1"},
                     HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
            for n in range(12)
        ]  # fmt: skip
        assert codes[:10] == [200] * 10 and 429 in codes[10:]

    def test_behind_a_proxy_the_address_it_saw_counts_not_the_one_the_client_wrote(self, client, world, settings):
        settings.NUM_PROXIES = 1
        settings.LOGIN_FAILURES_PER_ACCOUNT = 2
        for n in range(2):
            client.post("/login/", {"username": "deputy", "password": "wrong"},
                        HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 203.0.113.9", REMOTE_ADDR="10.0.0.1")  # fmt: skip
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
