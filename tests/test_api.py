"""The public contract of /api/v1/: literal URLs, scope per role, the same rules as the web."""

import io
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image
from rest_framework.test import APIClient

from petitions import services
from petitions.models import Petition

from .factories import PetitionFactory

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def api():
    return APIClient()


def body(world, **overrides):
    data = {
        "point": world.point.code,
        "enterprise": world.enterprise.pk,
        "contact_name": "李四",
        "contact_phone": "13812345678",
        "category": "transport",
        "title": "通勤班车不足",
        "content": "早晚高峰班次少。",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
class TestPublic:
    def test_points_are_public(self, api, world):
        listing = api.get("/api/v1/points/").json()
        assert {p["code"] for p in listing["results"]} == {"byd", "other"}
        detail = api.get("/api/v1/points/byd/").json()
        assert detail["submit_url"].endswith(f"/s/{world.point.qr_token}/")
        assert api.get("/api/v1/points/nope/").status_code == 404

    def test_file_track_add_and_rate(self, api, world):
        created = api.post("/api/v1/public/requests/", body(world), format="json")
        assert created.status_code == 201, created.json()
        data = created.json()
        assert data["number"].startswith("BYD-") and data["status"] == "submitted"
        url = f"/api/v1/public/requests/{data['number']}/{data['access_token']}/"
        assert api.get(url).json()["events"][0]["action"] == "submit"
        assert api.post(url + "info/", {"text": "补充说明"}, format="json").status_code == 200
        assert api.post(url + "rate/", {"satisfaction": "satisfied"}, format="json").status_code == 409
        petition = Petition.objects.get()
        services.petition_accept(petition=petition, actor=world.deputy)
        services.petition_resolve_on_site(petition=petition, actor=world.deputy, result="已答复")
        rated = api.post(url + "rate/", {"satisfaction": "satisfied"}, format="json").json()
        assert rated["status"] == "closed"

    def test_same_submission_key_returns_the_first(self, api, world):
        key = str(uuid.uuid4())
        first = api.post("/api/v1/public/requests/", body(world, submission_key=key), format="json")
        again = api.post("/api/v1/public/requests/", body(world, submission_key=key), format="json")
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.json()["number"] == again.json()["number"] and Petition.objects.count() == 1

    def test_bad_input_is_refused_in_chinese_and_creates_nothing(self, api, world):
        response = api.post("/api/v1/public/requests/", body(world, contact_phone="123", title=""), format="json")
        assert response.status_code == 400
        errors = response.json()["errors"]
        assert "11 位" in errors["contact_phone"][0] and "必填" in errors["title"][0]
        assert "无效" in response.json()["detail"] or "错误" in response.json()["detail"]
        assert Petition.objects.count() == 0

    def test_forged_image_refused_through_the_api(self, api, world):
        fake = io.BytesIO(b"#!/bin/sh\nrm -rf /")
        fake.name = "x.png"
        response = api.post(
            "/api/v1/public/requests/",
            {**body(world), "attachments": [fake]},
            format="multipart",
            HTTP_X_REQUESTED_WITH="fetch",
        )
        assert response.status_code == 400 and Petition.objects.count() == 0

    def test_photo_through_the_api(self, api, world):
        photo = io.BytesIO()
        Image.new("RGB", (20, 20), "blue").save(photo, "JPEG")
        photo.seek(0)
        photo.name = "a.jpg"
        response = api.post(
            "/api/v1/public/requests/",
            {**body(world), "attachments": [photo]},
            format="multipart",
            HTTP_X_REQUESTED_WITH="fetch",
        )
        assert response.status_code == 201 and Petition.objects.get().attachments.count() == 1

    def test_unknown_point_and_flood(self, api, world, settings):
        for code in ("nope", "byd x", ""):
            response = api.post("/api/v1/public/requests/", body(world, point=code), format="json")
            assert response.status_code == 404 and "活动点" in response.json()["detail"], code
        response = api.post("/api/v1/public/requests/", body(world, point="byd\x00"), format="json")
        assert response.status_code == 400 and "无法处理的字符" in response.json()["detail"]
        assert response["Content-Type"] == "application/problem+json" and response.json()["code"] == "malformed"
        settings.PETITION_RATE_PER_CLIENT = 2
        codes = [api.post("/api/v1/public/requests/", body(world), format="json").status_code for _ in range(3)]
        assert codes == [201, 201, 429] and Petition.objects.count() == 2

    def test_wrong_token_opens_nothing(self, api, petition):
        assert api.get(f"/api/v1/public/requests/{petition.number}/{'x' * 32}/").status_code == 404


@pytest.mark.django_db
class TestStaff:
    def test_anonymous_is_refused(self, api, petition):
        assert api.get("/api/v1/requests/").status_code == 401

    def test_each_role_sees_its_own(self, api, world):
        mine = PetitionFactory(point=world.point)
        PetitionFactory(point=world.other_point)
        for user, expected in [
            (world.deputy, 1),
            (world.grid, 1),
            (world.office, 1),
            (world.outsider_deputy, 1),
            (world.handler, 0),
        ]:
            api.force_authenticate(user)
            assert api.get("/api/v1/requests/").json()["count"] == expected, user
        api.force_authenticate(world.outsider_deputy)
        assert api.get(f"/api/v1/requests/{mine.pk}/").status_code == 404

    def test_phone_masked_without_the_permission(self, api, world, petition):
        services.petition_accept(petition=petition, actor=world.deputy)
        services.petition_dispatch(petition=petition, actor=world.deputy, department=world.department)
        api.force_authenticate(world.handler)
        assert api.get("/api/v1/requests/").json()["results"][0]["contact_phone"] == "138****1234"
        api.force_authenticate(world.deputy)
        assert api.get("/api/v1/requests/").json()["results"][0]["contact_phone"] == "13812341234"

    def test_transitions_through_the_api(self, api, world, petition):
        api.force_authenticate(world.deputy)
        url = f"/api/v1/requests/{petition.pk}/"
        assert api.post(url + "accept/").json()["status"] == "accepted"
        assert api.post(url + "accept/").status_code == 409
        bad = api.post(url + "dispatch/", {"department": 999999}, format="json")
        assert bad.status_code == 400 and "department" in bad.json()["errors"]
        done = api.post(url + "dispatch/", {"department": world.department.pk}, format="json").json()
        assert done["status"] == "dispatched" and "sign" not in done["allowed_actions"]
        api.force_authenticate(world.handler)
        assert api.post(url + "sign/").json()["status"] == "in_progress"
        assert api.post(url + "reply/", {"result": ""}, format="json").status_code == 400
        assert api.post(url + "reply/", {"result": "已解决"}, format="json").json()["status"] == "resolved"

    def test_filters_and_ordering(self, api, world):
        import datetime as dt
        from zoneinfo import ZoneInfo

        PetitionFactory(point=world.point, now=dt.datetime(2026, 1, 5, 9, tzinfo=ZoneInfo("Asia/Shanghai")))
        PetitionFactory(point=world.point)
        api.force_authenticate(world.deputy)
        assert api.get("/api/v1/requests/?overdue=true").json()["count"] == 1
        assert api.get("/api/v1/requests/?overdue=false").json()["count"] == 1
        assert api.get("/api/v1/requests/?status=closed").json()["count"] == 0
        assert api.get("/api/v1/requests/?point=byd&ordering=due_date").json()["count"] == 2

    def test_list_queries_do_not_grow(self, api, world):
        api.force_authenticate(world.deputy)
        PetitionFactory(point=world.point)
        api.get("/api/v1/requests/")  # the user's permissions are cached after the first call
        with CaptureQueriesContext(connection) as few:
            api.get("/api/v1/requests/")
        for _ in range(20):
            PetitionFactory(point=world.point)
        with CaptureQueriesContext(connection) as many:
            api.get("/api/v1/requests/")
        assert len(many) == len(few) <= 8

    def test_people_and_reception_days_are_scoped(self, api, world):
        from deputies.services import reception_days_generate

        reception_days_generate()
        api.force_authenticate(world.outsider_deputy)
        people = api.get("/api/v1/people/").json()
        assert {p["name"] for p in people["results"]} == {"王建平"}
        days = api.get("/api/v1/reception-days/").json()
        assert {d["point"] for d in days["results"]} == {"other"}

    def test_token_auth_and_its_throttle(self, api, world, settings):
        world.deputy.set_password("a-strong-pass-1")
        world.deputy.save()
        token = api.post("/api/v1/auth/token/", {"username": "deputy", "password": "a-strong-pass-1"}).json()["token"]
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        assert client.get("/api/v1/requests/").status_code == 200
        codes = [
            api.post("/api/v1/auth/token/", {"username": "deputy", "password": "wrong"}).status_code for _ in range(12)
        ]
        assert 429 in codes


def test_schema_is_valid_openapi(tmp_path):
    """Generated in a new process, as the first thing it does: the views' annotations
    (``apischema.extend_schema``) are applied though nothing loaded the URLs before."""
    out = tmp_path / "schema.yml"
    code = (
        "import django, sys; django.setup(); from django.core.management import call_command;"
        " call_command('spectacular', '--validate', '--fail-on-warn', '--file', sys.argv[1])"
    )
    run = subprocess.run([sys.executable, "-c", code, str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    text = out.read_text()
    for path in ("/api/v1/public/requests/", "/api/v1/requests/{id}/dispatch/", "/api/v1/platforms/{slug}/callback/"):
        assert path in text


def test_each_schema_is_written_in_the_language_it_is_asked_in(client):
    """The steps' request bodies are built from their forms once per process; their titles are
    still those of the language of each request, whichever came first."""

    def titles(schema):
        bodies = schema["components"]["schemas"]
        return bodies["NoteInRequest"]["properties"]["text"]["title"], bodies["AddInfoInRequest"]["properties"]

    english = client.get("/api/v1/schema/?format=json&lang=en").json()
    chinese = client.get("/api/v1/schema/?format=json").json()
    assert titles(english)[0] == "Note" and titles(chinese)[0] == "备注"
    assert titles(english)[1]["text"]["title"] == "Information to add"
    assert titles(chinese)[1]["text"]["title"] == "补充内容"
    assert client.get("/api/v1/schema/?format=json&lang=en").json() == english


def test_a_schema_is_the_same_whichever_language_a_process_wrote_first(tmp_path):
    """DRF decides whether a field needs the model's name for it as a label in the language of
    the moment the fields are built, once per process for some serializers."""

    def written(*languages):
        code = "import django, sys; django.setup(); from django.core.management import call_command;" + "".join(
            f" call_command('spectacular', '--lang', '{language}', '--file', sys.argv[1] + '.{language}');"
            for language in languages
        )
        run = subprocess.run(
            [sys.executable, "-c", code, str(tmp_path / "-".join(languages))],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0, run.stderr
        return [(tmp_path / f"{'-'.join(languages)}.{language}").read_text() for language in languages]

    chinese_first, english_after = written("zh-hans", "en")
    english_first, chinese_after = written("en", "zh-hans")
    assert "title: 类别" in chinese_first
    assert chinese_after == chinese_first and english_after == english_first


def test_the_docs_and_the_schema_answer_options_and_head(client):
    for path in ("/api/v1/docs/", "/api/v1/docs/?script=", "/api/v1/schema/"):
        options = client.options(path)
        assert options.status_code == 200 and "GET" in options["Allow"], path
        assert client.head(path).status_code == 200, path


def test_concurrent_first_schema_requests_all_get_the_schema():
    """A threaded server (runserver, gunicorn's gthread) gets its first schema requests at once:
    drf-spectacular's first generation is not thread-safe, so ours runs one at a time."""
    code = (
        "import django, threading; django.setup(); from django.test import Client;"
        " barrier = threading.Barrier(6); answers = []; url = '/api/v1/schema/?format=json';"
        " run = lambda: (barrier.wait(), answers.append(Client(HTTP_HOST='localhost').get(url)));"
        " threads = [threading.Thread(target=run) for _ in range(6)]; [t.start() for t in threads];"
        " [t.join() for t in threads];"
        " print(sorted(a.status_code for a in answers), len({a.content for a in answers}))"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split("\n")[-2] == "[200, 200, 200, 200, 200, 200] 1", run.stdout + run.stderr[-3000:]


def test_docs_are_served_without_a_cdn(client):
    page = client.get("/api/v1/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/" in page and "cdn" not in page.lower()


# External platforms: deliveries and callbacks are tested in tests/test_deliveries.py.


@pytest.mark.django_db
def test_every_step_documents_its_own_input(client):
    """The schema's body of each step is the step's form: same fields, same required ones."""
    from petitions.actions import STEPS

    schema = client.get("/api/v1/schema/?format=json").json()
    components = schema["components"]["schemas"]
    documented = 0
    for path, operations in schema["paths"].items():
        operation = operations.get("post", {})
        name = operation.get("operationId", "").removeprefix("requests_")
        if not operation.get("operationId", "").startswith("requests_") or name not in STEPS:
            continue
        form = STEPS[name].form
        documented += 1
        if form is None:
            assert "requestBody" not in operation, path  # a step without input documents none
            continue
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        body = components[ref]
        assert set(body["properties"]) == set(form.base_fields), path
        assert set(body.get("required", [])) == {n for n, f in form.base_fields.items() if f.required}, path
    assert documented == sum(1 for s in STEPS.values() if s.rights - {"enterprise"})


@pytest.mark.django_db
def test_serializer_fields_built_once_are_each_instances_own(world):
    """``FieldsBuiltOnce``: each instance gets its own copy of the fields its class worked out
    once, bound to it alone, built as DRF builds them, and the class's own stay unbound."""
    from rest_framework import serializers

    from petitions.api import PublicPetitionOut

    first, second = PetitionFactory(point=world.point), PetitionFactory(point=world.point)
    a = PublicPetitionOut(first, context={"just_filed": True})
    b = PublicPetitionOut(second)
    assert [a.data["number"], b.data["number"]] == [first.number, second.number]
    drf = serializers.ModelSerializer.get_fields(PublicPetitionOut())
    assert list(a.fields) == list(drf)
    for name, field in a.fields.items():
        assert field is not b.fields[name] and (field.parent, b.fields[name].parent) == (a, b), name
        assert repr(field) == repr(drf[name]), name  # the same field, as DRF builds it
    for field in PublicPetitionOut._fields_built.values():
        assert getattr(field, "parent", None) is None and getattr(field, "field_name", None) is None
