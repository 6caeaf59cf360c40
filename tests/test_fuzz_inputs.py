"""Whatever arrives in a path, a query string, a form or a JSON body, public or staff: never a
server error, and a NUL byte or a lone surrogate is a 400 with a Chinese message.

Examples per test: 10 by default, FUZZ_EXAMPLES=500 (say) for a long run (marked ``fuzz``)."""

import json
import os
import re
import urllib.parse

import pytest
from django.contrib import admin
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from petitions.models import Petition

from .factories import PetitionFactory, UserFactory

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
pytestmark = [pytest.mark.django_db, *([pytest.mark.fuzz] if EXAMPLES > 10 else [])]

REFUSAL = "无法处理的字符"
nasty = st.sampled_from(["\x00", "\ud800", "\udfff", "a\x00b", "\ud83d", "(", "[", "*", "99999", "-1", "1e400"])
text = st.one_of(
    st.text(max_size=40), nasty, st.builds(lambda a, b, c: a + b + c, st.text(max_size=8), nasty, st.text(max_size=8))
)
# What can travel in a URL: any bytes, percent-encoded (NUL, broken UTF-8, encoded surrogates).
url_part = st.binary(min_size=1, max_size=30).map(lambda b: urllib.parse.quote(b, safe=""))
# Forms and query strings carry bytes: a lone surrogate cannot be encoded into them.
form_text = text.map(lambda s: re.sub("[\ud800-\udfff]", "", s))
json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), text), lambda inner: st.lists(inner, max_size=3), max_leaves=5
)


def ok(response):
    assert response.status_code < 500, (response.status_code, response.content[:300])
    return response


def with_nul(value: str) -> str:
    return value + "\x00"


@pytest.fixture
def petition(world):
    return PetitionFactory(point=world.point)


@pytest.fixture
def staff(client, world):
    user = UserFactory(username="fuzz-admin", is_superuser=True)
    client.force_login(user)
    return client


# The specific cases the issue names -----------------------------------------------------------


def test_nul_bytes_in_public_paths_are_a_chinese_400(client, world, petition):
    for url in (
        "/s/abc%00/",
        f"/s/{world.point.qr_token}%00/",
        f"/track/{petition.number}/{petition.access_token}%00/",
        f"/track/{petition.number}%00/x/add/",
        "/p/byd%00/",
        "/api/v1/points/byd%00/",
        f"/api/v1/public/requests/{petition.number}%00/{petition.access_token}/",
    ):
        response = client.get(url)
        assert response.status_code == 400 and REFUSAL in response.content.decode(), url


def test_lone_surrogates_in_json_bodies_are_a_chinese_400(world, petition):
    api = APIClient()
    base = f"/api/v1/public/requests/{petition.number}/{petition.access_token}/"
    filing = {
        "point": "byd",
        "contact_name": "李四",
        "contact_phone": "13812345678",
        "category": "transport",
        "title": "\ud800",
        "content": "早晚高峰班次少。",
    }
    for url, body in (("/api/v1/public/requests/", filing), (base + "info/", {"text": "补充\ud800"})):
        response = api.post(url, json.dumps(body), content_type="application/json")
        assert response.status_code == 400 and REFUSAL in response.json()["detail"], url
    staff = APIClient()
    staff.force_authenticate(UserFactory(username="notes", is_superuser=True))
    response = staff.post(
        f"/api/v1/requests/{petition.pk}/note/", '{"text": "\\udc00"}', content_type="application/json"
    )
    assert response.status_code == 400 and REFUSAL in response.json()["detail"]
    assert petition.events.count() == 1 and Petition.objects.count() == 1  # nothing kept


