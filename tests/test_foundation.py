import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from deputies.models import Activity, EnterpriseLink, Person, Station, Suggestion, Visit
from liaison.core import env, roles
from petitions.models import Department, Petition, PetitionEvent
from points.models import Enterprise, LiaisonPoint
from points.validators import validate_uscc

from .factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent


class TestEnvHelpers:
    @pytest.mark.parametrize("raw,expected", [("true", True), ("False", False), ("1", True), ("off", False)])
    def test_booleans_parse_strictly(self, monkeypatch, raw, expected):
        monkeypatch.setenv("X_FLAG", raw)
        assert env.env_bool("X_FLAG", not expected) is expected

    def test_a_misspelt_boolean_is_an_error_not_a_default(self, monkeypatch):
        monkeypatch.setenv("X_FLAG", "Flase")
        with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
            env.env_bool("X_FLAG", False)

    def test_secret_can_come_from_a_file(self, monkeypatch, tmp_path):
        secret = tmp_path / "key"
        secret.write_text("from-a-file\n")
        monkeypatch.setenv("X_SECRET_FILE", str(secret))
        assert env.env_str("X_SECRET") == "from-a-file"

    def test_numbers_and_lists(self, monkeypatch):
        monkeypatch.setenv("X_NUM", "abc")
        with pytest.raises(ImproperlyConfigured):
            env.env_int("X_NUM", 1)
        monkeypatch.setenv("X_LIST", "a.example, b.example ,")
        assert env.env_list("X_LIST") == ["a.example", "b.example"]


