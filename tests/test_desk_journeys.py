"""The work desk in real Chromium at a phone's width (390 × 844) and a desktop's (1440 × 900):
a deputy triages a new request from 我的待办 to dispatch, a handler signs, returns and replies.
Every page is checked for sideways scrolling and for English in what the browser shows
(after scripts ran: the people pickers and other widgets the server does not render).

The public pages and the request form are checked with axe-core (npm, devDependencies) for
WCAG 2.1 AA: no serious or critical violation; the form is used at 200 % text size.
"""

import html
import os
import re
from pathlib import Path

import pytest

from petitions import services
from petitions.models import Category, Status

from .factories import PetitionFactory
from .test_browser import CHROMIUM, browser, login, open_page, shot  # noqa: F401 — the shared fixture
from .test_chinese import english_words, typed_codes
from .test_files import clean_pdf

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and not os.environ.get("REQUIRE_BROWSER"),
        reason="needs Debian's Chromium (apt-get install chromium-headless-shell fonts-noto-cjk); CI installs it",
    ),
    pytest.mark.django_db(transaction=True),
]

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1440, "height": 900}}


@pytest.fixture(params=list(SIZES))
def screen(request, browser):  # noqa: F811
    phone = request.param == "phone"
    options = {"is_mobile": True, "has_touch": True, "device_scale_factor": 2} if phone else {}
    context, page = open_page(browser, viewport=SIZES[request.param], **options)
    page.size_name = request.param
    yield page
    context.close()
    assert page.csp_violations == []


def check(page, name=None):
    """The page fits the screen's width and shows no English; its screenshot, if asked."""
    page.wait_for_load_state("load")  # (wait_for_function would evaluate a string: the CSP forbids it)
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{page.url} scrolls sideways at {inner} px ({width} px wide)"
    shown = page.evaluate("document.body.innerText")
    words = english_words(f"<p>{html.escape(shown)}</p>", typed_codes())
    assert not words, f"{page.url}: {sorted(words)}"
    if name:
        # On a phone, the first screen: what a deputy sees before scrolling is the point.
        shot(page, f"{name}-{page.size_name}", full_page=page.size_name == "desktop")


def test_deputy_triages_a_new_request_from_the_home_page_to_dispatch(screen, live_server, world):
    from playwright.sync_api import expect

    # Filed last week by another enterprise, in nearly the same words: a possible duplicate.
    earlier = PetitionFactory(
        point=world.point,
        title="园区道路路灯损坏，夜间通行不便",
        content="园区东门道路路灯损坏多日，夜间通行不便，存在安全隐患。",
    )
    # The department answered a request of this category at this organisation before: suggested first.
    answered = PetitionFactory(point=world.point, category=Category.INFRASTRUCTURE)
    services.petition_accept(petition=answered, actor=world.head)
    services.petition_dispatch(petition=answered, actor=world.head, department=world.department)
    services.petition_sign(petition=answered, actor=world.handler)
    services.petition_reply(petition=answered, actor=world.handler, result="已修复。")
    petition = PetitionFactory(
        point=world.point,
        category=Category.INFRASTRUCTURE,
        title="园区路灯损坏夜间通行不便",
        content="园区东门道路路灯坏了，夜间通行不便，请尽快维修。",
    )
    login(screen, live_server, "deputy")
    check(screen)
    screen.click("tr[data-waiting=new] a")
    expect(screen.locator("#result_list")).to_contain_text(petition.title)
    check(screen, "9-desk-list")
    screen.click(f"#result_list a:has-text('{petition.number}')")
    expect(screen.get_by_test_id("summary")).to_contain_text(petition.title)
    expect(screen.get_by_test_id("duplicates")).to_contain_text(earlier.number)
    check(screen, "10-desk-request")

    screen.click("a[data-action=accept]")
    screen.check("#id_urgency input[value=urgent]")
    screen.click("input[type=submit]")
    expect(screen.locator(".messagelist")).to_contain_text("受理：已完成")
    expect(screen.get_by_test_id("urgency")).to_contain_text("紧急")
    screen.click("a[data-action=dispatch]")
    expect(screen.get_by_test_id("cannot-undo")).to_be_visible()
    # The department that answered this kind of request here comes first, marked as suggested.
    first = screen.locator("#id_department option").nth(1)
    expect(first).to_contain_text("建议")
    expect(first).to_contain_text(world.department.name)
    screen.select_option("#id_department", index=1)
    screen.fill("#id_instructions", "请三个工作日内现场查看并答复企业。")
    check(screen, "11-desk-dispatch")
    screen.click("input[type=submit]")
    expect(screen.locator(".messagelist")).to_contain_text("已完成")
    check(screen)
    petition.refresh_from_db()
    assert petition.status == Status.DISPATCHED and petition.department == world.department
    assert petition.urgency == "urgent" and petition.dispatch_instructions.startswith("请三个工作日内")


