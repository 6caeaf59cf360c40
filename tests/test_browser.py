"""Journeys in real Chromium (Debian's package, driven by Playwright) against a live server.

Run by ``make test`` when Debian's Chromium is present, and always in CI (which installs it): its
headless shell (package chromium-headless-shell, the same engine without the desktop browser
around it: a third less CPU per journey) if installed, else the full ``chromium``; ``CHROMIUM``
names another executable.
With UPDATE_SCREENSHOTS=1 the journeys also refresh the README's screenshots in docs/.
"""

import datetime as dt
import io
import json
import os
import re
import shutil
import unicodedata
from pathlib import Path

import pytest
from PIL import Image

from liaison.core import notifications
from petitions import services
from petitions.models import Petition, Status

from .factories import PetitionFactory
from .test_files import clean_pdf

CHROMIUM = (
    os.environ.get("CHROMIUM")
    or shutil.which("chromium-headless-shell")
    or shutil.which("chromium")
    or "/usr/bin/chromium-headless-shell"
)
SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM) and not os.environ.get("REQUIRE_BROWSER"),
        reason="needs Debian's Chromium (apt-get install chromium-headless-shell fonts-noto-cjk); CI installs it",
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between browser steps are ordinary synchronous ones.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def open_page(browser, **options):
    """A page that records what the Content-Security-Policy blocked; the test fails on any."""
    context = browser.new_context(locale="zh-CN", **options)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.csp_violations = []
    page.on(
        "console",
        lambda m: "Content Security Policy" in m.text and page.csp_violations.append(m.text),
    )
    return context, page


