"""Build a province-sized data set in PostgreSQL and measure the portal on it.

    .venv/bin/python bench/run.py [--scale 1.0] [--reuse] [--only NAME]

Prints one line per figure; docs/performance.md records a run and the targets.
"""

import argparse
import http.client
import json
import os
import resource
import shutil
import statistics as stats
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/liaison_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
ENV = {
    "DJANGO_SETTINGS_MODULE": "liaison.settings.prod",
    "SECRET_KEY": "bench-" + "k" * 50,
    "ALLOWED_HOSTS": "127.0.0.1,testserver,localhost",
    "SMS_ALLOW_DEV_BACKEND": "true",
    "SECURE_SSL_REDIRECT": "false",
    "DATABASE_URL": DB_URL,
    "REDIS_URL": REDIS_URL,
    "PETITION_RATE_PER_CLIENT": "100000000",
    "PETITION_RATE_PER_POINT": "100000000",
    "PETITION_RATE_PER_ADDRESS": "100000000",
    "LOG_LEVEL": "ERROR",
    "VAR_DIR": str(ROOT / "var" / "bench"),
}
os.environ.update(ENV)
TABLES = [
    "points_industrychain",
    "points_chainsegment",
    "points_organisation",
    "points_enterprise",
    "points_liaisonpoint",
    "auth_user",
    "deputies_person",
    "deputies_station",
    "petitions_department",
    "petitions_petition",
    "petitions_petitionevent",
]


def say(name, value, target=""):
    print(f"{name:<58} {value:>22}   {target}", flush=True)


def timed(fn, repeat=11):
    """Median wall time in ms of ``repeat`` calls after one warm-up (this machine is noisy)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return stats.median(times)


def settle():
    """Vacuum and flush what earlier steps wrote, as autovacuum and the checkpointer would have
    by the time a user comes back (autovacuum is off on the benchmark machine's PostgreSQL)."""
    import django

    django.setup()  # (with --reuse, nothing before it has set Django up)
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("petitions_petition", "petitions_petitionevent", "core_notification"):
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("CHECKPOINT")


def rollup_all():
    """Build the daily roll-ups from scratch (the data set is loaded behind the services' back,
    so the job's first run does this), then vacuum them as autovacuum would have."""
    from django.db import connection

    from petitions import rollups

    start = time.perf_counter()
    written = rollups.rollup_all()
    say("daily roll-ups, full rebuild (s / rows)", f"{time.perf_counter() - start:.0f} / {written:,}")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE petitions_dailyfigures")


def create_database(reuse: bool) -> bool:
    import psycopg

    base, name = DB_URL.rsplit("/", 1)
    with psycopg.connect(base.replace("postgres://", "postgresql://") + "/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and reuse:
            return False
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return True


def generate(scale: float):
    import django
    import psycopg
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    sql = (ROOT / "bench" / "generate.sql").read_text().replace(":scale", repr(scale))
    start = time.perf_counter()
    with psycopg.connect(DB_URL.replace("postgres://", "postgresql://")) as conn:
        # GIN indexes (the search's trigram index) are built once over the loaded rows, not row by
        # row during the load: as the migrations defined them, read back from the catalogue.
        gin = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'petitions_petition'"
            " AND indexdef LIKE '%USING gin%'"
        ).fetchall()
        for name, _definition in gin:
            conn.execute(f'DROP INDEX "{name}"')
        conn.execute(sql)
        conn.commit()  # the load's deferred foreign-key checks run here, before any CREATE INDEX
        for _name, definition in gin:
            conn.execute(definition)
        for table in TABLES:
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
        conn.execute("CHECKPOINT")  # the load's writes are flushed now, not during the measurements
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES[4:]}  # noqa: S608
    say("generate: data set built (s)", f"{time.perf_counter() - start:.0f}")
    for table, count in counts.items():
        say(f"  rows in {table}", f"{count:,}")


