"""The QR form and the tracking page open fast on a weak signal (issue 21, item 3).

On first view each transfers at most 15 KB compressed — its HTML as the portal sends it, gzipped,
with the stylesheet written into it (or, if a page links one, that file as collectstatic
compresses it) — and asks for nothing before it can paint: at most one stylesheet, inline or
linked, and no script without ``defer``/``async``. The stylesheet is built from Bootstrap by
``npm run build:css`` (``make setup``); these tests also check that the build kept every
Bootstrap class the public pages render. The first paint under throttling is measured by
``bench/page_weight.py``, not here.
"""

import gzip
import os
import re
import uuid
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

from liaison.core import checks, compress
from petitions.models import Petition

from .test_workflow import drive

BUDGET = 15 * 1024  # bytes on the wire, first view
BOOTSTRAP = Path(settings.BASE_DIR) / "node_modules" / "bootstrap" / "dist" / "css" / "bootstrap.css"
GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate"}  # what Chromium sends over plain HTTP


class Page(HTMLParser):
    """The requests a page makes before its first paint, and the classes it uses."""

    def __init__(self, html):
        super().__init__()
        self.stylesheets, self.inline_styles, self.blocking_scripts, self.classes = [], 0, [], set()
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.classes.update((attrs.get("class") or "").split())
        if tag == "style":
            self.inline_styles += 1
        if tag == "link" and "stylesheet" in (attrs.get("rel") or "").split():
            self.stylesheets.append(attrs["href"])
        if tag == "script" and attrs.get("src"):
            if "defer" not in attrs and "async" not in attrs and attrs.get("type") != "module":
                self.blocking_scripts.append(attrs["src"])


def built_stylesheet(href):
    assert href.startswith(settings.STATIC_URL), href
    path = finders.find(href.removeprefix(settings.STATIC_URL))
    assert path, f"{href} is not built: run `make setup` (npm run build:css)"
    return Path(path).read_bytes()


def weigh(response):
    """(compressed bytes of the page and of a stylesheet it links, the parsed page), first view."""
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    html = gzip.decompress(response.content).decode()
    page = Page(html)
    assert page.inline_styles + len(page.stylesheets) == 1, f"one stylesheet, not {page.stylesheets}"
    assert page.blocking_scripts == [], f"scripts that block the first paint: {page.blocking_scripts}"
    css = built_stylesheet(page.stylesheets[0]) if page.stylesheets else b""
    assert b"@import" not in css and "@import" not in html  # what it loads would block the paint too
    # collectstatic (WhiteNoise) stores the .gz copy at level 9.
    return len(response.content) + (len(gzip.compress(css, compresslevel=9, mtime=0)) if css else 0), page