@pytest.fixture
def phone(browser):
    context, page = open_page(
        browser, viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    yield page
    context.close()
    assert page.csp_violations == []


@pytest.fixture
def desktop(browser):
    context, page = open_page(browser, viewport={"width": 1366, "height": 900})
    yield page
    context.close()
    assert page.csp_violations == []


def shot(page, name, full_page=True):
    if os.environ.get("UPDATE_SCREENSHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def photo(tmp_path, size=(800, 600)) -> Path:
    path = tmp_path / "现场照片.jpg"
    Image.new("RGB", size, (180, 40, 40)).save(path, "JPEG")
    return path


# Radicals of the CJK Radicals Supplement that NFKC leaves alone (⻓ → 长, ⻋ → 车…).
RADICALS = str.maketrans(
    {
        "\u2ed3": "长",
        "\u2ee2": "马",
        "\u2ecb": "车",
        "\u2ee3": "骨",
        "\u2ed8": "青",
        "\u2ec5": "见",
        "\u2ed4": "门",
        "\u2edc": "飞",
        "\u2edb": "风",
        "\u2ee9": "黄",
        "\u2edd": "食",
        "\u2eda": "页",
    }
)


def plain(text: str) -> str:
    """PDF text without spaces, with the radical forms PDF extraction yields folded (⼈ → 人)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).translate(RADICALS)


def login(page, live_server, username):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests-1")
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))


def test_enterprise_files_a_request_from_the_qr_code_on_a_phone(phone, live_server, world, settings, tmp_path):
    from playwright.sync_api import expect

    from .test_points import decode_qr

    settings.PUBLIC_BASE_URL = live_server.url
    png = phone.request.get(f"{live_server.url}/p/{world.point.code}/qr.png").body()
    url = decode_qr(png)
    assert url == f"{live_server.url}/s/{world.point.qr_token}/"

    phone.goto(url)
    expect(phone.locator("h1")).to_have_text("我要反映诉求")
    phone.select_option("#id_enterprise", label=world.enterprise.name)
    phone.fill("#id_contact_name", "张经理")
    phone.fill("#id_contact_phone", "139 1234 5678")
    phone.select_option("#id_category", "transport")
    phone.fill("#id_title", "园区早晚高峰通勤班车不足")
    phone.fill("#id_content", "早上七点半到八点半之间班车太少，员工经常迟到，希望增开班次。")
    phone.set_input_files("#id_attachments", str(photo(tmp_path)))
    shot(phone, "1-phone-submission")
    phone.click("button[type=submit]")

    number = phone.get_by_test_id("tracking-number")
    expect(number).to_have_text(re.compile(r"^BYD-\d{4}-\d{5}$"))
    shot(phone, "2-phone-tracking")
    petition = Petition.objects.get()
    assert petition.attachments.count() == 1 and petition.contact_phone == "13912345678"

    link = phone.get_by_test_id("secret-link").get_attribute("href")
    phone.goto(link)
    expect(phone.get_by_test_id("status")).to_have_text("已提交")
    expect(phone.locator(".timeline")).to_contain_text("已收到")


def sms_lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def test_the_enterprise_files_gets_the_sms_opens_its_link_and_rates(phone, live_server, world, settings, tmp_path):
    """The whole loop on a phone: the SMS come from the embedded backend's file, as in the demo."""
    from playwright.sync_api import expect

    settings.PUBLIC_BASE_URL = live_server.url
    settings.SMS_BACKEND = "liaison.core.sms.FileSmsBackend"
    settings.SMS_FILE = tmp_path / "sms.log"
    phone.goto(world.point.qr_url)
    phone.select_option("#id_enterprise", label=world.enterprise.name)
    phone.fill("#id_contact_name", "张经理")
    phone.fill("#id_contact_phone", "13912345678")
    phone.select_option("#id_category", "labour")
    phone.fill("#id_title", "技能人才培训补贴申领")
    phone.fill("#id_content", "想了解技能人才培训补贴如何申领。")
    phone.click("button[type=submit]")
    expect(phone.get_by_test_id("tracking-number")).to_be_visible()
    petition = Petition.objects.get()

    notifications.deliver_due()
    (receipt,) = [m for m in sms_lines(settings.SMS_FILE) if m["to"] == "13912345678"]
    assert petition.number in receipt["text"] and "已收到" in receipt["text"]
    link = re.search(r"https?://\S+", receipt["text"]).group()
    assert link == live_server.url + petition.get_tracking_url()

    services.petition_accept(petition=petition, actor=world.deputy)
    services.petition_resolve_on_site(petition=petition, actor=world.deputy, result="已现场讲解申领流程。")
    notifications.deliver_due()
    texts = [m["text"] for m in sms_lines(settings.SMS_FILE) if m["to"] == "13912345678"]
    assert len(texts) == 3 and "已受理" in texts[1] and "请查看答复并评价" in texts[2] and link in texts[2]

    context = phone.context.browser.new_context(locale="zh-CN")  # opened later, from the message
    later = context.new_page()
    later.goto(re.search(r"https?://\S+", texts[2]).group())
    expect(later.locator(".timeline")).to_contain_text("已答复")
    later.check("input[name=satisfaction][value=satisfied]")
    later.click("text=提交评价")
    expect(later.locator(".alert-success")).to_contain_text("感谢您的评价")
    context.close()
    notifications.deliver_due()
    texts = [m["text"] for m in sms_lines(settings.SMS_FILE) if m["to"] == "13912345678"]
    assert len(texts) == 4 and "已办结关闭" in texts[3]
    petition.refresh_from_db()
    assert petition.status == Status.CLOSED and petition.satisfaction == "satisfied"


def test_deputy_accepts_and_dispatches_in_the_admin(desktop, live_server, world):
    from playwright.sync_api import expect

    petition = PetitionFactory(point=world.point, title="厂区道路破损影响货车通行")
    login(desktop, live_server, "deputy")
    desktop.goto(f"{live_server.url}/admin/petitions/petition/")
    desktop.fill("#searchbar", petition.number)
    desktop.press("#searchbar", "Enter")
    desktop.click(f"text={petition.number}")
    desktop.click("a[data-action=accept]")
    desktop.get_by_label("紧急", exact=True).check()  # urgency is set as it is accepted
    desktop.click("input[type=submit]")
    expect(desktop.locator(".messagelist")).to_contain_text("受理：已完成")
    shot(desktop, "3-admin-triage")
    desktop.click("a[data-action=dispatch]")
    desktop.select_option("#id_department", label=world.department.name)
    desktop.fill("#id_instructions", "请三日内到厂区现场查看")
    desktop.click("input[type=submit]")
    expect(desktop.locator(".messagelist")).to_contain_text("已完成")
    petition.refresh_from_db()
    assert petition.status == Status.DISPATCHED and petition.department == world.department
    assert petition.urgency == "urgent" and petition.dispatch_instructions == "请三日内到厂区现场查看"


def test_department_signs_and_replies_deputy_confirms_enterprise_rates(desktop, phone, live_server, world):
    from playwright.sync_api import expect

    petition = PetitionFactory(point=world.point, title="员工子女就近入学咨询")
    services.petition_accept(petition=petition, actor=world.deputy)
    services.petition_dispatch(petition=petition, actor=world.deputy, department=world.department)

    login(desktop, live_server, "handler")
    desktop.goto(f"{live_server.url}/admin/petitions/petition/{petition.pk}/change/")
    expect(desktop.get_by_test_id("contact-phone")).to_have_text("138****1234")
    desktop.click("button[data-action=sign]")
    desktop.click("a[data-action=reply]")
    desktop.fill("#id_result", "已协调就近学校接收，手续已办结。")
    desktop.set_input_files(
        "#id_letters", files=[{"name": "答复函.pdf", "mimeType": "application/pdf", "buffer": clean_pdf()}]
    )
    desktop.click("input[type=submit]")
    expect(desktop.locator(".messagelist")).to_contain_text("已完成")
    assert petition.attachments.get().purpose == "reply_letter"

    desktop.context.clear_cookies()
    login(desktop, live_server, "deputy")
    desktop.goto(f"{live_server.url}/admin/petitions/petition/{petition.pk}/do/confirm/")
    desktop.click("input[type=submit]")
    expect(desktop.locator(".messagelist")).to_contain_text("已完成")

    phone.goto(live_server.url + petition.get_tracking_url())
    expect(phone.get_by_test_id("status")).to_have_text("已关闭")
    phone.check("input[name=satisfaction][value=satisfied]")
    phone.fill("#id_comment", "办理及时，非常满意")
    phone.click("text=提交评价")
    expect(phone.locator(".alert-success")).to_contain_text("感谢您的评价")
    petition.refresh_from_db()
    assert petition.satisfaction == "satisfied" and petition.status == Status.CLOSED


def test_office_prints_the_request_ledger_to_pdf(desktop, live_server, world):
    from pypdf import PdfReader

    petitions = [PetitionFactory(point=world.point, title=f"诉求事项{n}") for n in range(40)]
    services.petition_accept(petition=petitions[0], actor=world.deputy)
    services.petition_resolve_on_site(petition=petitions[0], actor=world.deputy, result="现场答复")
    login(desktop, live_server, "office")
    desktop.goto(f"{live_server.url}/ledgers/requests/?point={world.point.pk}&start=2000-01-01&end=2100-01-01")
    shot(desktop, "4-ledger-print-view")
    pdf = desktop.pdf(prefer_css_page_size=True, print_background=True)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    first = reader.pages[0]
    assert float(first.mediabox.width) > float(first.mediabox.height)  # A4 landscape
    pages = [plain(page.extract_text()) for page in reader.pages]
    text = "".join(pages)
    assert "企业诉求台账" in text and world.point.name in text
    for petition in (petitions[0], petitions[-1]):
        assert petition.number in text
    assert "受理编号" in pages[1]  # the header repeats on page 2
    assert "第1" in pages[0] and f"共{len(pages)}" in pages[0] and "第2" in pages[1]
    assert "制表人" in text
    assert "工作人员登录" not in text and "退出登录" not in text  # none of the site's chrome


def test_display_screen_renders_and_refreshes(desktop, live_server, world):
    from playwright.sync_api import expect

    petition = PetitionFactory(point=world.point, title="充电桩用电增容")
    services.petition_accept(petition=petition, actor=world.deputy)
    services.petition_resolve_on_site(
        petition=petition, actor=world.deputy, result="已协调供电公司", public_summary="某企业充电桩用电增容已协调解决"
    )
    desktop.set_viewport_size({"width": 1920, "height": 1080})
    desktop.goto(f"{live_server.url}/p/{world.point.code}/screen/?refresh=2")
    expect(desktop.locator(".screen-head h1")).to_have_text(world.point.name)
    expect(desktop.locator(".screen-resolved")).to_contain_text("某企业充电桩用电增容已协调解决")
    expect(desktop.locator("#screen-clock")).not_to_be_empty()
    expect(desktop.locator("#screen-panel")).to_have_attribute("data-refreshed", re.compile(r"^\d{4}-"), timeout=10000)
    expect(desktop.locator(".screen-figures")).to_be_visible()
    shot(desktop, "5-display-screen", full_page=False)


def test_statistics_page(desktop, live_server, world):
    import datetime as dt
    import random
    from zoneinfo import ZoneInfo

    from playwright.sync_api import expect

    from petitions.models import Petition

    from .test_rollups import random_history

    # A year of requests at both points, walked through the workflow at random; the office sees its own.
    random_history(world, random.Random(5), 60)
    for category in ("transport", "transport", "policy", "labour"):
        PetitionFactory(
            point=world.point, category=category, now=dt.datetime(2026, 11, 20, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
        )
    mine = Petition.objects.filter(point=world.point).count()
    login(desktop, live_server, "office")
    desktop.goto(f"{live_server.url}/statistics/?start=2026-01-01&end=2026-12-31")
    expect(desktop.get_by_test_id("received")).to_have_text(str(mine))
    expect(desktop.locator("svg.bars").first).to_be_visible()
    expect(desktop.get_by_test_id("trend-counts")).to_be_visible()
    shot(desktop, "6-statistics")
    text, size = _pdf_text(desktop)
    assert size == [595, 842]  # A4 (landscape), in points
    for heading in (
        "统计",
        "诉求月度趋势",
        "承办单位考核排名",
        "活动点考核排名",
        "名次",
        "按时签收率",
        "满意率",
        world.point.name,
    ):
        assert heading in text, heading
    assert "工作人员登录" not in text and "查看" not in text  # no site chrome, no form buttons


def test_office_prints_the_suggestion_ledger_to_pdf(desktop, live_server, world):
    import datetime as dt

    from deputies.models import Suggestion

    Suggestion.objects.create(point=world.point, title="关于加快充储泊配设施建设的建议", filed_on=dt.date(2026, 6, 1))
    login(desktop, live_server, "office")
    desktop.goto(f"{live_server.url}/ledgers/suggestions/?point={world.point.pk}&start=2026-01-01&end=2026-12-31")
    text, size = _pdf_text(desktop)
    assert size == [595, 842]
    for heading in (
        "建议台账",
        "序号",
        "提交日期",
        "领衔及附议代表",
        "承办单位",
        "答复日期",
        "关于加快充储泊配设施建设的建议",
    ):
        assert heading in text, heading


def test_bad_input_shows_chinese_errors_and_keeps_what_was_typed(phone, live_server, world, settings, tmp_path):
    from playwright.sync_api import expect

    settings.PETITION_MAX_ATTACHMENT_BYTES = 50 * 1024
    phone.goto(f"{live_server.url}/s/{world.point.qr_token}/")
    phone.click("button[type=submit]")
    expect(phone.locator(".alert-danger")).to_contain_text("请修改标出的内容")
    expect(phone.locator("#id_title")).to_have_class(re.compile("is-invalid"))
    assert Petition.objects.count() == 0

    phone.select_option("#id_enterprise", label=world.enterprise.name)
    phone.fill("#id_contact_name", "张经理")
    phone.fill("#id_contact_phone", "13912345678")
    phone.select_option("#id_category", "policy")
    phone.fill("#id_title", "技改补贴申报咨询")
    phone.fill("#id_content", "想了解今年技改补贴的申报条件。")
    big = tmp_path / "大照片.png"
    Image.frombytes("RGB", (400, 400), os.urandom(400 * 400 * 3)).save(big, "PNG")
    phone.set_input_files("#id_attachments", str(big))
    phone.click("button[type=submit]")
    expect(phone.locator("body")).to_contain_text("大于 50.0 KB")
    expect(phone.locator("#id_title")).to_have_value("技改补贴申报咨询")
    expect(phone.locator("#id_contact_name")).to_have_value("张经理")
    assert Petition.objects.count() == 0


def test_api_docs_work_under_the_content_security_policy(desktop, live_server, world):
    from playwright.sync_api import expect

    desktop.goto(f"{live_server.url}/api/v1/docs/")
    expect(desktop.locator(".swagger-ui .opblock").first).to_be_visible()
    expect(desktop.locator(".swagger-ui")).to_contain_text("/api/v1/public/requests/")


def _pdf_text(page):
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True, print_background=True)))
    box = reader.pages[0].mediabox
    size = sorted((round(float(box.width)), round(float(box.height))))
    return "".join(plain(p.extract_text()) for p in reader.pages), size