def measure_pages():
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client

    from liaison.core import roles
    from petitions.models import Petition

    client = Client()

    def queries(url):
        count = [0]

        def counter(execute, sql, params, many, context):
            count[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            assert client.get(url).status_code == 200
        return count[0]

    roles.sync_groups()
    settle()
    office = User.objects.get(username="u5062")  # staff of 区人大办1 (district 12)
    office.groups.add(Group.objects.get(name=roles.OFFICE_STAFF))
    head = User.objects.get(username="u1")  # head of point 1
    head.groups.add(Group.objects.get(name=roles.POINT_HEAD))
    for who, user in (("office staff (district)", office), ("point head", head)):
        client.force_login(user)
        for label, url in (
            ("admin change list", "/admin/petitions/petition/"),
            ("admin change list, overdue filter", "/admin/petitions/petition/?deadline=overdue"),
            ("API request list", "/api/v1/requests/"),
        ):
            count = queries(url)
            say(
                f"{label} as {who} (ms / queries)",
                f"{timed(lambda url=url: client.get(url)):.0f} / {count}",
                "target < 150 ms, ≤ 12",
            )
    url = Petition.objects.order_by("-id").first().get_tracking_url()
    client.logout()
    count = queries(url)
    say("tracking page (ms / queries)", f"{timed(lambda: client.get(url)):.0f} / {count}", "target < 150 ms, ≤ 12")
    panel = "/p/p1/screen/panel/"
    client.get(panel)
    per_hit = timed(lambda: [client.get(panel) for _ in range(50)], repeat=3) / 50
    say("display screen panel, cached (ms per hit)", f"{per_hit:.1f}", "target < 20 ms")


def measure_statistics():
    import datetime as dt

    import django

    django.setup()
    from django.core.cache import cache
    from django.utils import timezone

    from petitions import rollups
    from petitions.models import DailyFiguresMark
    from petitions.selectors import statistics
    from points.models import LiaisonPoint

    cache.clear()
    settle()
    if not DailyFiguresMark.objects.exists():
        rollup_all()
    say("daily roll-ups, a job run with nothing new (ms)", f"{timed(rollups.rollup_changed, repeat=5):.0f}")
    points = LiaisonPoint.objects.filter(organisation__parent_id=12)
    year = timezone.localdate().year - 1
    figures = {}

    def run():
        figures.update(statistics(points, dt.date(year, 1, 1), dt.date(year, 12, 31)))

    ms = timed(run, repeat=3)
    say(f"statistics, one district ({points.count()} points), {year} (ms)", f"{ms:.0f}", "target < 500 ms")
    say("  requests in it", f"{figures['totals']['received']:,}")
    points = LiaisonPoint.objects.filter(organisation__parent__parent_id=2)
    ms = timed(run, repeat=3)
    say(f"statistics, one city ({points.count()} points), {year} (ms)", f"{ms:.0f}", "target < 300 ms")
    points = LiaisonPoint.objects.all()
    ms = timed(run, repeat=3)
    say(f"statistics, the province ({points.count()} points), {year} (ms)", f"{ms:.0f}", "target < 1 s")
    say("  requests in it", f"{figures['totals']['received']:,}")


def measure_escalation():
    import django
    import psycopg

    django.setup()
    from django.conf import settings
    from django.db import connections

    # Every run escalates a fresh copy of the data set, so that repeated runs start from the
    # same state as the first (undoing a run leaves the tables and indexes in another shape).
    base, name = DB_URL.rsplit("/", 1)
    copy = f"{name}_escalation"
    admin = base.replace("postgres://", "postgresql://") + "/postgres"
    connections.close_all()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}" STRATEGY FILE_COPY')
    settings.DATABASES["default"]["NAME"] = copy
    try:
        _escalate_and_check()
    finally:
        connections.close_all()
        settings.DATABASES["default"]["NAME"] = name
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')