def test_nul_bytes_in_forms_and_admin_filters_are_a_chinese_400(client, staff, world, petition):
    form = {"text": "a\x00b"}
    response = client.post(f"/track/{petition.number}/{petition.access_token}/add/", form)
    assert response.status_code == 400 and REFUSAL in response.content.decode()
    for query in ("point=%00", "q=%00", "submitted_at__year=2026%00", "status__regex=%00("):
        response = staff.get(f"/admin/petitions/petition/?{query}")
        assert response.status_code == 400 and REFUSAL in response.content.decode(), query


# Fuzz over every input ------------------------------------------------------------------------


@SETTINGS
@given(a=url_part, b=url_part)
def test_any_public_path(client, world, petition, a, b):
    for url in (
        f"/s/{a}/",
        f"/track/{a}/{b}/",
        f"/track/{petition.number}/{a}/",
        f"/p/{a}/",
        f"/p/{a}/screen/",
        f"/api/v1/points/{a}/",
        f"/api/v1/public/requests/{a}/{b}/",
    ):
        ok(client.get(url))
    ok(client.post(f"/track/{a}/{b}/add/", {"text": "x"}))


@SETTINGS
@given(key=url_part, value=url_part)
def test_any_query_string(client, staff, world, key, value):
    query = f"{key}={value}&point={value}&year={value}&refresh={value}&period={value}&date={value}"
    for url in (
        "/",
        "/p/byd/",
        "/p/byd/screen/",
        "/scores/",
        "/statistics/",
        "/ledgers/requests/",
        "/api/v1/points/",
        "/api/v1/requests/",
    ):
        ok(staff.get(f"{url}?{query}"))


@SETTINGS
@given(value=form_text.map(with_nul))
def test_any_admin_filter_with_a_nul_byte(staff, world, value):
    models = [m for m in admin.site._registry if m._meta.app_label in ("petitions", "points", "deputies", "scoring")]
    for model in models:
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        query = urllib.parse.urlencode({"q": value, "point": value, "status__exact": value})
        response = staff.get(f"{url}?{query}")
        assert response.status_code == 400, (url, response.status_code)


FORM_FIELDS = [
    "enterprise_name",
    "contact_name",
    "contact_phone",
    "category",
    "title",
    "content",
    "submission_key",
    "website",
    "enterprise",
]
JSON_FIELDS = [*FORM_FIELDS, "point", "text", "satisfaction", "comment", "username", "password"]


@SETTINGS
@given(fields=st.dictionaries(st.sampled_from(FORM_FIELDS), form_text))
def test_any_public_form(client, world, petition, fields):
    ok(client.post(f"/s/{world.point.qr_token}/", fields))
    ok(
        client.post(
            f"/track/{petition.number}/{petition.access_token}/add/", fields | {"text": fields.get("title", "")}
        )
    )
    ok(
        client.post(
            f"/track/{petition.number}/{petition.access_token}/rate/", {"satisfaction": fields.get("title", "")}
        )
    )
    ok(client.post("/login/", {"username": fields.get("title", ""), "password": fields.get("content", "")}))


@SETTINGS
@given(body=st.dictionaries(st.sampled_from(JSON_FIELDS), json_value))
def test_any_json_body(world, petition, body):
    api = APIClient()
    raw = json.dumps({"point": "byd", **body})  # ensure_ascii: lone surrogates travel as \\udXXX escapes
    base = f"/api/v1/public/requests/{petition.number}/{petition.access_token}/"
    for url in ("/api/v1/public/requests/", base + "info/", base + "rate/", "/api/v1/auth/token/"):
        ok(api.post(url, raw, content_type="application/json"))
    staff = APIClient()
    staff.force_authenticate(UserFactory(is_superuser=True))
    for action in ("note", "reject", "dispatch", "merge"):
        ok(staff.post(f"/api/v1/requests/{petition.pk}/{action}/", raw, content_type="application/json"))


def test_a_body_django_refuses_is_still_a_400(client, world, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    response = client.post(f"/s/{world.point.qr_token}/", {f"f{n}": "x" for n in range(20)})
    assert response.status_code == 400