def test_head_prints_the_sign_in_sheet_the_record_and_the_performance_record(desktop, live_server, world):
    import datetime as dt
    from zoneinfo import ZoneInfo

    from deputies import services as deputies
    from deputies.models import ReceptionDay
    from scoring.services import score_sync

    deputies.reception_days_generate(today=dt.date(2026, 12, 1), months=1)
    day = ReceptionDay.objects.get(point=world.point)
    login(desktop, live_server, "head")
    desktop.goto(f"{live_server.url}/admin/deputies/receptionday/{day.pk}/print/")
    text, size = _pdf_text(desktop)
    assert size == [595, 842]  # A4 portrait, in points
    for heading in ("签到表", "序号", "姓名", "签到时间", "签名", world.head.person.name):
        assert heading in text, heading
    shot(desktop, "6-sign-in-sheet")
    noon = dt.datetime(2026, 12, 15, 12, tzinfo=ZoneInfo("Asia/Shanghai"))
    deputies.reception_day_sign_in(day=day, actor=world.head, now=noon.replace(hour=9))
    deputies.reception_day_hold(day=day, actor=world.head, summary="企业反映用工问题", now=noon)
    desktop.goto(f"{live_server.url}/admin/deputies/receptionday/{day.pk}/print/")
    text, size = _pdf_text(desktop)
    assert size == [595, 842] and "接待记录" in text and "企业反映用工问题" in text
    score_sync()
    desktop.goto(f"{live_server.url}/scores/person/{world.head.person.pk}/?period=year&date=2026-12-20")
    text, size = _pdf_text(desktop)
    assert size == [595, 842]  # A4 (landscape or not, the same sheet)
    for heading in ("履职档案", "履职概况", "积分构成", "积分明细", "接待日到岗"):
        assert heading in text, heading
    shot(desktop, "7-performance-record")


