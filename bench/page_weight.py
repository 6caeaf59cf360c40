"""First view of the QR form and the tracking page in Chromium on a throttled phone.

    .venv/bin/python bench/page_weight.py [--runs 5]     # on its own: the demo data, SQLite
    .venv/bin/python bench/run.py --reuse --only weight  # within `make bench`: the province

Serves the portal as production does (gunicorn, ``liaison.settings.prod``, static files collected
and compressed by WhiteNoise), then opens each page in a new browser context (nothing cached)
with a 390 px phone viewport and Chrome DevTools' throttling set over the DevTools protocol:
the network at "Slow 4G" (562.5 ms latency, 1.44 Mbit/s down, 675 kbit/s up:
``Network.emulateNetworkConditions``) and the CPU 6× slower (``Emulation.setCPUThrottlingRate``,
DevTools' low-end phone). For each page it prints the median over the runs of

- what was transferred: the compressed bodies of every response of the page (the document, its
  stylesheet, anything else it loads), summed from the protocol's ``Network.loadingFinished``
  minus each response's headers (``Network.responseReceived``), and the same with headers;
- the requests that blocked rendering (``renderBlockingStatus`` of the resource timings);
- the first contentful paint (``first-contentful-paint``), from the start of the navigation.

Chromium over plain HTTP asks for gzip, not brotli, so the figures are gzip's; a phone on HTTPS
gets the brotli copies WhiteNoise also serves, a little smaller.
"""

import argparse
import contextlib
import http.client
import os
import shutil
import socket
import statistics as stats
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Chrome DevTools' "Slow 4G" preset, and its "6x slowdown" for a low-end phone's CPU.
SLOW_4G = {"offline": False, "latency": 562.5, "downloadThroughput": 180_000, "uploadThroughput": 84_375}
CPU_SLOWDOWN = 6
BUDGET_KB, FCP_TARGET_MS = 15, 1500
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}
FCP = """() => new Promise((done) => {
  const fcp = (entries) => entries.find((e) => e.name === 'first-contentful-paint');
  const now = fcp(performance.getEntriesByType('paint'));
  if (now) return done(now.startTime);
  new PerformanceObserver((list) => { const e = fcp(list.getEntries()); if (e) done(e.startTime); })
    .observe({ type: 'paint', buffered: true });
})"""
BLOCKING = """() => performance.getEntriesByType('resource')
  .filter((e) => e.renderBlockingStatus === 'blocking').map((e) => e.name)"""


def say(name, value, target=""):
    print(f"{name:<58} {value:>22}   {target}", flush=True)


def name(url, page):
    return "the page" if url == page else url.rsplit("/", 1)[-1]


def first_view(browser, url, throttle=True):
    """One first view of ``url`` in a fresh context: bytes, blocking requests, FCP in ms."""
    context = browser.new_context(**PHONE, locale="zh-CN")
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        headers, total, urls = {}, {}, {}
        cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
        cdp.on(
            "Network.responseReceived",
            lambda e: headers.__setitem__(e["requestId"], e["response"]["encodedDataLength"]),
        )
        cdp.on("Network.loadingFinished", lambda e: total.__setitem__(e["requestId"], e["encodedDataLength"]))
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        if throttle:
            cdp.send("Network.emulateNetworkConditions", SLOW_4G)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        response = page.goto(url, wait_until="load")
        assert response.status == 200, (url, response.status)
        fcp = page.evaluate(FCP)
        blocking = page.evaluate(BLOCKING)
        page.wait_for_timeout(300)  # late requests (an icon) and their last protocol events
        return {
            "bodies": sum(total[r] - headers.get(r, 0) for r in total),
            "wire": sum(total.values()),
            "requests": [name(urls[r], url) for r in total if not urls[r].startswith("data:")],
            "blocking": blocking,
            "fcp": fcp,
        }
    finally:
        context.close()


def measure(base, pages, runs=5):
    """Print the figures of each page (name → path under ``base``)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            for name, path in pages.items():
                first_view(browser, base + path, throttle=False)  # the server's caches warm
                views = [first_view(browser, base + path) for _ in range(runs)]
                view = views[-1]
                bodies = stats.median(v["bodies"] for v in views) / 1024
                wire = stats.median(v["wire"] for v in views) / 1024
                say(
                    f"{name}: transferred, compressed (KB)",
                    f"{bodies:.1f} ({wire:.1f} with headers)",
                    f"target ≤ {BUDGET_KB}",
                )
                say(f"  requests: {', '.join(view['requests'])}", len(view["requests"]))
                say("  render-blocking requests", max(len(v["blocking"]) for v in views), "target ≤ 1 stylesheet")
                fcps = sorted(v["fcp"] for v in views)
                say(
                    f"  first contentful paint, slow 4G, CPU ÷{CPU_SLOWDOWN} (ms)",
                    f"{stats.median(fcps):.0f} ({fcps[0]:.0f}–{fcps[-1]:.0f})",
                    f"target < {FCP_TARGET_MS}",
                )
        finally:
            browser.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served(env=None):
    """gunicorn on a free port with the environment's (production) settings; yields its base URL."""
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "liaison.wsgi", "--bind", f"127.0.0.1:{port}"]
        + ["--workers", "2", "--log-level", "warning"],
        cwd=ROOT,
        env=env or os.environ,
    )
    try:
        for _ in range(150):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                break
            except OSError:
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def pages_of_database():
    """The QR form of the first point and the tracking page of the newest request."""
    import django

    django.setup()
    from petitions.models import Petition
    from points.models import LiaisonPoint

    point = LiaisonPoint.objects.filter(active=True).order_by("id").first()
    petition = Petition.objects.order_by("-id").first()
    return {"QR form": f"/s/{point.qr_token}/", "tracking page": petition.get_tracking_url()}


def main():
    """On its own: the demo data in an SQLite database under var/bench-weight."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    var = ROOT / "var" / "bench-weight"
    var.mkdir(parents=True, exist_ok=True)
    base_env = {**os.environ, "VAR_DIR": str(var), "DATABASE_URL": f"sqlite:///{var / 'weight.sqlite3'}"}
    base_env.pop("REDIS_URL", None)
    manage = [sys.executable, "manage.py"]
    dev = {**base_env, "DJANGO_SETTINGS_MODULE": "liaison.settings.dev"}
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=dev, check=True)
    subprocess.run([*manage, "load_demo"], cwd=ROOT, env=dev, check=True, stdout=subprocess.DEVNULL)
    prod = {
        **base_env,
        "DJANGO_SETTINGS_MODULE": "liaison.settings.prod",
        "SECRET_KEY": "bench-" + "k" * 50,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SMS_ALLOW_DEV_BACKEND": "true",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "ERROR",
    }
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=prod, check=True)
    os.environ.update(prod)
    sys.path.insert(0, str(ROOT))
    pages = pages_of_database()
    with served(prod) as base:
        measure(base, pages, runs=args.runs)


if __name__ == "__main__":
    main()