def _escalate_and_check():
    from django.utils import timezone

    from liaison.core.models import Notification
    from petitions.escalation import escalation_scan, level_thresholds
    from petitions.models import OPEN_STATUSES, Petition, PetitionEvent

    settle()
    overdue = Petition.objects.overdue().count()
    start = time.perf_counter()
    raised = escalation_scan()
    seconds = time.perf_counter() - start
    say(
        f"escalation scan, {overdue:,} overdue among {Petition.objects.count():,} (s)",
        f"{seconds:.1f}",
        "target < 20 s",
    )
    say("  raised per level", json.dumps(raised))
    # The row-by-row definition: every open request's level from its due date alone.
    thresholds = sorted(level_thresholds(timezone.localdate()).items(), reverse=True)
    mismatches = 0
    for _pk, due, level in (
        Petition.objects.filter(status__in=OPEN_STATUSES, due_date__isnull=False)
        .values_list("pk", "due_date", "escalation_level")
        .iterator(chunk_size=20000)
    ):
        expected = next((lvl for lvl, limit in thresholds if due < limit), 0)
        mismatches += expected != level
    say("  rows differing from the row-by-row definition", mismatches, "target 0")
    say(
        "  timeline rows / notifications written",
        f"{PetitionEvent.objects.filter(action='escalate').count():,} / {Notification.objects.count():,}",
    )
    start = time.perf_counter()
    again = escalation_scan()
    say("  second run (s, raised)", f"{time.perf_counter() - start:.1f}, {sum(again.values())}", "target 0 raised")


