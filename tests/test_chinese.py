"""Chinese throughout: every work-desk page and every public page, rendered in zh-hans for each
role, shows no English word and no raw code in its visible text (tags, scripts and styles
stripped; placeholders, titles, labels for screen readers, button values and option texts kept).

Proper nouns, codes and units are allowed by name in ``ALLOWED``; anything that looks like a
code (has a digit, a hyphen or an underscore, an address or an e-mail) is not a word.
"""

import io
import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from deputies.models import Person, ReceptionDay
from liaison.core.ledger import REGISTRY
from petitions.models import Petition
from points.models import IndustryChain, LiaisonPoint

from .factories import PetitionFactory

# Names, units and formats people read as they are.
ALLOWED = {
    "PDF", "QR", "API", "CSV", "PNG", "SVG", "JPEG", "JPG", "GIF", "WEBP", "XLSX", "Excel", "A4", "A3",
    "MB", "KB", "SMS", "OpenAPI", "Swagger", "ReDoc", "URL", "HTTPS", "HTTP", "ID", "App", "WeCom",
    "DingTalk", "HMAC", "SHA", "whsec", "SEC", "CSS", "JSON", "Webhook", "TV", "Markdown", "LDAP",
    "English",  # the language switch names each language in itself
    "Control", "Command", "Mac",  # keys, as Django's own Chinese text names them
    "Gone",  # the HTTP status "410 Gone", as platforms answer it
}  # fmt: skip
WORD = re.compile(r"[A-Za-z]{2,}")
# Codes, addresses and numbers as they are typed: not words to translate.
CODE = re.compile(
    r"https?://\S+|[\w.+-]+@[\w-]+\.[\w.-]+"  # addresses
    r"|/[\w/.?=&-]*|[?&]\w+="  # paths and their parameters
    r"|[\w*]+(?:[-:][\w*]+)+"  # tracking numbers, header names, message keys
    r"|\b\w*\d\w*\b"  # anything with a digit (raw codes such as new_request are words here)
)
VISIBLE_ATTRIBUTES = {"placeholder", "title", "aria-label", "alt"}
HIDDEN_ELEMENTS = {"script", "style", "svg", "template", "noscript"}
DATA_ELEMENTS = {"bdi"}  # values isolated as data (a password hash's algorithm and salt)