def pdf_pages(page):
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True, print_background=True)))
    return reader.pages


def mm(points: float) -> int:
    return round(float(points) * 25.4 / 72)


@pytest.fixture
def chain_world(world):
    """The world's chain drawn as the demo draws it: segments, anchors, relations, requests."""
    from points.models import ChainSegment, EnterpriseRelation

    from .factories import EnterpriseFactory

    chain = world.point.chain
    segments = {
        name: ChainSegment.objects.create(chain=chain, name=name, order=n)
        for n, name in enumerate(["整车", "动力电池", "电驱/传动", "控制器", "零部件", "充储泊配"])
    }
    byd = EnterpriseFactory(name="比亚迪汽车璧山园区", segment=segments["整车"], chain_role="leader")
    qingshan = EnterpriseFactory(
        name="青山工业传动系统有限公司", segment=segments["电驱/传动"], chain_role="sub_leader"
    )
    world.point.host_enterprise = byd
    world.point.save()
    world.enterprise.segment = segments["控制器"]
    world.enterprise.chain_role = "backbone"
    world.enterprise.save()
    for n in range(12):
        segment = list(segments.values())[1 + n % 5]
        supplier = EnterpriseFactory(name=f"璧山配套企业{n}有限公司", segment=segment)
        EnterpriseRelation.objects.create(source=byd, target=supplier, kind="supply")
        if n % 2:
            EnterpriseRelation.objects.create(source=qingshan, target=supplier, kind="partner")
    for category in ("transport", "policy", "labour"):
        PetitionFactory(point=world.point, enterprise=world.enterprise, category=category)
    return chain


