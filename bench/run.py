"""Build a province-sized data set in PostgreSQL and measure the portal on it.

    .venv/bin/python bench/run.py [--scale 1.0] [--reuse] [--only NAME]

Prints one line per figure; docs/performance.md records a run and the targets.
"""

import argparse
import http.client
import json
import os
import resource
import statistics as stats
import subprocess
import sys
import threading
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


def measure_submissions(seconds=20, clients=16):
    import django

    django.setup()
    from petitions.models import Petition

    port = 18000 + os.getpid() % 1000
    env = {**os.environ}
    workers = str(int(os.environ.get("BENCH_WEB_WORKERS", "5")))
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "liaison.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            workers,
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.2)
        before = Petition.objects.count()
        latencies, errors, lock = [], [0], threading.Lock()
        deadline = time.monotonic() + seconds

        def client(n):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine = []
            while time.monotonic() < deadline:
                body = json.dumps(
                    {
                        "point": f"p{1 + (n * 37 + len(mine)) % 5000}",
                        "enterprise_name": "压测企业",
                        "contact_name": "张三",
                        "contact_phone": "13800138000",
                        "category": "policy",
                        "title": "压测诉求",
                        "content": "压测内容，验证提交。",
                        "submission_key": str(uuid.uuid4()),
                    }
                )
                start = time.perf_counter()
                try:
                    conn.request("POST", "/api/v1/public/requests/", body, {"Content-Type": "application/json"})
                    response = conn.getresponse()
                    response.read()
                    ok = response.status == 201
                except OSError:
                    ok = False
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                mine.append(time.perf_counter() - start)
                if not ok:
                    with lock:
                        errors[0] += 1
            with lock:
                latencies.extend(mine)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        created = Petition.objects.count() - before
        latencies.sort()
        p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
        say(
            f"public submission via gunicorn ({workers} workers), {clients} clients (req/s)",
            f"{len(latencies) / seconds:.0f}",
            "target ≥ 300",
        )
        say("  latency p50 / p99 (ms)", f"{latencies[len(latencies) // 2] * 1000:.0f} / {p99:.0f}", "target p99 < 150")
        say(
            "  answered / created in the database / errors",
            f"{len(latencies)} / {created} / {errors[0]}",
            "created = answered − errors",
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


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
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, check=True)
    for name, measure in MEASUREMENTS.items():
        if args.only in (None, name):
            measure()
    say("bench process peak RSS (MB)", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)


if __name__ == "__main__":
    main()
