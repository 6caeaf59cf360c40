"""Hardening: deploy checks, headers, login throttling, private files, and one permission table
for every role × every page and endpoint."""

import datetime as dt
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver

from deputies.models import Activity, Suggestion
from petitions import services
from petitions.actions import STEPS
from petitions.models import Attachment
from petitions.workflow import ENTERPRISE

from .factories import PetitionFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent


def test_check_deploy_is_clean_in_production_mode():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "liaison.settings.prod",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "liaison.example.cn",
        "SMS_ALLOW_DEV_BACKEND": "true",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_pages_send_a_content_security_policy(client, world):
    for url in ("/", f"/p/{world.point.code}/", f"/s/{world.point.qr_token}/", "/admin/login/", "/api/v1/docs/"):
        response = client.get(url)
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, url
        assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]


@pytest.mark.django_db
class TestLoginThrottling:
    @pytest.mark.parametrize("url", ["/login/", "/admin/login/"])
    def test_guessing_is_stopped_even_with_the_right_password(self, client, world, url, settings):
        settings.LOGIN_FAILURES_PER_ACCOUNT = 3
        for _ in range(3):
            response = client.post(url, {"username": "deputy", "password": "wrong-guess"})
            assert "登录失败次数过多" not in response.content.decode()
        response = client.post(url, {"username": "deputy", "password": "pw-for-tests-1"})
        assert response.status_code == 200 and "登录失败次数过多" in response.content.decode()
        assert "_auth_user_id" not in client.session

    def test_other_accounts_from_elsewhere_are_unaffected(self, client, world, settings):
        settings.LOGIN_FAILURES_PER_ACCOUNT = 2
        for _ in range(3):
            client.post("/login/", {"username": "deputy", "password": "wrong"})
        response = client.post("/login/", {"username": "head", "password": "pw-for-tests-1"}, REMOTE_ADDR="10.1.1.1")
        assert response.status_code == 302

    def test_weak_passwords_are_refused(self):
        from django.contrib.auth.password_validation import validate_password
        from django.core.exceptions import ValidationError

        for weak in ("12345678", "password123", "liaison"):
            with pytest.raises(ValidationError):
                validate_password(weak)


@pytest.mark.django_db
def test_attachments_are_private_and_randomly_named(client, world, petition):
    attachment = Attachment(petition=petition, kind="pdf", original_name="营业执照.pdf", size=10)
    attachment.file.save("x", ContentFile(b"%PDF-1.4\n%%EOF"), save=False)
    attachment.save()
    assert "营业执照" not in attachment.file.name and attachment.file.name.startswith("petitions/")
    url = f"/admin/petitions/petition/attachment/{attachment.pk}/"
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(world.outsider_deputy)
    assert client.get(url).status_code == 404
    client.force_login(world.deputy)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    assert client.get(f"/media/{attachment.file.name}").status_code == 404  # nothing under a public path


@pytest.mark.django_db
def test_configuration_changes_are_audited(client, world):
    admin = UserFactory(username="root", is_superuser=True)
    client.force_login(admin)
    client.post(
        "/admin/points/liaisonpoint/", {"action": "rotate_qr", "_selected_action": [world.point.pk], "confirm": "yes"}
    )
    entry = LogEntry.objects.get()
    assert entry.user == admin and entry.object_id == str(world.point.pk)
    assert client.get("/admin/admin/logentry/").status_code == 200


# The permission matrix --------------------------------------------------------------------

ROLES = ["anonymous", "enterprise", "office", "head", "deputy", "grid", "handler", "outsider"]
OK, DENY, NOTFOUND, LOGIN, DONE = 200, 403, 404, 302, 302  # DONE: a POST that redirects back
UNAUTHENTICATED = 401  # the API without credentials (with WWW-Authenticate)
ALL_STAFF = {"office": OK, "head": OK, "deputy": OK, "grid": OK, "handler": OK, "outsider": OK}


def public(status=OK):
    return dict.fromkeys(ROLES, status)


def staff_only(anonymous=LOGIN, **overrides):
    return {"anonymous": anonymous, "enterprise": anonymous, **ALL_STAFF, **overrides}