def test_handler_signs_returns_without_a_404_and_replies(screen, live_server, world):
    from playwright.sync_api import expect

    misrouted = PetitionFactory(point=world.point, title="员工宿舍用水水压不足")
    answered = PetitionFactory(point=world.point, title="货车夜间进出园区通行证办理")
    for petition in (misrouted, answered):
        services.petition_accept(petition=petition, actor=world.deputy)
        services.petition_dispatch(petition=petition, actor=world.deputy, department=world.department)

    login(screen, live_server, "handler")
    screen.click("tr[data-waiting=to_sign] a")
    expect(screen.locator("#result_list")).to_contain_text(misrouted.number)
    check(screen)
    screen.click(f"#result_list a:has-text('{misrouted.number}')")
    screen.click("button[data-action=sign]")
    expect(screen.locator(".messagelist")).to_contain_text("签收：已完成")
    screen.click("a[data-action=return]")
    expect(screen.get_by_test_id("cannot-undo")).to_contain_text("无法再查看")
    screen.fill("#id_reason", "该事项属供水公司职责，请改交供水公司。")
    check(screen, "12-desk-return")
    screen.click("input[type=submit]")
    # Back on the list, with the message, the returned request no longer in it.
    expect(screen.locator(".messagelist")).to_contain_text("已完成")
    assert re.search(r"/admin/petitions/petition/$", screen.url)
    expect(screen.locator("#result_list")).not_to_contain_text(misrouted.number)
    check(screen)

    screen.goto(f"{live_server.url}/admin/petitions/petition/{answered.pk}/change/")
    screen.click("button[data-action=sign]")
    screen.click("a[data-action=reply]")
    screen.fill("#id_result", "已协调交警部门，通行证可在线办理，三个工作日内发放。")
    screen.set_input_files(
        "#id_letters", files=[{"name": "答复函.pdf", "mimeType": "application/pdf", "buffer": clean_pdf()}]
    )
    check(screen, "13-desk-reply")
    screen.click("input[type=submit]")
    expect(screen.locator(".messagelist")).to_contain_text("已完成")
    check(screen)
    misrouted.refresh_from_db()
    answered.refresh_from_db()
    assert misrouted.status == Status.ACCEPTED and misrouted.department is None
    assert answered.status == Status.RESOLVED
    assert [a.original_name for a in answered.attachments.filter(purpose="reply_letter")] == ["答复函.pdf"]


