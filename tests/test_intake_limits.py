"""Public intake that nobody can shut (issue 15, items 13 and 14): limits per (address, number)
with a higher ceiling per address, a point-wide counter for new numbers only, and the public API
taking JSON (files only with a custom header) with submission keys bound to their request."""

import json
import uuid

import pytest
from rest_framework.test import APIClient

from petitions.models import Petition

from .test_submission import form_data, submit_url

URL = "/api/v1/public/requests/"


def body(world, **overrides):
    data = {
        "point": world.point.code,
        "contact_name": "李四",
        "contact_phone": "13812345678",
        "category": "transport",
        "title": "通勤班车不足",
        "content": "早晚高峰班次少。",
        "enterprise_name": "某配套企业",
    }
    return {**data, **overrides}


@pytest.fixture
def api():
    return APIClient()


@pytest.mark.django_db
class TestLimitsCannotShutAPoint:
    def test_a_flood_from_many_addresses_does_not_refuse_an_enterprise_that_filed_before(self, client, world, settings):
        settings.PETITION_RATE_PER_POINT = 20
        regular = "13900001111"
        client.post(submit_url(world), form_data(world, contact_phone=regular), REMOTE_ADDR="10.1.0.1")
        for n in range(40):  # 20 addresses, two invented numbers each
            client.post(
                submit_url(world), form_data(world, contact_phone=f"137{n:08d}"), REMOTE_ADDR=f"10.2.0.{n % 20}"
            )
        assert (
            not client.post(
                submit_url(world), form_data(world, contact_phone="13600000000"), REMOTE_ADDR="10.3.0.1"
            ).status_code
            == 302
        )  # the point-wide counter is full for new numbers …
        response = client.post(submit_url(world), form_data(world, contact_phone=regular), REMOTE_ADDR="10.1.0.1")
        assert response.status_code == 302  # … but not for an enterprise the point knows

    def test_colleagues_on_a_factory_wi_fi_are_not_locked_out_by_one_phone(self, client, world, settings):
        settings.PETITION_RATE_PER_CLIENT = 3
        for _ in range(6):
            client.post(submit_url(world), form_data(world, contact_phone="13800000001"), REMOTE_ADDR="10.5.5.5")
        assert Petition.objects.filter(contact_phone="13800000001").count() == 3
        response = client.post(submit_url(world), form_data(world, contact_phone="13800000002"), REMOTE_ADDR="10.5.5.5")
        assert response.status_code == 302

    def test_one_address_still_has_a_ceiling(self, client, world, settings):
        settings.PETITION_RATE_PER_ADDRESS = 5
        codes = [
            client.post(
                submit_url(world), form_data(world, contact_phone=f"1350000000{n}"), REMOTE_ADDR="10.6.6.6"
            ).status_code
            for n in range(7)
        ]
        assert codes == [302] * 5 + [400] * 2

    def test_limits_fail_open_without_a_cache(self, client, world, settings):
        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
        }
        settings.PETITION_RATE_PER_CLIENT = 1
        codes = [client.post(submit_url(world), form_data(world)).status_code for _ in range(3)]
        assert codes == [302, 302, 302]


@pytest.mark.django_db
class TestPublicApiTakesNoCrossSiteForms:
    def test_a_form_post_is_refused(self, api, world):
        response = api.post(URL, body(world), format="multipart")  # what a cross-site <form> can send
        assert response.status_code == 415 and "X-Requested-With" in response.json()["detail"]
        from django.test import Client

        response = Client().post(URL, body(world))  # application/x-www-form-urlencoded
        assert response.status_code == 415
        response = Client().post(URL, json.dumps(body(world)), content_type="text/plain")
        assert response.status_code == 415
        assert Petition.objects.count() == 0

    def test_json_and_multipart_with_the_header_are_taken(self, api, world):
        assert api.post(URL, body(world), format="json").status_code == 201
        response = api.post(URL, body(world, title="另一件事"), format="multipart", HTTP_X_REQUESTED_WITH="fetch")
        assert response.status_code == 201


@pytest.mark.django_db
class TestSubmissionKeys:
    def test_a_key_reused_at_another_point_reveals_nothing(self, api, world):
        key = str(uuid.uuid4())
        first = api.post(URL, body(world, submission_key=key), format="json")
        assert first.status_code == 201
        again = api.post(URL, body(world, point=world.other_point.code, submission_key=key), format="json")
        assert again.status_code == 409
        assert first.json()["access_token"] not in again.content.decode()
        assert Petition.objects.count() == 1

    def test_a_key_reused_with_other_content_reveals_nothing(self, api, client, world):
        key = str(uuid.uuid4())
        api.post(URL, body(world, submission_key=key), format="json")
        again = api.post(URL, body(world, submission_key=key, contact_phone="13700000000"), format="json")
        assert again.status_code == 409 and "access_token" not in again.json()
        response = client.post(submit_url(world), form_data(world, submission_key=key))
        assert response.status_code == 400 and Petition.objects.count() == 1

    def test_a_repeat_is_answered_without_counting(self, api, world, settings):
        settings.PETITION_RATE_PER_CLIENT = 2
        key = str(uuid.uuid4())
        codes = [api.post(URL, body(world, submission_key=key), format="json").status_code for _ in range(5)]
        assert codes == [201, 200, 200, 200, 200]
        assert api.post(URL, body(world, title="第二件事"), format="json").status_code == 201
        assert api.post(URL, body(world, title="第三件事"), format="json").status_code == 429