# url name → (path built from the fixture objects, expected status by role, method)
MATRIX = {
    "home": ("/", public(), "get"),
    "set_language": ("/i18n/setlang/", public(LOGIN), "post"),
    "login": ("/login/", public(), "get"),
    "health": ("/healthz", public(), "get"),
    "password_reset": ("/password-reset/", public(), "get"),
    "admin_password_reset": ("/password-reset/", public(), "get"),
    "password_reset_done": ("/password-reset/sent/", public(), "get"),
    "password_reset_confirm": ("/password-reset/MQ/bad-token/", public(), "get"),  # "link not valid" page
    "password_reset_complete": ("/password-reset/done/", public(), "get"),
    "password_reset_sms": ("/password-reset/sms/", public(), "get"),
    "password_reset_sms_confirm": ("/password-reset/sms/code/", public(LOGIN), "get"),  # no name asked yet
    "recover": ("/track/", public(), "get"),
    "recover_code": ("/track/code/", public(LOGIN), "get"),  # no number asked yet
    "points:detail": ("/p/{point.code}/", public(), "get"),
    "points:qr_png": ("/p/{point.code}/qr.png", public(), "get"),
    "points:qr_svg": ("/p/{point.code}/qr.svg", public(), "get"),
    "points:poster": ("/p/{point.code}/poster/", public(), "get"),
    "points:screen": ("/p/{point.code}/screen/", public(), "get"),
    "points:screen_panel": ("/p/{point.code}/screen/panel/", public(), "get"),
    "points:chain": ("/chains/nev/", public(), "get"),
    "points:sign": ("/p/{point.code}/sign/", public(), "get"),
    "points:wall": ("/p/{point.code}/wall/", public(), "get"),
    "points:seat_cards": (
        "/p/{point.code}/reception-days/{reception_day.pk}/seat-cards/",
        staff_only(handler=NOTFOUND, outsider=NOTFOUND),
        "get",
    ),
    "petitions:submit": ("/s/{point.qr_token}/", public(), "get"),
    "petitions:track": ("/track/{petition.number}/{token}/", {**public(NOTFOUND), "enterprise": OK}, "get"),
    "petitions:add_info": ("/track/{petition.number}/{token}/add/", {**public(NOTFOUND), "enterprise": 400}, "post"),
    "petitions:rate": ("/track/{petition.number}/{token}/rate/", {**public(NOTFOUND), "enterprise": 400}, "post"),
    "petitions:letter": (
        "/track/{petition.number}/{token}/letter/{attachment.pk}/",
        {**public(NOTFOUND), "enterprise": OK},
        "get",
    ),
    "scoring:board": ("/scores/", staff_only(), "get"),
    "scoring:record": (
        "/scores/person/{deputy_person.pk}/",
        staff_only(office=OK, head=OK, deputy=OK, grid=DENY, handler=DENY, outsider=DENY),
        "get",
    ),
    "ledgers:index": ("/ledgers/", staff_only(), "get"),
    "ledgers:print": ("/ledgers/requests/", staff_only(outsider=OK), "get"),
    "ledgers:export": ("/ledgers/reception-days/export.csv", staff_only(grid=DENY, handler=DENY), "get"),
    "statistics": ("/statistics/", staff_only(), "get"),
    "admin:index": ("/admin/", staff_only(), "get"),
    "admin:petitions_petition_changelist": ("/admin/petitions/petition/", staff_only(), "get"),
    "admin:petitions_petition_change": (
        "/admin/petitions/petition/{petition.pk}/change/",
        staff_only(handler=NOTFOUND, outsider=NOTFOUND),
        "get",
    ),
    "admin:petitions_petition_transition": (
        # Refused transitions (a grid worker may not accept) are reported on the redirect back.
        "/admin/petitions/petition/{petition.pk}/do/accept/",
        staff_only(office=DONE, head=DONE, deputy=DONE, grid=DONE, handler=NOTFOUND, outsider=NOTFOUND),
        "post",
    ),
    "admin:petitions_attachment": (
        "/admin/petitions/petition/attachment/{attachment.pk}/",
        staff_only(handler=NOTFOUND, outsider=NOTFOUND),
        "get",
    ),
    # Deputies' steps, sheets and letters: the model's view permission, then the row's scope.
    "admin:deputies_receptionday_step": (
        "/admin/deputies/receptionday/{reception_day.pk}/do/cancel/",
        staff_only(grid=DENY, handler=DENY, outsider=NOTFOUND),
        "post",
    ),
    "admin:deputies_receptionday_print": (
        "/admin/deputies/receptionday/{reception_day.pk}/print/",
        staff_only(grid=DENY, handler=DENY, outsider=NOTFOUND),
        "get",
    ),
    "admin:deputies_activity_step": (
        "/admin/deputies/activity/{activity.pk}/do/cancel/",
        staff_only(grid=DENY, handler=DENY, outsider=NOTFOUND),
        "post",
    ),
    "admin:deputies_suggestion_step": (
        "/admin/deputies/suggestion/{suggestion.pk}/do/submit/",
        staff_only(grid=DENY, handler=DENY, outsider=NOTFOUND),
        "post",
    ),
    "admin:deputies_suggestion_letter": (
        "/admin/deputies/suggestion/{suggestion.pk}/letter/",
        staff_only(grid=DENY, handler=DENY, outsider=NOTFOUND),
        "get",
    ),
    # 包挂: one's own enterprises; someone who is no person (office, handler) has none.
    "admin:deputies_visit_mine": ("/admin/deputies/visit/mine/", staff_only(office=NOTFOUND, handler=NOTFOUND), "get"),
    "api-root": ("/api/v1/", staff_only(anonymous=UNAUTHENTICATED), "get"),
    "point-list": ("/api/v1/points/", public(), "get"),
    "point-detail": ("/api/v1/points/{point.code}/", public(), "get"),
    "public-request-list": ("/api/v1/public/requests/", public(NOTFOUND), "post"),  # no such point in an empty body
    "public-request-track": (
        "/api/v1/public/requests/{petition.number}/{token}/",
        {**public(NOTFOUND), "enterprise": OK},
        "get",
    ),
    "public-request-info": (
        "/api/v1/public/requests/{petition.number}/{token}/info/",
        {**public(NOTFOUND), "enterprise": 415},  # an empty multipart post: JSON only
        "post",
    ),
    "public-request-rate": (
        "/api/v1/public/requests/{petition.number}/{token}/rate/",
        {**public(NOTFOUND), "enterprise": 415},  # an empty multipart post: JSON only
        "post",
    ),
    "request-list": ("/api/v1/requests/", staff_only(anonymous=UNAUTHENTICATED), "get"),
    "request-detail": (
        "/api/v1/requests/{petition.pk}/",
        staff_only(anonymous=UNAUTHENTICATED, handler=NOTFOUND, outsider=NOTFOUND),
        "get",
    ),
    "person-list": ("/api/v1/people/", staff_only(anonymous=UNAUTHENTICATED), "get"),
    "person-detail": (
        "/api/v1/people/{deputy_person.pk}/",
        staff_only(anonymous=UNAUTHENTICATED, handler=NOTFOUND, outsider=NOTFOUND),
        "get",
    ),
    "reception-day-list": ("/api/v1/reception-days/", staff_only(anonymous=UNAUTHENTICATED), "get"),
    "reception-day-detail": (
        "/api/v1/reception-days/{reception_day.pk}/",
        staff_only(anonymous=UNAUTHENTICATED, handler=NOTFOUND, outsider=NOTFOUND),
        "get",
    ),
    "request-timeline": (
        "/api/v1/requests/{petition.pk}/timeline/",
        staff_only(anonymous=UNAUTHENTICATED, handler=NOTFOUND, outsider=NOTFOUND),
        "get",
    ),
    "request-attachments": (
        "/api/v1/requests/{petition.pk}/attachments/",
        staff_only(anonymous=UNAUTHENTICATED, handler=NOTFOUND, outsider=NOTFOUND),
        "get",
    ),
    "request-attachment-file": (
        "/api/v1/requests/{petition.pk}/attachments/{attachment.pk}/",
        staff_only(anonymous=UNAUTHENTICATED, handler=NOTFOUND, outsider=NOTFOUND),
        "get",
    ),
    "request-departments": (
        "/api/v1/requests/{petition.pk}/departments/",
        staff_only(anonymous=UNAUTHENTICATED, handler=NOTFOUND, outsider=NOTFOUND),
        "get",
    ),
    "request-similar": (
        "/api/v1/requests/{petition.pk}/similar/",
        staff_only(anonymous=UNAUTHENTICATED, handler=NOTFOUND, outsider=NOTFOUND),
        "get",
    ),
    "department-list": ("/api/v1/departments/", staff_only(anonymous=UNAUTHENTICATED), "get"),
    "department-detail": (
        "/api/v1/departments/{department.pk}/",
        staff_only(anonymous=UNAUTHENTICATED, outsider=NOTFOUND),
        "get",
    ),
    "enterprise-list": ("/api/v1/enterprises/", staff_only(anonymous=UNAUTHENTICATED), "get"),
    "enterprise-detail": (
        "/api/v1/enterprises/{enterprise.pk}/",
        staff_only(anonymous=UNAUTHENTICATED, handler=NOTFOUND, outsider=NOTFOUND),
        "get",
    ),
    "point-enterprises": ("/api/v1/points/{point.code}/enterprises/", public(), "get"),
    "problem-type": ("/api/v1/problems/not_found/", public(), "get"),
    "api-token": ("/api/v1/auth/token/", public(400), "post"),
    "platform-callback": ("/api/v1/platforms/ykz/callback/", public(NOTFOUND), "post"),
    "schema": ("/api/v1/schema/", public(), "get"),
    "api-docs": ("/api/v1/docs/", public(), "get"),
    "swagger-ui-init": (None, None, None),  # the docs' start-up script, reached from api-docs
    "logout": ("/logout/", public(LOGIN), "post"),  # last: it ends the session
}
# Workflow actions on /api/v1/requests/{id}/<action>/: one rule for all, checked by the services.
TRANSITION_NAMES = {f"request-transition-{step.url}" for step in STEPS.values() if step.rights - {ENTERPRISE}}