def axe_violations(page) -> list[dict]:
    """Serious and critical WCAG 2.1 A/AA violations on the page, by axe-core."""
    page.evaluate(AXE.read_text(encoding="utf-8"))  # evaluated by the driver: no script tag for the CSP to block
    result = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    return [
        {"rule": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.skipif(
    not AXE.exists() and not os.environ.get("REQUIRE_BROWSER"), reason="needs axe-core from npm (make setup)"
)
def test_public_pages_and_the_request_form_pass_axe(screen, live_server, world):
    petition = PetitionFactory(point=world.point)
    pages = [
        "/",
        f"/p/{world.point.code}/",
        f"/s/{world.point.qr_token}/",
        petition.get_tracking_url(),
        "/track/",
    ]
    found = {}
    for path in pages:
        screen.goto(live_server.url + path)
        found[path] = axe_violations(screen)
    # The form with its errors shown: they must be announced and tied to their fields.
    screen.goto(f"{live_server.url}/s/{world.point.qr_token}/")
    screen.click("button[type=submit]")
    found["form with errors"] = axe_violations(screen)
    offenders = {path: v for path, v in found.items() if v}
    assert offenders == {}, "\n".join(f"{p}: {v}" for p, v in offenders.items())


def test_the_form_errors_are_announced_and_tied_to_their_fields(screen, live_server, world):
    from playwright.sync_api import expect

    screen.goto(f"{live_server.url}/s/{world.point.qr_token}/")
    screen.click("button[type=submit]")
    alert = screen.locator("[role=alert], [aria-live]").first
    expect(alert).to_contain_text("请修改")
    title = screen.locator("#id_title")
    expect(title).to_have_attribute("aria-invalid", "true")
    described = title.get_attribute("aria-describedby") or ""
    assert any(
        screen.locator(f"#{i}").count() and "必填" in screen.locator(f"#{i}").inner_text() for i in described.split()
    )


def test_the_form_is_usable_at_200_percent_text_size(screen, live_server, world):
    from playwright.sync_api import expect

    screen.goto(f"{live_server.url}/s/{world.point.qr_token}/")
    screen.evaluate("document.documentElement.style.fontSize = '200%'")
    width, inner = screen.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner
    screen.select_option("#id_enterprise", label=world.enterprise.name)
    screen.fill("#id_contact_name", "张经理")
    screen.fill("#id_contact_phone", "13912345678")
    screen.select_option("#id_category", "policy")
    screen.fill("#id_title", "技改补贴申报咨询")
    screen.fill("#id_content", "想了解今年技改补贴的申报条件。")
    button = screen.locator("button[type=submit]")
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= inner  # reachable without sideways scrolling
    button.click()
    expect(screen.get_by_test_id("tracking-number")).to_be_visible()


@pytest.fixture
def phone_only(browser):  # noqa: F811
    context, page = open_page(browser, viewport=SIZES["phone"], is_mobile=True, has_touch=True, device_scale_factor=2)
    page.size_name = "phone"
    yield page
    context.close()


def test_every_step_form_and_list_fits_a_phone(phone_only, live_server, world):
    """Each step's page a deputy can open, and every list of the desk with its first record's
    page, at 390 px."""
    from petitions.workflow import allowed_steps

    new = PetitionFactory(point=world.point, title="新诉求")
    accepted = PetitionFactory(point=world.point, title="已受理待交办")
    services.petition_accept(petition=accepted, actor=world.deputy)
    resolved = PetitionFactory(point=world.point, title="已现场办结待确认")
    services.petition_accept(petition=resolved, actor=world.deputy)
    services.petition_resolve_on_site(petition=resolved, actor=world.deputy, result="已现场答复")
    login(phone_only, live_server, "deputy")
    seen = set()
    for petition in (new, accepted, resolved):
        for step in allowed_steps(petition, world.deputy):
            if step.form is not None and step.name not in seen:
                seen.add(step.name)
                phone_only.goto(f"{live_server.url}/admin/petitions/petition/{petition.pk}/do/{step.name}/")
                check(phone_only)
    assert {"reject", "merge", "dispatch", "resolve_on_site", "confirm", "note"} <= seen
    phone_only.goto(f"{live_server.url}/admin/petitions/petition/add/")  # a request taken by phone or on a visit
    check(phone_only)
    for username in ("deputy", "office"):  # office staff reach the most lists
        phone_only.context.clear_cookies()
        login(phone_only, live_server, username)
        lists = phone_only.evaluate(
            "[...document.querySelectorAll('#content-main a')].map(a => a.getAttribute('href'))"
            ".filter(h => /^\\/admin\\/\\w+\\/\\w+\\/$/.test(h))"
        )
        assert "/admin/petitions/petition/" in lists
        for path in lists:
            phone_only.goto(live_server.url + path)
            check(phone_only)
            first = phone_only.locator("#result_list tbody th a").first
            if first.count():  # and a record's own page
                first.click()
                phone_only.wait_for_url(re.compile(r"/change/$"))
                check(phone_only)


def test_the_people_pickers_speak_chinese(phone_only, live_server, world):
    """The handlers' picker is drawn by the admin's script from its translation catalog."""
    from playwright.sync_api import expect

    login(phone_only, live_server, "office")
    phone_only.goto(f"{live_server.url}/admin/petitions/department/{world.department.pk}/change/")
    expect(phone_only.locator("#id_handlers_add_all")).to_be_visible()  # drawn by the script
    expect(phone_only.locator("#id_handlers_add_all")).to_have_text("全选")
    check(phone_only)
