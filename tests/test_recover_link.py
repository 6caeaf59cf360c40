"""查询我的诉求: back to a lost tracking link with the request number, the phone it was filed
with and a one-time SMS code; nothing tells a matching number from another before the code."""

import re

import pytest
import time_machine
from django.test import Client

from liaison.core import otp, sms

from .factories import PetitionFactory

PHONE = "13812345678"


@pytest.fixture(autouse=True)
def outbox():
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture
def petition(world):
    return PetitionFactory(point=world.point, contact_phone=PHONE)


def ask(client, number, phone=PHONE):
    return client.post("/track/", {"number": number, "phone": phone})


def sent_code():
    otp.wait_for_sends()
    return re.search(r"\d{6}(?=，)", sms.outbox[-1][1]).group() if sms.outbox else None


@pytest.mark.django_db
class TestRecoverLink:
    def test_number_phone_and_code_open_the_tracking_page(self, client, petition):
        response = ask(client, petition.number.lower(), "+86 138 1234 5678")
        assert response.status_code == 302 and response["Location"] == "/track/code/"
        code = sent_code()
        assert sms.outbox[-1][0] == PHONE and petition.number in sms.outbox[-1][1]
        opened = client.post("/track/code/", {"code": code})
        assert opened.status_code == 302 and opened["Location"] == petition.get_tracking_url()
        assert client.get(opened["Location"]).status_code == 200

    def test_a_wrong_code_opens_nothing(self, client, petition):
        ask(client, petition.number)
        code = sent_code()
        response = client.post("/track/code/", {"code": f"{(int(code) + 1) % 10**6:06d}"})
        assert response.status_code == 400 and "验证码错误或已过期" in response.content.decode()
        assert petition.access_token not in response.content.decode()

    def test_an_expired_code_opens_nothing(self, client, petition):
        with time_machine.travel("2026-11-20 09:00 +0800", tick=False) as traveller:
            ask(client, petition.number)
            code = sent_code()
            traveller.shift(10 * 60 + 1)
            response = client.post("/track/code/", {"code": code})
        assert response.status_code == 400 and "验证码错误或已过期" in response.content.decode()

    def test_five_wrong_tries_void_the_code(self, client, petition):
        ask(client, petition.number)
        code = sent_code()
        for _ in range(5):
            client.post("/track/code/", {"code": "000000" if code != "000000" else "111111"})
        response = client.post("/track/code/", {"code": code})
        assert response.status_code == 429 and "重新获取验证码" in response.content.decode()

    def test_known_and_unknown_numbers_get_the_same_answers(self, petition):
        known, wrong_phone, unknown = Client(), Client(), Client()
        first = [
            ask(known, petition.number),
            ask(wrong_phone, petition.number, "13900000000"),
            ask(unknown, "BYD-2099-99999"),
        ]
        assert {(r.status_code, r["Location"]) for r in first} == {(302, "/track/code/")}
        otp.wait_for_sends()
        assert [to for to, _ in sms.outbox] == [PHONE]  # only the phone the request was filed with
        pages = [c.post("/track/code/", {"code": "123456"}) for c in (known, wrong_phone, unknown)]
        assert {p.status_code for p in pages} == {400}
        texts = {re.sub(r"[A-Z]+-\d{4}-\d{5}", "N", p.content.decode()).replace(petition.number, "N") for p in pages}
        texts = {re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", t) for t in texts}
        assert len(texts) == 1

    def test_codes_are_limited_per_number_alike_for_known_and_unknown(self, client, petition, settings):
        settings.OTP_PER_SUBJECT = 2
        assert [ask(client, petition.number).status_code for _ in range(3)] == [302, 302, 429]
        unknown = [ask(Client(), "BYD-2099-99999", "13900000001").status_code for _ in range(3)]
        assert unknown == [302, 302, 429]

    def test_one_phone_is_not_flooded_with_codes_through_other_numbers(self, petition, settings):
        settings.OTP_PER_SUBJECT = 2
        codes = [ask(Client(), f"BYD-2099-{n:05d}").status_code for n in range(3)]
        assert codes == [302, 302, 429]

    def test_codes_are_limited_per_client(self, petition, settings):
        settings.OTP_PER_CLIENT = 2
        codes = [ask(Client(), f"BYD-2099-{n:05d}", f"1370000{n:04d}").status_code for n in range(3)]
        assert codes == [302, 302, 429]


@pytest.mark.django_db
def test_the_point_page_and_the_tracking_page_lead_to_it(client, world):
    from .factories import PetitionFactory

    petition = PetitionFactory(point=world.point)
    for url in (f"/p/{world.point.code}/", petition.get_tracking_url()):
        assert 'href="/track/"' in client.get(url).content.decode(), url
