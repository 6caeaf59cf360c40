"""What /api/v1/ promises beyond the happy path: every error a problem (RFC 9457) with a stable
code, in Chinese unless the caller asks for English; 401/403/404/405/409/415/429 by convention;
ISO 8601 times with the portal's offset; lists in a constant number of queries; the inputs a
caller may use (departments, enterprises) listed by scope; timelines and files for staff."""

import datetime as dt
import io
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from deputies.models import DutyAssignment
from deputies.services import reception_days_generate
from liaison.core.api import PROBLEMS
from petitions import services
from petitions.models import Petition

from .factories import (
    DepartmentFactory,
    EnterpriseFactory,
    EnterpriseLinkFactory,
    OrganisationFactory,
    PersonFactory,
    PetitionFactory,
    PointFactory,
    StationFactory,
)
from .test_api import body

PROBLEM = "application/problem+json"


@pytest.fixture
def api():
    return APIClient()


def problem_of(response, status, code):
    """The response is the problem ``code`` with ``status``, and the body says so completely."""
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith(PROBLEM), response["Content-Type"]
    data = response.json()
    assert data["status"] == status and data["code"] == code, data
    assert data["type"] == f"/api/v1/problems/{code}/" and data["title"] and data["detail"], data
    return data


def chinese(text):
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.django_db
class TestProblems:
    def test_invalid_input_in_chinese_then_english(self, api, world):
        bad = body(world, contact_phone="123", content="x")
        zh = problem_of(api.post("/api/v1/public/requests/", bad, format="json"), 400, "invalid")
        assert chinese(zh["title"]) and chinese(zh["detail"]) and "11 位" in zh["errors"]["contact_phone"][0]
        assert "content" in zh["errors"]
        en = api.post("/api/v1/public/requests/", bad, format="json", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
        en_body = problem_of(en, 400, "invalid")
        assert not chinese(en_body["title"] + en_body["detail"]) and "11-digit" in en_body["errors"]["contact_phone"][0]
        assert en["Content-Language"] == "en"
        assert Petition.objects.count() == 0

    def test_unknown_language_falls_back_to_chinese(self, api, world):
        response = api.get("/api/v1/requests/", HTTP_ACCEPT_LANGUAGE="fr, *")
        assert chinese(problem_of(response, 401, "not_authenticated")["title"])

    def test_content_of_one_letter_is_refused(self, api, world):
        data = problem_of(api.post("/api/v1/public/requests/", body(world, content="x"), format="json"), 400, "invalid")
        assert list(data["errors"]) == ["content"] and Petition.objects.count() == 0
        assert api.post("/api/v1/public/requests/", body(world, content="一二三四五"), format="json").status_code == 201

    def test_malformed_json(self, api, world):
        response = api.generic("POST", "/api/v1/public/requests/", "{not json", content_type="application/json")
        problem_of(response, 400, "malformed")
        assert "不是有效的 JSON" in response.json()["detail"]  # not the decoder's English

    def test_no_credentials_is_401_with_a_scheme(self, api, petition):
        for url in ("/api/v1/requests/", f"/api/v1/requests/{petition.pk}/accept/", "/api/v1/departments/"):
            method = api.post if url.endswith("accept/") else api.get
            response = method(url)
            problem_of(response, 401, "not_authenticated")
            assert response["WWW-Authenticate"] == 'Token realm="api"'
        english = problem_of(api.get("/api/v1/requests/", HTTP_ACCEPT_LANGUAGE="en"), 401, "not_authenticated")
        assert english["title"] == "Sign-in required"

    def test_a_bad_token_is_401(self, api, world):
        api.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
        response = api.get("/api/v1/requests/")
        problem_of(response, 401, "bad_credentials")
        assert "WWW-Authenticate" in response

    def test_a_step_the_role_may_not_take_is_403_the_state_409(self, api, world, petition):
        api.force_authenticate(world.deputy)
        url = f"/api/v1/requests/{petition.pk}/"
        assert api.post(url + "accept/").status_code == 200
        refused = problem_of(api.post(url + "accept/"), 409, "transition_refused")
        assert chinese(refused["detail"])
        en = problem_of(api.post(url + "accept/", HTTP_ACCEPT_LANGUAGE="en"), 409, "transition_refused")
        assert "not possible" in en["detail"]
        # The deputy may not sign what a department handles, whatever its state.
        problem_of(api.post(url + "sign/"), 403, "not_allowed")
        api.post(url + "dispatch/", {"department": world.department.pk}, format="json")
        # The handler sees the request now, but triage is not theirs.
        api.force_authenticate(world.handler)
        forbidden = problem_of(api.post(url + "confirm/"), 403, "not_allowed")
        assert chinese(forbidden["detail"])
        assert problem_of(api.post(url + "confirm/", HTTP_ACCEPT_LANGUAGE="en"), 403, "not_allowed")["title"] == (
            "Not allowed"
        )
        assert Petition.objects.get().status == "dispatched"

    def test_invisible_request_is_404(self, api, world, petition):
        api.force_authenticate(world.outsider_deputy)
        problem_of(api.get(f"/api/v1/requests/{petition.pk}/"), 404, "not_found")
        problem_of(api.post(f"/api/v1/requests/{petition.pk}/accept/"), 404, "not_found")
        problem_of(api.get(f"/api/v1/requests/{petition.pk}/timeline/"), 404, "not_found")

    @pytest.mark.parametrize(
        "path", ["/api/v1/nope/", "/api/v1/requests/abc/", "/api/nothing", "/api/", "/api/v2/points/", "/api/v1/points"]
    )
    def test_every_path_under_api_answers_a_json_404(self, api, path):
        for method in ("get", "post", "delete"):
            response = getattr(api, method)(path)
            data = problem_of(response, 404, "not_found")
            assert chinese(data["detail"])
        en = problem_of(api.get(path, HTTP_ACCEPT_LANGUAGE="en"), 404, "not_found")
        assert not chinese(en["detail"])

    def test_a_post_to_an_unknown_address_is_a_404_not_a_csrf_page(self, world):
        browser = APIClient(enforce_csrf_checks=True)
        browser.cookies["sessionid"] = "made-up"
        for path in ("/api/v1/requests/null/accept/", "/api/v1/public/requests/x/%C2%84/info/"):
            problem_of(browser.post(path, {"text": "补充"}, format="json"), 404, "not_found")

    def test_a_page_or_page_size_that_is_not_a_number_is_refused(self, api, world):
        api.force_authenticate(world.deputy)
        for value in ("null", "0", "-1", "101", "２"):
            data = problem_of(api.get("/api/v1/requests/", {"page_size": value}), 400, "invalid")
            assert "page_size" in data["errors"], value
        assert api.get("/api/v1/requests/", {"page_size": "100"}).status_code == 200
        for value in ("", "last", "0", "x"):
            data = problem_of(api.get("/api/v1/requests/", {"page": value}), 400, "invalid")
            assert "page" in data["errors"], value
        problem_of(api.get("/api/v1/requests/", {"page": "99"}), 404, "not_found")

    def test_pages_outside_the_api_keep_their_html_404(self, client, db):
        assert client.get("/no-such-page/")["Content-Type"].startswith("text/html")

    def test_a_wrong_method_is_a_json_405(self, api, world):
        response = api.delete("/api/v1/points/byd/")
        problem_of(response, 405, "method_not_allowed")
        assert "GET" in response["Allow"]
        api.force_authenticate(world.deputy)
        problem_of(
            api.get(f"/api/v1/requests/{PetitionFactory(point=world.point).pk}/accept/"), 405, "method_not_allowed"
        )

    def test_a_form_post_is_415(self, api, world):
        response = api.post("/api/v1/public/requests/", body(world), format="multipart")
        problem_of(response, 415, "unsupported_media_type")
        assert Petition.objects.count() == 0

    def test_a_key_reused_for_another_request_is_409_conflict(self, api, world):
        key = str(uuid.uuid4())
        assert api.post("/api/v1/public/requests/", body(world, submission_key=key), format="json").status_code == 201
        other = body(world, submission_key=key, title="另一件事")
        problem_of(api.post("/api/v1/public/requests/", other, format="json"), 409, "conflict")

    def test_every_429_says_when_to_retry(self, api, world, settings):
        settings.PETITION_RATE_PER_CLIENT = 1
        assert api.post("/api/v1/public/requests/", body(world), format="json").status_code == 201
        response = api.post("/api/v1/public/requests/", body(world), format="json")
        problem_of(response, 429, "throttled")
        assert int(response["Retry-After"]) > 0
        # Additions to a request, and the token endpoint's login throttle.
        settings.PETITION_ADD_INFO_RATE_PER_REQUEST = 1
        data = Petition.objects.get()
        url = f"/api/v1/public/requests/{data.number}/{data.access_token}/info/"
        assert api.post(url, {"text": "补充一"}, format="json").status_code == 200
        response = api.post(url, {"text": "补充二"}, format="json")
        problem_of(response, 429, "throttled")
        assert int(response["Retry-After"]) > 0
        codes = []
        for _ in range(12):
            response = api.post("/api/v1/auth/token/", {"username": "deputy", "password": "wrong"}, format="json")
            codes.append(response.status_code)
            if response.status_code == 429:
                assert int(response["Retry-After"]) > 0 and response.json()["code"] == "throttled"
        assert 429 in codes

    def test_201_says_where_the_request_is(self, api, world):
        response = api.post("/api/v1/public/requests/", body(world), format="json")
        assert response.status_code == 201
        data = response.json()
        assert response["Location"] == f"/api/v1/public/requests/{data['number']}/{data['access_token']}/"
        assert api.get(response["Location"]).json()["number"] == data["number"]

    def test_callback_errors_are_problems(self, api, world):
        from petitions.models import ExternalPlatform

        ExternalPlatform.objects.create(name="渝快政", slug="ykz", webhook_url="https://example.invalid/hook")
        response = api.post("/api/v1/platforms/ykz/callback/", {"number": "x", "action": "sign"}, format="json")
        problem_of(response, 401, "bad_signature")
        assert "WWW-Authenticate" in response
        problem_of(api.post("/api/v1/platforms/nope/callback/", {}, format="json"), 404, "not_found")

    def test_problem_types_are_described(self, api, db):
        data = api.get("/api/v1/problems/transition_refused/", HTTP_ACCEPT_LANGUAGE="en").json()
        assert data == {
            "type": "/api/v1/problems/transition_refused/",
            "code": "transition_refused",
            "status": 409,
            "title": "Not possible in the request's current state",
        }
        problem_of(api.get("/api/v1/problems/nope/"), 404, "not_found")

    def test_the_schema_names_every_enum_after_its_meaning(self, api, db):
        schemas = api.get("/api/v1/schema/", {"format": "json"}).json()["components"]["schemas"]
        assert schemas["ProblemCodeEnum"]["enum"] == list(PROBLEMS)
        assert "CodeEnum" not in schemas


@pytest.mark.django_db
class TestTimes:
    def test_roster_times_carry_the_portals_offset(self, api, world):
        reception_days_generate(today=dt.date(2026, 3, 1))
        assignment = DutyAssignment.objects.filter(reception_day__point=world.point).first()
        assignment.attended = True
        assignment.signed_in_at = dt.datetime(2026, 3, 16, 1, 30, tzinfo=dt.UTC)
        assignment.save()
        api.force_authenticate(world.deputy)
        day = api.get(f"/api/v1/reception-days/{assignment.reception_day_id}/").json()
        signed = [r["signed_in_at"] for r in day["roster"] if r["signed_in_at"]]
        assert signed == ["2026-03-16T09:30:00+08:00"]

    def test_request_times_carry_the_portals_offset(self, api, world, petition):
        api.force_authenticate(world.deputy)
        data = api.get(f"/api/v1/requests/{petition.pk}/").json()
        assert data["submitted_at"].endswith("+08:00") and data["events"][0]["created_at"].endswith("+08:00")


@pytest.mark.django_db
class TestSchemaTruth:
    @pytest.fixture
    def schema(self, client):
        return client.get("/api/v1/schema/?format=json").json()

    def test_satisfaction_may_be_empty(self, schema):
        components = schema["components"]["schemas"]
        for name in ("PetitionOut", "PetitionDetailOut", "PublicPetitionOut"):
            field = components[name]["properties"]["satisfaction"]
            refs = {option["$ref"].rsplit("/", 1)[1] for option in field["oneOf"]}
            assert refs == {"SatisfactionEnum", "BlankEnum"}, name
        assert components["BlankEnum"]["enum"] == [""]

    def test_reception_days_search_is_honoured(self, api, world, schema):
        params = {p["name"] for p in schema["paths"]["/api/v1/reception-days/"]["get"]["parameters"]}
        assert "search" in params
        PointFactory(organisation=world.point.organisation, name="长安汽车人大代表活动点")
        reception_days_generate()
        api.force_authenticate(world.office)
        every = api.get("/api/v1/reception-days/").json()["count"]
        found = api.get("/api/v1/reception-days/", {"search": "比亚迪"}).json()
        assert 0 < found["count"] < every and {d["point"] for d in found["results"]} == {"byd"}

    def test_every_operation_documents_its_errors_as_problems(self, schema):
        public = {"/api/v1/points/", "/api/v1/points/{code}/", "/api/v1/points/{code}/enterprises/"}
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                responses = operation["responses"]
                errors = {code for code in responses if code[0] in "45"}
                assert errors, (method, path)
                for code in errors:
                    assert list(responses[code]["content"]) == [PROBLEM], (method, path, code)
                if "{" in path:
                    assert "404" in responses, (method, path)
                if method == "post":
                    assert "400" in responses, (method, path)
                needs_login = not path.startswith(("/api/v1/public/", "/api/v1/platforms/", "/api/v1/problems/"))
                if needs_login and path not in public and path != "/api/v1/auth/token/":
                    assert {"401", "403"} <= set(responses), (method, path)
                    assert "WWW-Authenticate" in responses["401"]["headers"], (method, path)
                if "429" in responses:
                    assert "Retry-After" in responses["429"]["headers"], (method, path)
                if "201" in responses:
                    assert "Location" in responses["201"]["headers"], (method, path)
        assert "429" in schema["paths"]["/api/v1/public/requests/"]["post"]["responses"]
        assert "409" in schema["paths"]["/api/v1/requests/{id}/accept/"]["post"]["responses"]


def _queries(api, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url)
    assert response.status_code == 200, (url, response.content[:300])
    return len(queries)


@pytest.mark.django_db
class TestListsAndInputs:
    def _grow(self, world, n):
        """n more of everything each list shows, all visible to the office."""
        for i in range(n):
            point = PointFactory(organisation=world.point.organisation, reception_day=1 + i % 28)
            person = PersonFactory()
            StationFactory(person=person, point=point)
            enterprise = EnterpriseFactory()
            EnterpriseLinkFactory(person=person, enterprise=enterprise)
            petition = PetitionFactory(point=point)
            services.petition_accept(petition=petition, actor=world.office)
            DepartmentFactory(organisation=world.point.organisation.parent)
        reception_days_generate()

    def test_every_list_runs_a_constant_number_of_queries(self, api, world):
        petition = PetitionFactory(point=world.point)
        reception_days_generate()
        api.force_authenticate(world.office)
        urls = [
            "/api/v1/points/",
            "/api/v1/requests/",
            "/api/v1/people/",
            "/api/v1/reception-days/",
            "/api/v1/departments/",
            "/api/v1/enterprises/",
            f"/api/v1/requests/{petition.pk}/timeline/",
            f"/api/v1/requests/{petition.pk}/attachments/",
            f"/api/v1/requests/{petition.pk}/departments/",
            "/api/v1/points/byd/enterprises/",
        ]
        for url in urls:
            _queries(api, url)  # warm: permissions cached per user
        few = {url: _queries(api, url) for url in urls}
        self._grow(world, 12)
        for _ in range(5):
            services.petition_add_info(petition=petition, actor=services.ENTERPRISE_ACTOR, text="补充")
        many = {url: _queries(api, url) for url in urls}
        assert many == few
        assert api.get("/api/v1/points/").json()["count"] >= 13

    def test_departments_and_enterprises_are_scoped(self, api, world):
        outsider_enterprise = EnterpriseFactory(name="青山机械")
        EnterpriseLinkFactory(person=world.outsider_deputy.person, enterprise=outsider_enterprise)
        far = OrganisationFactory(name="另一个区")
        DepartmentFactory(name="另一个区交通局", organisation=far)
        for user, departments, enterprises in [
            (world.deputy, {"区交通局"}, {"璧山智控电子有限公司"}),
            (world.outsider_deputy, {"区教委"}, {"青山机械"}),
            (world.handler, {"区交通局"}, set()),
        ]:
            api.force_authenticate(user)
            listed = {d["name"] for d in api.get("/api/v1/departments/").json()["results"]}
            assert listed == departments, user
            listed = {e["name"] for e in api.get("/api/v1/enterprises/").json()["results"]}
            assert listed == enterprises, user
        api.force_authenticate(world.outsider_deputy)
        hidden = api.get("/api/v1/departments/").json()["results"]
        assert "区交通局" not in {d["name"] for d in hidden}
        problem_of(api.get(f"/api/v1/departments/{world.department.pk}/"), 404, "not_found")
        problem_of(api.get(f"/api/v1/enterprises/{world.enterprise.pk}/"), 404, "not_found")

    def test_dispatch_choices_are_the_departments_serving_the_point(self, api, world, petition):
        DepartmentFactory(name="已撤销的局", organisation=world.point.organisation, active=False)
        api.force_authenticate(world.deputy)
        listed = api.get(f"/api/v1/requests/{petition.pk}/departments/").json()
        assert [d["name"] for d in listed] == ["区交通局"]
        services.petition_accept(petition=petition, actor=world.deputy)
        ok = api.post(f"/api/v1/requests/{petition.pk}/dispatch/", {"department": listed[0]["id"]}, format="json")
        assert ok.status_code == 200
        api.force_authenticate(world.outsider_deputy)
        problem_of(api.get(f"/api/v1/requests/{petition.pk}/departments/"), 404, "not_found")

    def test_the_public_sees_the_points_enterprises(self, api, world):
        listed = api.get("/api/v1/points/byd/enterprises/").json()
        assert [e["name"] for e in listed] == ["璧山智控电子有限公司"]
        assert api.get("/api/v1/points/other/enterprises/").json() == []

    def test_staff_read_timeline_and_files_by_scope(self, api, world):
        photo = io.BytesIO()
        Image.new("RGB", (20, 20), "blue").save(photo, "JPEG")
        photo.seek(0)
        photo.name = "现场.jpg"
        created = APIClient().post(
            "/api/v1/public/requests/",
            {**body(world), "attachments": [photo]},
            format="multipart",
            HTTP_X_REQUESTED_WITH="fetch",
        )
        assert created.status_code == 201
        petition = Petition.objects.get()
        services.petition_add_info(petition=petition, actor=services.ENTERPRISE_ACTOR, text="补充说明")
        api.force_authenticate(world.deputy)
        timeline = api.get(f"/api/v1/requests/{petition.pk}/timeline/").json()
        assert [e["action"] for e in timeline] == ["submit", "add_info"]
        files = api.get(f"/api/v1/requests/{petition.pk}/attachments/").json()
        assert len(files) == 1 and files[0]["kind"] == "image"
        download = api.get(files[0]["url"])
        assert download.status_code == 200 and download["Content-Type"] == "image/jpeg"
        assert download["X-Content-Type-Options"] == "nosniff"
        assert b"".join(download.streaming_content).startswith(b"\xff\xd8")
        for user in (world.outsider_deputy, world.handler):  # not theirs / not dispatched to them
            api.force_authenticate(user)
            problem_of(api.get(files[0]["url"]), 404, "not_found")
            problem_of(api.get(f"/api/v1/requests/{petition.pk}/attachments/"), 404, "not_found")
        other = PetitionFactory(point=world.point)
        api.force_authenticate(world.deputy)
        problem_of(api.get(f"/api/v1/requests/{other.pk}/attachments/{files[0]['id']}/"), 404, "not_found")

    def test_token_auth_reaches_the_new_endpoints(self, world):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="Token " + Token.objects.create(user=world.office).key)
        assert client.get("/api/v1/departments/").status_code == 200