def named_urls(resolver=None, namespace=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            prefix = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from named_urls(entry, prefix)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}"


def test_every_named_page_and_endpoint_has_a_rule():
    from django.contrib import admin

    model_admin_names = {
        f"admin:{m._meta.app_label}_{m._meta.model_name}_{suffix}"
        for m in admin.site._registry
        for suffix in ("changelist", "add", "change", "delete", "history", "autocomplete")
    }
    built_in_admin = {
        "admin:login",
        "admin:logout",
        "admin:password_change",
        "admin:password_change_done",
        "admin:jsi18n",
        "admin:view_on_site",
        "admin:app_list",
        "admin:autocomplete",
        "admin:auth_user_password_change",
    }
    missing = {
        name
        for name in named_urls()
        if name not in MATRIX
        and name not in TRANSITION_NAMES
        and name not in built_in_admin
        and name not in model_admin_names
    }
    assert not missing, f"pages without a rule in the permission matrix: {sorted(missing)}"


@pytest.fixture
def objects(world):
    from deputies.services import reception_days_generate

    petition = PetitionFactory(point=world.point)
    # A reply letter: staff reach it through the desk and the API, the enterprise by its link.
    attachment = Attachment(petition=petition, kind="pdf", original_name="a.pdf", size=10, purpose="reply_letter")
    attachment.file.save("x", ContentFile(b"%PDF-1.4\n%%EOF"), save=False)
    attachment.save()
    reception_days_generate()
    activity = Activity.objects.create(point=world.point, kind="inspection", title="视察", date=dt.date(2030, 1, 1))
    suggestion = Suggestion.objects.create(point=world.point, title="关于优化通勤的建议")
    suggestion.authors.set([world.deputy.person])
    suggestion.answer_letter.save("letter.pdf", ContentFile(b"%PDF-1.4\n%%EOF"))
    return {
        "point": world.point,
        "petition": petition,
        "token": petition.access_token,
        "attachment": attachment,
        "department": world.department,
        "enterprise": world.enterprise,
        "deputy_person": world.deputy.person,
        "reception_day": world.point.reception_days.first(),
        "activity": activity,
        "suggestion": suggestion,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(client, world, objects, role):
    users = {
        "office": world.office,
        "head": world.head,
        "deputy": world.deputy,
        "grid": world.grid,
        "handler": world.handler,
        "outsider": world.outsider_deputy,
    }
    if role in users:
        client.force_login(users[role])
    failures = []
    for name, (path, expected, method) in MATRIX.items():
        if path is None:
            continue
        url = path.format(**objects).replace("{token}", objects["token"])
        if role != "enterprise" and "{token}" in path:
            url = url.replace(objects["token"], "x" * 32)
        response = getattr(client, method)(url)
        status = response.status_code
        if status == 302 and expected[role] == LOGIN:
            continue
        if status != expected[role]:
            failures.append(f"{name} {method.upper()} {url}: {status}, expected {expected[role]}")
    assert not failures, role + ":\n" + "\n".join(failures)


@pytest.mark.django_db
def test_a_handler_gains_access_only_by_dispatch(client, world, objects):
    petition = objects["petition"]
    client.force_login(world.handler)
    assert client.get(f"/api/v1/requests/{petition.pk}/").status_code == 404
    services.petition_accept(petition=petition, actor=world.deputy)
    services.petition_dispatch(petition=petition, actor=world.deputy, department=world.department)
    assert client.get(f"/api/v1/requests/{petition.pk}/").status_code == 200
    assert client.get(f"/admin/petitions/petition/{petition.pk}/change/").status_code == 200