def _settings_import(module, extra_env):
    environment = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ALLOWED_HOSTS")}
    environment.update(extra_env, DJANGO_SETTINGS_MODULE=module)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings as s; print(s.DEBUG)"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_the_demo_secret_key():
    result = _settings_import("liaison.settings.prod", {"ALLOWED_HOSTS": "liaison.example.cn"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_starts_with_real_settings():
    result = _settings_import(
        "liaison.settings.prod",
        {"SECRET_KEY": "k" * 50, "ALLOWED_HOSTS": "liaison.example.cn", "SMS_ALLOW_DEV_BACKEND": "true"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_production_pools_postgresql_connections():
    code = (
        "from django.conf import settings as s; d = s.DATABASES['default'];"
        " print(d['CONN_MAX_AGE'], d.get('OPTIONS', {}).get('pool'))"
    )
    base = {
        k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ALLOWED_HOSTS", "DB_POOL", "DB_POOL_MAX_SIZE")
    }
    base.update(
        DJANGO_SETTINGS_MODULE="liaison.settings.prod",
        SECRET_KEY="k" * 50,
        ALLOWED_HOSTS="liaison.example.cn",
        SMS_ALLOW_DEV_BACKEND="true",
        DATABASE_URL="postgres://liaison@db.example:5432/liaison",
    )

    def read(**extra):
        run = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env={**base, **extra}, capture_output=True, text=True, timeout=60
        )
        assert run.returncode == 0, run.stderr
        return run.stdout.strip()

    pooled = read()
    assert pooled.startswith("0 {") and "'max_size': 5" in pooled and "'min_size': 1" in pooled
    assert "'max_size': 3" in read(DB_POOL_MAX_SIZE="3")
    assert read(DB_POOL="false") == "60 None"  # persistent connections instead
    assert read(DATABASE_URL="sqlite:////tmp/x.sqlite3").endswith("None")


def web_process(code: str) -> list[str]:
    """What ``code`` prints in a new process started as a production web worker is."""
    environment = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ALLOWED_HOSTS")}
    environment.update(
        DJANGO_SETTINGS_MODULE="liaison.settings.prod",
        SECRET_KEY="k" * 50,
        ALLOWED_HOSTS="liaison.example.cn",
        SMS_ALLOW_DEV_BACKEND="true",
        SECURE_SSL_REDIRECT="false",
    )
    code = "import sys; from liaison.wsgi import application; import liaison.urls; " + code
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    return run.stdout.split()


def test_a_web_process_starts_without_the_heavy_libraries():
    """Spreadsheets, PDFs, pictures, QR codes and foreign calendars are imported where they are
    used (issue 21, item 6: a web worker's memory), not by every worker at start-up; nor is
    `requests`, which only the SMS providers' SDKs need, and which they can still import; nor
    drf-spectacular's schema generator with Django's test tools, until a schema is asked for."""
    heavy = ["openpyxl", "pypdf", "PIL", "qrcode", "holidays", "requests", "urllib3", "drf_spectacular.openapi"]
    heavy += ["django.test", "unittest"]
    printed = web_process(
        "from liaison.core.jobs import _tasks; _tasks(); "
        f"print(','.join(m for m in {heavy!r} if m in sys.modules) or '-');"
        " from tencentcloud.common import credential; import requests; print(requests.Session.__name__)"
    )
    assert printed == ["-", "Session"]


def test_the_schema_is_annotated_when_a_web_process_first_serves_it():
    """The views' annotations (``apischema.extend_schema``) and schema classes are applied when
    the schema is first generated, as if at import: the generator's command writes the same."""
    printed = web_process(
        "import json; from django.test import Client; from liaison.core import apischema;"
        " print(len(apischema._pending) > 10);"
        " schema = Client(HTTP_HOST='liaison.example.cn').get('/api/v1/schema/?format=json').json();"
        " track = schema['paths']['/api/v1/public/requests/{number}/{token}/']['get'];"
        " print(track['description'].replace(' ', '_'), sorted(track['responses']) == ['200', '404'],"
        " 'ProblemType' in schema['components']['schemas'],"
        " 'requests_dispatch' in json.dumps(schema), len(apischema._pending))"
    )
    assert printed == ["True", "Follow_a_request_with_its_secret.", "True", "True", "True", "0"]


def test_beat_runs_the_whole_schedule():
    from liaison.celery import app
    from liaison.schedule import BEAT_SCHEDULE

    assert app.conf.beat_schedule == BEAT_SCHEDULE
    assert {"escalation-scan", "reception-reminders", "deliver-notifications"} <= set(app.conf.beat_schedule)


def test_defaults_are_chinese_and_shanghai(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"


@pytest.mark.django_db
class TestDemoData:
    def test_shape_matches_the_source(self):
        call_command("load_demo", stdout=open(os.devnull, "w"))
        assert LiaisonPoint.objects.count() == 2
        assert set(LiaisonPoint.objects.values_list("name", flat=True)) == {
            "比亚迪璧山园区人大代表活动点",
            "青山工业人大代表活动点",
        }
        assert Station.objects.count() == 17
        assert Station.objects.filter(role="head").count() == 2
        assert Person.objects.filter(kind="consultative").count() == 6
        assert Person.objects.filter(kind="grid_worker").count() == 9
        assert Enterprise.objects.count() >= 20
        for code in Enterprise.objects.values_list("credit_code", flat=True):
            validate_uscc(code)
        assert EnterpriseLink.objects.values("person").distinct().count() == 17
        assert Department.objects.filter(name__in=["区发展改革委", "区教委", "区交通局", "区住房城乡建委"]).count() == 4
        assert Petition.objects.count() == 7
        assert Petition.objects.filter(status__in=["resolved", "closed"]).count() == 6
        assert Activity.objects.filter(kind="inspection", status="held").count() == 2
        assert all(a.attendees.exists() and a.findings for a in Activity.objects.all())
        for point in LiaisonPoint.objects.all():
            linked = EnterpriseLink.objects.filter(person__stations__point=point).values("enterprise").distinct()
            assert linked.count() >= 20
        assert Visit.objects.count() == 9  # one by each grid worker
        assert Suggestion.objects.count() == 8
        charging = Suggestion.objects.get(title="关于加快“充储泊配”设施建设的建议")
        assert charging.status == "closed" and charging.rating == "satisfied" and charging.response
        answered = Suggestion.objects.filter(status__in=["answered", "closed"])
        assert answered.count() == 6
        assert all(s.response and s.answer_letter and s.answered_on >= s.filed_on for s in answered)

    def test_loading_twice_changes_nothing(self):
        call_command("load_demo", stdout=open(os.devnull, "w"))
        models = [
            LiaisonPoint,
            Person,
            Station,
            EnterpriseLink,
            Enterprise,
            Petition,
            PetitionEvent,
            Suggestion,
            Activity,
            Visit,
        ]
        before = {m: m.objects.count() for m in models}
        call_command("load_demo", stdout=open(os.devnull, "w"))
        assert {m: m.objects.count() for m in models} == before

    def test_refused_outside_demo_mode(self, settings):
        from django.core.management.base import CommandError

        settings.DEMO_MODE = False
        with pytest.raises(CommandError):
            call_command("load_demo")


@pytest.mark.django_db
def test_roles_exist_with_their_permissions():
    """What each role must and must not be able to do, stated here apart from the roles table,
    checked on an account of that group after migrate."""
    expected = {
        roles.OFFICE_STAFF: (
            {
                "petitions.triage_petition",
                "petitions.change_department",
                "deputies.add_person",
                "core.view_holiday",
                "points.add_grouprobot",
                "deputies.add_visit",
            },
            {
                "petitions.handle_petition",
                "auth.change_user",
                "petitions.change_externalplatform",
                # shared by every office: kept by the reference keeper
                "core.add_holiday",
                "core.change_holiday",
                "points.change_industrychain",
                "points.add_chainsegment",
                "scoring.change_scoringrule",
            },
        ),
        roles.REFERENCE_KEEPER: (
            {"core.add_holiday", "core.change_holiday", "points.change_industrychain", "scoring.change_scoringrule"},
            {"petitions.triage_petition", "points.change_liaisonpoint", "deputies.add_person"},
        ),
        roles.POINT_HEAD: (
            {"petitions.triage_petition", "points.change_liaisonpoint", "deputies.change_receptionday"},
            {"petitions.change_department", "deputies.add_person", "petitions.handle_petition"},
        ),
        roles.DEPUTY: (
            {"petitions.triage_petition", "deputies.add_suggestion"},
            {"points.change_liaisonpoint", "petitions.handle_petition", "deputies.add_person"},
        ),
        roles.GRID_WORKER: (
            {"petitions.add_petition", "deputies.add_visit"},
            {"petitions.triage_petition", "petitions.change_petition"},
        ),
        roles.DEPARTMENT_HANDLER: (
            {"petitions.handle_petition", "petitions.view_petition"},
            {"petitions.triage_petition", "petitions.view_contact_phone", "petitions.add_petition"},
        ),
    }
    assert set(expected) == set(roles.ROLES)
    for name, (may, may_not) in expected.items():
        user = UserFactory(groups=[name])
        assert {perm for perm in may if not user.has_perm(perm)} == set(), name
        assert {perm for perm in may_not if user.has_perm(perm)} == set(), name


@pytest.mark.django_db
def test_syncing_roles_twice_is_stable():
    roles.sync_groups()
    roles.sync_groups()
    assert Group.objects.filter(name__in=roles.ROLES).count() == len(roles.ROLES)


@pytest.mark.django_db
class TestPagesInChinese:
    def test_home_lists_points_in_chinese(self, client):
        call_command("load_demo", stdout=open(os.devnull, "w"))
        response = client.get("/")
        body = response.content.decode()
        assert response.status_code == 200
        assert '<html lang="zh-hans">' in body
        assert "比亚迪璧山园区人大代表活动点" in body
        assert "工作人员登录" in body

    def test_an_english_browser_still_gets_chinese_first(self, client):
        body = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
        assert "工作人员登录" in body

    def test_english_is_one_switch_away(self, client):
        response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)
        assert "Staff login" in response.content.decode()

    def test_admin_login_is_chinese_with_the_site_title(self, client):
        body = client.get("/admin/login/").content.decode()
        assert "链上代表活动点" in body
        assert "用户名" in body

    def test_login_page(self, client):
        assert client.get("/login/").status_code == 200

    def test_unknown_address_is_a_friendly_404(self, client):
        response = client.get("/no-such-page/")
        assert response.status_code == 404
        assert "页面不存在" in response.content.decode()


def test_every_celery_setting_reaches_celery():
    """Celery reads a copy of the ``CELERY_*`` settings (``liaison.celery.CelerySettings``):
    each one, under Celery's own name, holds the settings' value."""
    from liaison.celery import app

    names = [name for name in dir(settings) if name.startswith("CELERY_")]
    assert "CELERY_TASK_ACKS_LATE" in names and "CELERY_BROKER_URL" in names
    for name in names:
        assert app.conf[name.removeprefix("CELERY_").lower()] == getattr(settings, name), name


def test_a_broker_behind_tls_is_reached_over_tls_with_its_certificate_checked():
    """``rediss://``: the broker's own transport (liaison/core/broker.py) connects as kombu's
    would, over TLS, and verifies the server's certificate."""
    code = (
        "import django; django.setup(); from liaison.celery import app; import ssl;"
        " c = app.connection_for_write();"
        " print(type(c.transport).__module__, c.hostname, c.ssl == {'ssl_cert_reqs': ssl.CERT_REQUIRED})"
    )
    environment = {**os.environ, "REDIS_URL": "rediss://redis.example:6380/0"}
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["liaison.core.broker", "redis.example", "True"]


def test_prepared_statements_and_their_plans_follow_the_switch():
    """``DB_PREPARED_STATEMENTS``: on, the connection prepares the compiled statements and asks
    for generic plans, keeping any ``options`` the address gave; off (an old PgBouncer, which
    refuses the ``options`` startup parameter), it sends neither."""
    code = "from django.conf import settings as s; o = s.DATABASES['default'].get('OPTIONS', {});"
    code += " print(o.get('prepare_threshold'), '|', o.get('options'))"
    base = {k: v for k, v in os.environ.items() if k != "DB_PREPARED_STATEMENTS"}
    base.update(DJANGO_SETTINGS_MODULE="liaison.settings.test", DATABASE_URL="postgres://liaison@db.example/liaison")

    def read(**extra):
        run = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env={**base, **extra}, capture_output=True, text=True, timeout=60
        )
        assert run.returncode == 0, run.stderr
        return run.stdout.strip()

    assert read() == "5 | -c plan_cache_mode=force_generic_plan"
    given = read(DATABASE_URL="postgres://liaison@db.example/liaison?options=-c%20search_path%3Dliaison")
    assert given == "5 | -c search_path=liaison -c plan_cache_mode=force_generic_plan"
    assert read(DB_PREPARED_STATEMENTS="false") == "None | None"