def filed(client, world):
    """The tracking page as the enterprise first sees it: right after filing, with its link."""
    response = client.post(
        f"/s/{world.point.qr_token}/",
        {
            "enterprise": world.enterprise.pk,
            "contact_name": "李四",
            "contact_phone": "13812345678",
            "category": "transport",
            "title": "园区通勤公交班次不足",
            "content": "早晚高峰公交班次太少，员工通勤困难。" * 10,
            "submission_key": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"]


@pytest.mark.django_db
class TestFirstView:
    def test_the_qr_form_transfers_at_most_15_kb_with_its_stylesheet_and_no_request_before_paint(self, client, world):
        weight, page = weigh(client.get(f"/s/{world.point.qr_token}/", **GZIP))
        assert weight <= BUDGET, f"{weight} bytes compressed > {BUDGET}"
        assert page.stylesheets == [] and page.inline_styles == 1  # no round trip for the stylesheet

    def test_the_tracking_page_transfers_at_most_15_kb_with_its_stylesheet(self, client, world):
        weight, page = weigh(client.get(filed(client, world), **GZIP))
        assert weight <= BUDGET, f"{weight} bytes compressed > {BUDGET}"
        assert page.stylesheets == [] and page.inline_styles == 1

    def test_the_budget_fails_a_page_with_a_second_stylesheet_or_a_blocking_script(self):
        page = Page('<style>p{}</style><link rel="stylesheet" href="/static/x.css">')
        assert page.inline_styles + len(page.stylesheets) == 2
        assert Page('<script src="/static/js/x.js"></script>').blocking_scripts == ["/static/js/x.js"]
        assert Page('<script src="/static/js/print.js" defer></script><script>1</script>').blocking_scripts == []


def bootstrap_classes():
    assert BOOTSTRAP.exists(), "node_modules/bootstrap is missing: run `make setup` (npm ci)"
    return set(re.findall(r"\.([a-zA-Z][\w-]*)", BOOTSTRAP.read_text()))


def defined(css, name):
    return re.search(rf"\.{re.escape(name)}(?![\w-])", css) is not None


@pytest.mark.django_db
def test_the_built_stylesheet_keeps_every_bootstrap_class_the_public_pages_render(client, world):
    """The build keeps what templates, crispy-forms and Django's widgets can write; rendering
    the pages, with and without errors, in every state a visitor sees, proves it kept enough."""
    pages = [
        client.get("/"),
        client.get(f"/p/{world.point.code}/"),
        client.get(f"/s/{world.point.qr_token}/"),
        client.post(f"/s/{world.point.qr_token}/", {"submission_key": str(uuid.uuid4())}),  # every error
        client.get("/track/"),
        client.post("/track/", {"number": "X", "phone": "1"}),
        client.get("/login/"),
        client.post("/login/", {"username": "nobody", "password": "wrong"}),
        client.get("/p/no-such-point/"),
        client.get(f"/chains/{world.point.chain.code}/"),
    ]
    url = filed(client, world)
    pages.append(client.get(url))
    petition = Petition.objects.get(number=url.split("/")[2])
    pages.append(client.post(f"{url}add/", {}))  # the add-information form with its error
    drive(petition, world, "resolved")
    pages.append(client.get(url))  # the rating form
    used = set()
    for response in pages:
        assert response.status_code in (200, 400, 404), response.status_code
        used |= Page(response.content.decode()).classes
    css = built_stylesheet(f"{settings.STATIC_URL}{checks.PUBLIC_STYLESHEET}").decode()
    assert all(css.replace('@charset "UTF-8";', "") in response.content.decode() for response in pages)
    bootstrap = bootstrap_classes()
    for required in ("form-control", "is-invalid", "invalid-feedback", "btn-primary", "alert-danger", "timeline"):
        assert required in used
    missing = sorted(name for name in used & bootstrap if not defined(css, name))
    assert missing == [], f"classes the pages use that the build dropped: {missing}"


def test_the_system_check_names_a_missing_build(monkeypatch):
    assert checks.public_stylesheet_built(None) == []
    monkeypatch.setattr(checks.finders, "find", lambda path: None)
    [error] = checks.public_stylesheet_built(None)
    assert error.id == "core.E001" and "npm run build:css" in error.hint


@pytest.mark.django_db
class TestCompression:
    def test_pages_and_json_are_gzipped_for_clients_that_accept_it(self, client, world):
        page = client.get(f"/s/{world.point.qr_token}/", **GZIP)
        assert page["Content-Encoding"] == "gzip" and "Accept-Encoding" in page["Vary"]
        assert "<form" in gzip.decompress(page.content).decode()
        api = client.get("/api/v1/points/", **GZIP)
        assert api.status_code == 200 and api["Content-Encoding"] == "gzip"
        assert gzip.decompress(api.content).startswith(b"{")

    def test_nothing_is_compressed_for_a_client_that_did_not_ask(self, client, world):
        page = client.get(f"/s/{world.point.qr_token}/")
        assert not page.has_header("Content-Encoding") and b"<form" in page.content

    def test_images_are_sent_as_they_are(self, client, world):
        png = client.get(f"/p/{world.point.code}/qr.png", **GZIP)
        assert png.status_code == 200 and png["Content-Type"] == "image/png"
        assert not png.has_header("Content-Encoding")
        body = b"".join(png.streaming_content) if png.streaming else png.content
        assert body.startswith(b"\x89PNG")


def test_the_stylesheet_is_written_into_the_page_and_follows_a_rebuild(tmp_path, monkeypatch):
    from liaison.core.templatetags import assets

    built = tmp_path / "site.css"
    built.write_text('@charset "UTF-8";p{color:red}')
    monkeypatch.setattr(assets.finders, "find", lambda name: str(built))
    assert assets.inline_stylesheet("build/site.css") == "<style>p{color:red}</style>"
    built.write_text("p{color:blue}")
    os.utime(built, (1, 2))  # a rebuild within the same second still changes the time
    assert assets.inline_stylesheet("build/site.css") == "<style>p{color:blue}</style>"


def test_without_a_build_the_page_links_the_stylesheet(monkeypatch):
    from liaison.core.templatetags import assets

    monkeypatch.setattr(assets.finders, "find", lambda name: None)
    assert assets.inline_stylesheet("build/site.css") == '<link rel="stylesheet" href="/static/build/site.css">'


class TestStylesheetCompressedOnce:
    def test_a_page_is_compressed_around_its_precompressed_stylesheet(self, monkeypatch):
        monkeypatch.setattr(compress, "_constants", {})
        css = b".a{color:red}" + bytes(range(32, 127)) * 200
        compress.precompress(css)
        page = b"<html><head><style>" + css + b"</style></head><body>" + b"<p>x</p>" * 300 + b"</body></html>"
        out = compress.gzip_around_constant(page, 100)
        assert gzip.decompress(out) == page
        assert len(out) < len(gzip.compress(page, 6)) + 200  # about as small as compressing it whole
        assert out[3] & 0x08  # a file name: the BREACH padding
        assert zlib.decompressobj(31).decompress(out) == page  # as a browser's zlib inflates it

    def test_a_page_without_it_is_left_to_django(self):
        assert compress.gzip_around_constant(b"<p>no stylesheet</p>" * 20, 100) is None

    def test_only_the_newest_few_builds_are_kept(self, monkeypatch):
        monkeypatch.setattr(compress, "_constants", {})
        for n in range(6):
            compress.precompress(f".build{n}{{}}".encode())
        assert b".build5{}" in compress._constants and b".build0{}" not in compress._constants
        assert len(compress._constants) <= 4

    @pytest.mark.django_db
    def test_the_form_as_sent_inflates_to_the_page_with_its_stylesheet(self, client, world):
        response = client.get(f"/s/{world.point.qr_token}/", **GZIP)
        html = zlib.decompressobj(31).decompress(response.content).decode()
        css = built_stylesheet(f"{settings.STATIC_URL}{checks.PUBLIC_STYLESHEET}").decode()
        assert css.replace('@charset "UTF-8";', "") in html and html.rstrip().endswith("</html>")
        # The stylesheet's blocks, compressed once, are in the answer as they are.
        assert any(deflated in response.content for deflated in compress._constants.values())


@pytest.mark.django_db
def test_a_streamed_csv_ledger_is_gzipped_and_an_xlsx_is_left_as_it_is(client, world):
    client.force_login(world.office)
    period = f"point={world.point.pk}&start=2026-01-01&end=2026-12-31"
    csv_answer = client.get(f"/ledgers/requests/export.csv?{period}", **GZIP)
    assert csv_answer.status_code == 200 and csv_answer["Content-Encoding"] == "gzip"
    assert gzip.decompress(b"".join(csv_answer.streaming_content)).decode("utf-8-sig").startswith("序号")
    xlsx = client.get(f"/ledgers/requests/export.xlsx?{period}", **GZIP)
    assert xlsx.status_code == 200 and not xlsx.has_header("Content-Encoding")
    assert b"".join(xlsx.streaming_content).startswith(b"PK")  # a zip, as Excel expects