def test_chain_page_on_a_phone_and_on_a4(phone, live_server, chain_world):
    from playwright.sync_api import expect

    phone.goto(f"{live_server.url}/chains/{chain_world.code}/")
    expect(phone.get_by_test_id("chain-title")).to_have_text(chain_world.name)
    expect(phone.get_by_test_id("chain-received")).to_have_text("3")
    # Six segments, and the other point (no host enterprise) under "segment not recorded".
    expect(phone.get_by_test_id("segment")).to_have_count(7)
    expect(phone.get_by_test_id("chain-networks")).to_contain_text("带动配套企业 12 家")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # no sideways scrolling on a phone
    shot(phone, "7-phone-chain")
    pages = pdf_pages(phone)
    first = pages[0]
    assert (mm(first.mediabox.width), mm(first.mediabox.height)) == (210, 297)  # A4 portrait
    text = "".join(plain(p.extract_text()) for p in pages)
    assert "整车" in text and "充储泊配" in text and "工作人员登录" not in text


def test_seat_cards_print_one_a4_landscape_card_per_person(desktop, live_server, world):
    from deputies.models import DutyAssignment, Person, ReceptionDay

    day = ReceptionDay.objects.create(point=world.point, month=dt.date(2026, 12, 1), date=dt.date(2026, 12, 15))
    people = list(Person.objects.filter(stations__point=world.point))
    for person in people:
        DutyAssignment.objects.create(reception_day=day, person=person)
    login(desktop, live_server, "office")
    desktop.goto(f"{live_server.url}/p/{world.point.code}/reception-days/{day.pk}/seat-cards/")
    assert desktop.title() == f"{world.point.name} · 接待座位牌 2026-12-15"
    shot(desktop, "8-seat-cards-print", full_page=False)
    pages = pdf_pages(desktop)
    assert len(pages) == len(people) == 3
    for page, name in zip(pages, ["陈立群", "吴敏", "李晓梅"], strict=True):
        assert (mm(page.mediabox.width), mm(page.mediabox.height)) == (297, 210)  # A4 landscape
        text = plain(page.extract_text())
        assert name in text and world.point.name in text
    assert "点长" in plain(pages[0].extract_text())
    assert "打印" not in "".join(plain(p.extract_text()) for p in pages)  # the toolbar stays on screen