EXPORT = """
import os, sys, time, resource, datetime as dt
sys.path.insert(0, {root!r})
import django; django.setup()
from liaison.core.ledger import REGISTRY, csv_response, xlsx_response
from points.models import LiaisonPoint
points = LiaisonPoint.objects.filter(organisation__parent__parent_id=2)  # one city: about 100,000 requests
ledger = REGISTRY["requests"]
start, end = dt.date(2000, 1, 1), dt.date(2100, 1, 1)
rows = sum(1 for _ in ledger.rows(points, start, end))
t = time.perf_counter()
response = {call}
size = sum(len(chunk) for chunk in response.streaming_content)
print(rows, time.perf_counter() - t, size, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def measure_export():
    for fmt, call in (
        ("xlsx", 'xlsx_response(ledger, ledger.rows(points, start, end), "bench", "bench")'),
        ("csv", 'csv_response(ledger, ledger.rows(points, start, end), "bench")'),
    ):
        out = subprocess.run(
            [sys.executable, "-c", EXPORT.format(root=str(ROOT), call=call)],
            capture_output=True,
            text=True,
            env={**os.environ},
            check=True,
        ).stdout.split()
        rows, seconds, size, peak = int(out[0]), float(out[1]), int(out[2]), int(out[3])
        say(
            f"request ledger export, {rows:,} rows, {fmt} (s / MB peak RSS / MB file)",
            f"{seconds:.1f} / {peak} / {size / 1e6:.1f}",
            "target < 60 s, < 300 MB" if fmt == "xlsx" else "streamed",
        )


APP_DIR = Path(os.environ.get("BENCH_APP_DIR", ROOT))  # another checkout: measure its code with this bench
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def production_bin() -> Path:
    """The scripts folder of a virtualenv holding ``requirements.txt`` alone, as a server installs
    it: the development tools (pytest's Pygments, Playwright's greenlet…) would otherwise be
    imported by the libraries that use them when present, and counted in the web worker's memory.
    Built once per set of requirements, under ``var/bench/``."""
    import hashlib

    requirements = APP_DIR / "requirements.txt"
    venv = ROOT / "var" / "bench" / f"venv-{hashlib.sha256(requirements.read_bytes()).hexdigest()[:12]}"
    if not (venv / "installed").exists():
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, "-r", str(requirements)], check=True)
        (venv / "installed").touch()
    return venv / "bin"


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a running process, from /proc (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _workers(master: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


def _backends() -> list[int]:
    """PostgreSQL backends connected to the benchmark database (the web workers' connections)."""
    import psycopg

    with psycopg.connect(DB_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND backend_type = 'client backend'"
        ).fetchall()
    return [pid for (pid,) in rows]


class WebServer:
    """gunicorn with ``workers`` sync workers on the benchmark database, as production runs it:
    from the production install, with the production settings."""

    def __init__(self, workers: int):
        self.port = 18000 + os.getpid() % 1000
        self.process = subprocess.Popen(
            [
                str(production_bin() / "gunicorn"),
                "liaison.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--log-level",
                "warning",
            ],
            cwd=APP_DIR,
            env={**os.environ},
        )
        for _ in range(150):
            try:
                self.get("/healthz")
                break
            except OSError:
                time.sleep(0.2)

    def get(self, path, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response, response.read()

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def _csrf(server) -> dict:
    """A CSRF cookie and form token, read from a QR form page as a phone would get them."""
    import re

    response, body = server.get("/s/qr1/")
    cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie") or "").group(1)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    return {"BENCH_CSRF_COOKIE": cookie, "BENCH_CSRF_TOKEN": token}


def _petitions() -> int:
    import psycopg

    with psycopg.connect(DB_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM petitions_petition").fetchone()[0]


def _found(prefix: str) -> tuple[int, int]:
    """The request numbers wrk was answered with (one file per thread), and how many of them are
    in the database: each answered request must be there, exactly once (numbers are unique)."""
    import psycopg

    numbers = []
    for path in Path(prefix).parent.glob(Path(prefix).name + ".*"):
        numbers += path.read_text().split()
        path.unlink()
    with psycopg.connect(DB_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        found = conn.execute("SELECT count(*) FROM petitions_petition WHERE number = ANY(%s)", [numbers]).fetchone()[0]
    return found, len(numbers)


def _wrk(server, script: str, seconds: int, clients: int, extra_env: dict) -> dict:
    """Run wrk (one thread, ``clients`` connections) with a Lua script of bench/wrk; its own CPU
    from wait4, the web workers' and their PostgreSQL backends' from /proc over the run."""
    workers = _workers(server.process.pid)
    pids = [server.process.pid, *workers]
    backends = _backends()
    before = {pid: _cpu_seconds(pid) for pid in pids + backends}
    created_before = _petitions()
    program = shutil.which("wrk")
    if program is None:
        raise SystemExit("wrk is not installed (Debian/Ubuntu: apt-get install wrk)")
    wrk = subprocess.Popen(
        [
            program,
            "-t1",
            f"-c{clients}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(ROOT / "bench" / "wrk" / script),
            f"http://127.0.0.1:{server.port}",
        ],
        env={**os.environ, "BENCH_LUA_DIR": str(ROOT / "bench" / "wrk"), **extra_env},
        stdout=subprocess.PIPE,
        text=True,
    )
    output = wrk.stdout.read()
    _pid, status, usage = os.wait4(wrk.pid, 0)
    wrk.returncode = os.waitstatus_to_exitcode(status)
    settled, last = 0, -1
    while settled < 3:  # requests cut at the end of the run may still be committing
        time.sleep(0.5)
        count = _petitions()
        settled, last = (settled + 1, count) if count == last else (0, count)
    backends = set(backends) | set(_backends())
    after = {pid: _cpu_seconds(pid) for pid in pids + list(backends)}
    line = next(line for line in output.splitlines() if line.startswith("RESULT"))
    result = {k: int(v) for k, v in (part.split("=") for part in line.split()[1:])}
    result["created"] = last - created_before
    result["found"], result["numbers"] = _found(extra_env["BENCH_ANSWERS"])
    result["cpu_web"] = sum(after[p] - before.get(p, 0.0) for p in pids)
    result["cpu_db"] = sum(after[p] - before.get(p, 0.0) for p in backends)
    result["cpu_wrk"] = usage.ru_utime + usage.ru_stime
    return result


def measure_submissions(seconds=20, clients=16):
    """CPU per answered submission (issue 21, item 1): the QR form and the public API under wrk,
    gunicorn with 2 sync workers, persistent (pooled) connections. Every answered request must
    be in the database: the count of new rows is checked against the 302s / 201s."""
    seconds = int(os.environ.get("BENCH_SECONDS", seconds))
    workers = int(os.environ.get("BENCH_WEB_WORKERS", "2"))
    server = WebServer(workers)
    try:
        csrf = _csrf(server)
        for _ in range(20):  # every worker opens its pool and fills its caches
            server.get("/s/qr1/")
        for name, script, target in (
            ("QR form", "submit_form.lua", 11),
            ("API", "submit_api.lua", 13),
        ):
            settle()  # (what the run before wrote, vacuumed: the trigram indexes' pending lists too)
            answers = ROOT / "var" / "bench" / f"answers-{script}"
            r = _wrk(server, script, seconds, clients, {**csrf, "BENCH_ANSWERS": str(answers)})
            answered = r["answered"]
            per = (r["cpu_web"] + r["cpu_db"] + r["cpu_wrk"]) * 1000 / max(answered, 1)
            say(
                f"submission, {name}: CPU per answered request (ms)",
                f"{per:.1f}",
                f"target ≤ {target} (web {r['cpu_web']:.1f} s + db {r['cpu_db']:.1f} s + wrk {r['cpu_wrk']:.1f} s)",
            )
            say(
                f"  {name}: req/s, p50 / p99 (ms)",
                f"{answered / seconds:.0f}, {r['p50_us'] / 1000:.0f} / {r['p99_us'] / 1000:.0f}",
                "target p99 < 150",
            )
            exact = r["refused"] == 0 and r["socket_errors"] == 0 and r["found"] == r["numbers"] == answered
            say(
                f"  {name}: answered / found in the database / refused",
                f"{answered} / {r['found']} / {r['refused'] + r['socket_errors']}",
                f"each answered request filed once ({r['created']} rows: requests cut at the end too)"
                if exact
                else "**MISMATCH**",
            )
        measure_worker_memory(server)
    finally:
        server.stop()


def measure_worker_memory(server, requests=1000):
    """RSS of the largest web worker after ``requests`` mixed public requests: the QR form page,
    filing by form and API, the tracking page and the API's tracking, the home page, /healthz."""
    import psycopg

    with psycopg.connect(DB_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        tracked = conn.execute(
            "SELECT number, access_token FROM petitions_petition ORDER BY id DESC LIMIT 50"
        ).fetchall()
    csrf = _csrf(server)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    statuses = {}
    for n in range(requests):
        number, token = tracked[n % len(tracked)]
        kind = n % 7
        if kind == 0:
            conn.request("GET", f"/s/qr{1 + n % 5000}/")
        elif kind == 1:
            body = (
                f"csrfmiddlewaretoken={csrf['BENCH_CSRF_TOKEN']}&submission_key={uuid.uuid4()}&enterprise="
                "&enterprise_name=M&contact_name=M&contact_phone=13800138000&category=policy&title=M"
                "&content=memory+check&website="
            )
            conn.request(
                "POST",
                f"/s/qr{1 + n % 5000}/",
                body,
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": f"csrftoken={csrf['BENCH_CSRF_COOKIE']}",
                },
            )
        elif kind == 2:
            body = json.dumps(
                {
                    "point": f"p{1 + n % 5000}",
                    "enterprise_name": "M",
                    "contact_name": "M",
                    "contact_phone": "13800138000",
                    "category": "policy",
                    "title": "M",
                    "content": "memory check",
                }
            )
            conn.request("POST", "/api/v1/public/requests/", body, {"Content-Type": "application/json"})
        elif kind == 3:
            conn.request("GET", f"/track/{number}/{token}/")
        elif kind == 4:
            conn.request("GET", f"/api/v1/public/requests/{number}/{token}/")
        elif kind == 5:
            conn.request("GET", "/")
        else:
            conn.request("GET", "/healthz")
        response = conn.getresponse()
        response.read()
        statuses[response.status] = statuses.get(response.status, 0) + 1
    rss = max(_rss_mb(pid) for pid in _workers(server.process.pid))
    say(
        f"web worker RSS after {requests} mixed requests (MB)",
        f"{rss:.1f}",
        f"target ≤ 90 (answers {dict(sorted(statuses.items()))})",
    )


def measure_chain():
    """The chain page (/chains/nev/) over the whole data set: the 50,000 enterprises spread over
    the seven segments with roles, 20 leaders leading 5,000 enterprises, 5,000 suggestions, the
    5,000 points and this year's share of the requests. Uncached: every figure computed."""
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from petitions.models import DailyFiguresMark
    from points.models import IndustryChain

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE points_enterprise SET segment_id = (SELECT min(id) FROM points_chainsegment) + id % 7,"
            " chain_role = CASE WHEN id <= 2 THEN 'leader' WHEN id <= 20 THEN 'sub_leader'"
            " WHEN id % 10 = 0 THEN 'backbone' WHEN id % 10 = 1 THEN 'tech_sme' ELSE 'supplier' END"
            " WHERE segment_id IS DISTINCT FROM (SELECT min(id) FROM points_chainsegment) + id % 7"
        )
        segments_moved = cursor.rowcount
        cursor.execute("DELETE FROM points_enterpriserelation")
        cursor.execute(
            "INSERT INTO points_enterpriserelation (source_id, target_id, kind)"
            " SELECT 1 + g % 20, 21 + g, CASE WHEN g % 20 < 2 THEN 'supply' ELSE 'partner' END"
            " FROM generate_series(0, 4999) g"
        )
        cursor.execute("DELETE FROM deputies_suggestion WHERE title LIKE 'bench-%%'")
        cursor.execute(
            "INSERT INTO deputies_suggestion (point_id, title, content, addressed_unit, filed_on, response, status,"
            " answer_letter, handling_unit, rating)"
            " SELECT 1 + g % 5000, 'bench-' || g, '', '', current_date - g % 200, '', 'filed', '', '', ''"
            " FROM generate_series(1, 5000) g"
        )
        for table in ("points_enterprise", "points_enterpriserelation", "deputies_suggestion"):
            cursor.execute(f"ANALYZE {table}")
    if segments_moved or not DailyFiguresMark.objects.exists():
        rollup_all()  # the segments were rewritten behind the services' back
    chain = IndustryChain.objects.get(code="nev")
    key = f"chain:{chain.pk}:{timezone.localdate().year}"
    client = Client()
    count = [0]

    def counter(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    def uncached():
        cache.delete(key)
        assert client.get("/chains/nev/").status_code == 200

    with connection.execute_wrapper(counter):
        uncached()
    say("chain page, uncached (ms / queries)", f"{timed(uncached, repeat=5):.0f} / {count[0]}", "target < 300 ms")
    client.get("/chains/nev/")
    per_hit = timed(lambda: [client.get("/chains/nev/") for _ in range(20)], repeat=3) / 20
    say("chain page, cached (ms per hit)", f"{per_hit:.1f}")


# Searches an office user types: a rare name, a common phrase, a phrase nobody wrote, the same
# three at one and two characters (too short for trigrams), and a tracking number.
SEARCHES = [
    ("enterprise name, rare", "链上企业4321有限"),
    ("phrase in every request", "希望得到"),
    ("phrase in none", "停车位不够"),
    ("two characters, in every request", "企业"),
    ("two characters, in none", "停车"),
    ("one character, in none", "鑫"),
    ("tracking number", "B000123457"),
]


def measure_search():
    """The work desk's and the API's search over number, title, content and enterprise name, as
    staff of a city's office (500 points, about a tenth of the requests)."""
    import django

    django.setup()
    from urllib.parse import quote

    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client

    from liaison.core import roles
    from petitions.models import Petition

    roles.sync_groups()
    settle()
    city = User.objects.get(username="u5052")  # staff of 市人大1 (organisation 2)
    city.groups.add(Group.objects.get(name=roles.OFFICE_STAFF))
    visible = Petition.objects.visible_to(city).count()
    say("search: requests the city's office sees", f"{visible:,}")
    client = Client()
    client.force_login(city)
    for label, text in [("no search, the list itself", ""), *SEARCHES]:
        for where, url in (
            ("admin", f"/admin/petitions/petition/?q={quote(text)}"),
            ("API", f"/api/v1/requests/?search={quote(text)}"),
        ):
            count = [0]

            def counter(execute, sql, params, many, context, count=count):
                count[0] += 1
                return execute(sql, params, many, context)

            with connection.execute_wrapper(counter):
                assert client.get(url).status_code == 200
            ms = timed(lambda url=url: client.get(url), repeat=5)
            say(f"search {where}: {label} (ms / queries)", f"{ms:.0f} / {count[0]}", "target < 200 ms")
    measure_duplicates()


def measure_duplicates():
    """Possible duplicates of the newest request (petitions.similar): its point's open and
    recent requests ranked by pg_trgm's similarity()."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from petitions.models import Petition
    from petitions.similar import candidates, similar_requests

    petition = Petition.objects.order_by("-submitted_at").first()
    with CaptureQueriesContext(connection) as queries:
        similar_requests(petition)
    say(
        f"possible duplicates of a request, {candidates(petition).count()} candidates (ms / queries)",
        f"{timed(lambda: similar_requests(petition), repeat=11):.1f} / {len(queries)}",
        "target < 50 ms, 1",
    )


def measure_weight():
    """The QR form and the tracking page in Chromium on a throttled phone (bench/page_weight.py)."""
    import page_weight

    with page_weight.served() as base:
        page_weight.measure(base, page_weight.pages_of_database())


def measure_triage():
    """The dispatch form's routing suggestion and the desk list in urgency order."""
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from liaison.core import roles
    from petitions import routing
    from petitions.models import Petition, Status

    roles.sync_groups()
    settle()
    # An accepted request in district 12, whose office staff u5062 is.
    petition = Petition.objects.filter(status=Status.ACCEPTED, point__organisation__parent_id=12).order_by("id").first()
    # The generated categories follow the point, so give it the category its organisation answered
    # most: the suggestion then groups the most rows it can.
    answered = Petition.objects.filter(
        point__organisation=petition.point.organisation_id, status=Status.CLOSED, department__isnull=False
    )
    busiest = answered.values("category").annotate(n=Count("id")).order_by("-n").first()["category"]
    Petition.objects.filter(pk=petition.pk).update(category=busiest)
    petition.refresh_from_db()
    with CaptureQueriesContext(connection) as captured:
        ranked = routing.suggestions(petition)
    say(
        f"routing suggestion, one request ({sum(s.handled for s in ranked):,} similar answered) (ms / queries)",
        f"{timed(lambda: routing.suggestions(petition)):.1f} / {len(captured)}",
        "target < 50 ms, 1",
    )
    office = User.objects.get(username="u5062")
    office.groups.add(Group.objects.get(name=roles.OFFICE_STAFF))
    client = Client()
    client.force_login(office)
    url = f"/admin/petitions/petition/{petition.pk}/do/dispatch/"
    assert client.get(url).status_code == 200
    say("dispatch form with suggestions, office staff (ms)", f"{timed(lambda: client.get(url)):.0f}", "target < 150 ms")


MEASUREMENTS = {
    "pages": measure_pages,
    "search": measure_search,
    "triage": measure_triage,
    "chain": measure_chain,
    "statistics": measure_statistics,
    "export": measure_export,
    "submissions": measure_submissions,
    "escalation": measure_escalation,
    "weight": measure_weight,
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--reuse", action="store_true", help="keep an existing benchmark database")
    parser.add_argument("--only", choices=list(MEASUREMENTS))
    args = parser.parse_args()
    say(
        "machine", f"{os.cpu_count()} cores, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB"
    )
    if create_database(args.reuse):
        generate(args.scale)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=APP_DIR, check=True)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=APP_DIR, check=True)
    for name, measure in MEASUREMENTS.items():
        if args.only in (None, name):
            measure()
    say("bench process peak RSS (MB)", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)


if __name__ == "__main__":
    main()