class VisibleText(HTMLParser):
    """The text a person sees or hears on a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.hidden = [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in HIDDEN_ELEMENTS or tag in DATA_ELEMENTS:
            self.hidden += 1
            return
        self.parts += [attrs[a] for a in VISIBLE_ATTRIBUTES if attrs.get(a)]
        if tag == "input" and attrs.get("type") in ("submit", "button", "reset") and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if (tag in HIDDEN_ELEMENTS or tag in DATA_ELEMENTS) and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def english_words(html: str, data=frozenset()) -> set[str]:
    """Latin words in the visible text of ``html``, but for the allowed names and ``data``
    (what people typed as codes: user names, point codes)."""
    parser = VisibleText()
    parser.feed(html)
    text = " ".join(parser.parts)
    if data:
        codes = "|".join(re.escape(d) for d in sorted(data, key=len, reverse=True))
        text = re.sub(rf"(?<![\w-])(?:{codes})(?![\w-])", " ", text, flags=re.IGNORECASE | re.ASCII)
    text = CODE.sub(" ", text)
    words = {w for w in WORD.findall(text) if w not in ALLOWED and w.upper() not in ALLOWED}
    return words | ({"---------"} if "---------" in text else set())  # Django's empty choice


def test_the_walk_catches_english_and_raw_codes_and_ignores_codes():
    assert english_words("<p>Choose all</p>") == {"Choose", "all"}
    assert english_words('<option value="x">new_request</option><td>accepted_on_time</td>') == {
        "new", "request", "accepted", "on", "time"
    }  # fmt: skip
    assert english_words("<td>office</td>", data={"office"}) == set()
    assert english_words("<select><option>---------</option></select>") == {"---------"}
    assert english_words('<input placeholder="Search"><a title="Close">x</a>') == {"Search", "Close"}
    assert english_words("<script>var a = 'English';</script><style>p{}</style>PDF · BYD-2026-00001") == set()


# Pages whose content is data the user typed (logs of outgoing messages and raw payloads), not
# interface text, are still walked; their field values are data and may be anything.
SKIP_MODELS = set()


def admin_urls(client, user, fetched: dict) -> list[str]:
    """The home page, every registered model's list and add page, and a change page of each
    list's first row; the request steps' pages for a request in each state. The lists read
    here are kept in ``fetched`` for the walk."""
    urls = [reverse("admin:index")]
    for model, _model_admin in admin.site._registry.items():
        opts = model._meta
        if (opts.app_label, opts.model_name) in SKIP_MODELS:
            continue
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        urls.append(changelist)
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        page = fetched[changelist] = client.get(changelist, HTTP_ACCEPT_LANGUAGE="zh-hans")
        if page.status_code == 200:
            match = re.search(rf'href="({re.escape(changelist)}(\d+)/change/)', page.content.decode())
            if match:
                urls.append(match.group(1))
    return urls


def public_urls() -> list[str]:
    point = LiaisonPoint.objects.filter(active=True).first()
    petition = Petition.objects.filter(point=point).order_by("-submitted_at").first()
    chain = IndustryChain.objects.first()
    day = ReceptionDay.objects.filter(point=point).first()
    urls = [
        reverse("home"),
        reverse("points:detail", args=[point.code]),
        reverse("points:poster", args=[point.code]),
        reverse("points:screen", args=[point.code]),
        reverse("points:sign", args=[point.code]),
        reverse("points:wall", args=[point.code]),
        reverse("points:chain", args=[chain.code]),
        reverse("petitions:submit", args=[point.qr_token]),
        petition.get_tracking_url(),
        reverse("recover"),
        reverse("login"),
        reverse("password_reset"),
        reverse("password_reset_sms"),
        reverse("admin:login"),
    ]
    if day:
        urls.append(reverse("points:seat_cards", args=[point.code, day.pk]))
    return urls


def staff_report_urls() -> list[str]:
    """Ledgers (each print view), statistics, the leaderboard and a performance record."""
    urls = [reverse("ledgers:index"), reverse("statistics"), reverse("scoring:board")]
    urls += [reverse("ledgers:print", args=[slug]) for slug in REGISTRY]
    person = Person.objects.filter(user__isnull=False).first()
    urls.append(reverse("scoring:record", args=[person.pk]))
    return urls


def step_urls(user) -> list[str]:
    """The page of every step this user may take, on a request in a state that allows it."""
    from petitions.workflow import allowed_steps

    urls, seen = [], set()
    for petition in Petition.objects.visible_to(user).order_by("status", "-pk"):
        for step in allowed_steps(petition, user):
            if step.name not in seen:
                seen.add(step.name)
                urls.append(reverse("admin:petitions_petition_transition", args=[petition.pk, step.name]))
    return urls


ROLES = ["admin", "office", "head_byd", "deputy_li", "grid_wu", "handler_fg"]


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("load_demo", stdout=io.StringIO())
    # Requests waiting at each of the first steps, so that every step's page is walked.
    from django.contrib.auth import get_user_model

    from petitions import services

    point = LiaisonPoint.objects.get(code="byd-bishan")
    head = get_user_model().objects.get(username="head_byd")
    PetitionFactory(point=point, title="厂区路灯损坏")
    accepted = PetitionFactory(point=point, title="园区道路积水")
    services.petition_accept(petition=accepted, actor=head)
    resolved = PetitionFactory(point=point, title="用工招聘对接")
    services.petition_accept(petition=resolved, actor=head)
    services.petition_resolve_on_site(petition=resolved, actor=head, result="已现场对接")


def typed_codes() -> set[str]:
    """Codes people chose and read as they are: user names, point, chain and platform codes."""
    from django.contrib.auth import get_user_model

    from petitions.models import ExternalPlatform

    return {
        *get_user_model().objects.values_list("username", flat=True),
        *LiaisonPoint.objects.values_list("code", flat=True),
        *IndustryChain.objects.values_list("code", flat=True),
        *ExternalPlatform.objects.values_list("slug", flat=True),
    }


def walk(client, urls, fetched=None) -> dict[str, set[str]]:
    found, data, fetched = {}, typed_codes(), fetched or {}
    for url in urls:
        response = fetched.pop(url, None) or client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        if response.status_code in (302, 403, 404) or response.get("Content-Type", "").split(";")[0] != "text/html":
            continue
        assert response.status_code == 200, (url, response.status_code)
        words = english_words(response.content.decode(), data)
        if words:
            found[url] = words
    return found


def test_every_page_is_chinese_for_every_role(client, demo, django_user_model):
    report = {}
    with translation.override("zh-hans"):
        report["public"] = walk(client, public_urls())
        for username in ROLES:
            user = django_user_model.objects.get(username=username)
            client.force_login(user)
            fetched = {}
            urls = admin_urls(client, user, fetched) + staff_report_urls() + step_urls(user)
            report[username] = walk(client, urls, fetched)
            client.logout()
    offenders = {role: pages for role, pages in report.items() if pages}
    assert offenders == {}, "\n".join(
        f"{role} {url}: {' '.join(sorted(words))}" for role, pages in offenders.items() for url, words in pages.items()
    )


def test_the_admins_script_catalog_is_chinese(client, world):
    """The people pickers and "Choose all" come from the admin's script catalog."""
    client.force_login(world.office)
    catalog = client.get(reverse("admin:jsi18n"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '"Choose all": "\\u5168\\u9009"' in catalog  # 全选, as the catalog's JSON writes it
    # Django 5.2's picker buttons name the field; its own Chinese catalog lacks them (ours has).
    assert '"Choose all %s": "\\u5168\\u9009"' in catalog