def test_outdoor_sign_prints_on_one_a3_page(desktop, live_server, world):
    desktop.goto(f"{live_server.url}/p/{world.point.code}/sign/")
    assert desktop.title() == f"{world.point.name} · 标识牌"
    pages = pdf_pages(desktop)
    assert len(pages) == 1
    assert (mm(pages[0].mediabox.width), mm(pages[0].mediabox.height)) == (297, 420)  # A3 portrait
    text = plain(pages[0].extract_text())
    assert "人大代表活动点" in text and world.point.name in text and "码上说马上办" in text and "下次接待日" in text


def test_wall_posters_print_as_four_a4_sheets(desktop, live_server, world):
    world.point.rules = "一、每月接待日代表轮流值守。"
    world.point.reception_process = "1. 扫码登记\n2. 代表受理"
    world.point.save()
    desktop.goto(f"{live_server.url}/p/{world.point.code}/wall/")
    assert desktop.title() == f"{world.point.name} · 公示上墙"
    pages = pdf_pages(desktop)
    assert len(pages) == 4
    for page in pages:
        assert (mm(page.mediabox.width), mm(page.mediabox.height)) == (210, 297)
    texts = [plain(p.extract_text()) for p in pages]
    assert "值守人员" in texts[0] and "陈立群" in texts[0] and "照片" in texts[0] and "身份" in texts[0]
    assert "接待流程" in texts[1] and "扫码登记" in texts[1]
    assert "工作制度" in texts[2] and "轮流值守" in texts[2]
    assert "码上说马上办" in texts[3]


def test_display_screen_rotates_to_the_chain_panel(desktop, live_server, chain_world, world):
    from playwright.sync_api import expect

    desktop.set_viewport_size({"width": 1920, "height": 1080})
    desktop.goto(f"{live_server.url}/p/{world.point.code}/screen/?rotate=2")
    expect(desktop.locator("#screen-panel")).to_have_attribute("data-view", "point")
    expect(desktop.locator(".screen-chain")).to_be_hidden()
    expect(desktop.locator("#screen-panel")).to_have_attribute("data-view", "chain", timeout=6000)
    expect(desktop.locator(".screen-chain")).to_be_visible()
    expect(desktop.locator(".screen-chain")).to_contain_text("充储泊配")
    expect(desktop.locator(".screen-figures")).to_be_hidden()
