import datetime as dt
import io

import pytest
import zxingcpp
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from deputies.models import Person
from petitions import services
from points.models import LiaisonPoint
from points.services import point_rotate_qr
from points.validators import make_uscc, validate_uscc

from .factories import PersonFactory, PetitionFactory, StationFactory


def decode_qr(png: bytes) -> str:
    """The text of the QR code in a PNG, read by zxing-cpp ("" if none is found)."""
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)), formats=zxingcpp.BarcodeFormat.QRCode)
    return results[0].text if results else ""


class TestCreditCode:
    def test_valid_codes_pass(self):
        validate_uscc("91350100M000100Y43")  # a published sample code
        validate_uscc(make_uscc(7))

    @pytest.mark.parametrize(
        "code,message",
        [
            ("91350100M000100Y44", "校验位不正确"),
            ("91350100M000100Y4", "应为 18 位"),
            ("9135010OM000100Y43", "不能包含 O"),
            ("91AB0100M000100Y43", "行政区划码"),
        ],
    )
    def test_wrong_codes_are_refused_in_chinese(self, code, message):
        with pytest.raises(ValidationError) as info:
            validate_uscc(code)
        assert message in " ".join(info.value.messages)


@pytest.mark.django_db
class TestQr:
    def test_png_decodes_to_the_points_submission_address(self, client, world, settings):
        settings.PUBLIC_BASE_URL = "https://liaison.example.cn"
        response = client.get(f"/p/{world.point.code}/qr.png")
        assert response["Content-Type"] == "image/png"
        url = decode_qr(response.content)
        assert url == f"https://liaison.example.cn/s/{world.point.qr_token}/"
        assert client.get(url.removeprefix("https://liaison.example.cn")).status_code == 200

    def test_svg_and_poster(self, client, world):
        svg = client.get(f"/p/{world.point.code}/qr.svg")
        assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
        poster = client.get(f"/p/{world.point.code}/poster/").content.decode()
        assert world.point.name in poster and "码上说 马上办" in poster and "<svg" in poster

    def test_rotation_replaces_the_code_and_the_old_one_says_so(self, client, world):
        old = world.point.qr_token
        point = point_rotate_qr(point=world.point)
        assert point.qr_token != old and point.qr_rotated_at
        replaced = client.get(f"/s/{old}/")
        assert replaced.status_code == 410 and "该二维码已更换" in replaced.content.decode()
        assert client.get(f"/s/{point.qr_token}/").status_code == 200
        url = decode_qr(client.get(f"/p/{point.code}/qr.png").content)
        assert url.endswith(f"/s/{point.qr_token}/")

    def test_rotation_from_the_admin_asks_first(self, client, world):
        client.force_login(world.office)
        old = world.point.qr_token
        ask = client.post("/admin/points/liaisonpoint/", {"action": "rotate_qr", "_selected_action": [world.point.pk]})
        assert (
            ask.status_code == 200 and "确定更换" in ask.content.decode() and world.point.name in ask.content.decode()
        )
        world.point.refresh_from_db()
        assert world.point.qr_token == old  # nothing replaced until confirmed
        client.post(
            "/admin/points/liaisonpoint/",
            {"action": "rotate_qr", "_selected_action": [world.point.pk], "confirm": "yes"},
        )
        world.point.refresh_from_db()
        assert world.point.qr_token != old

    def test_inactive_point_has_no_qr(self, client, world):
        LiaisonPoint.objects.filter(pk=world.point.pk).update(active=False)
        assert client.get(f"/p/{world.point.code}/qr.png").status_code == 404


@pytest.mark.django_db
class TestPublicPages:
    def test_point_page_shows_people_process_rules_and_figures(self, client, world):
        world.point.reception_process = "扫码登记，代表受理"
        world.point.rules = "每月15日集中接待"
        world.point.save()
        PetitionFactory(point=world.point)
        body = client.get(f"/p/{world.point.code}/").content.decode()
        for text in ("陈立群", "点长", "扫码登记，代表受理", "每月15日集中接待", "下次接待日", world.point.submit_path):
            assert text in body

    def test_no_private_phone_appears(self, client, world):
        person = Person.objects.get(name="李晓梅")
        person.phone = "13911112222"
        person.save()
        PetitionFactory(point=world.point, contact_phone="13733334444")
        for url in (
            f"/p/{world.point.code}/",
            f"/p/{world.point.code}/screen/",
            f"/p/{world.point.code}/screen/panel/",
        ):
            body = client.get(url).content.decode()
            assert "13911112222" not in body and "13733334444" not in body
        person.phone_public = True
        person.save()
        assert "13911112222" in client.get(f"/p/{world.point.code}/").content.decode()

    def test_screen_shows_only_the_summaries_staff_approved_and_refreshes_a_panel(self, client, world):
        for title, summary in (
            ("王经理 138 1234 5678 用电增容", "某企业用电增容问题已协调解决"),
            ("张总 13912345678 招工", ""),
        ):
            petition = PetitionFactory(point=world.point, enterprise_name="璧山精密齿轮有限公司", title=title)
            services.petition_accept(petition=petition, actor=world.deputy)
            services.petition_resolve_on_site(
                petition=petition, actor=world.deputy, result="已协调", public_summary=summary
            )
        body = client.get(f"/p/{world.point.code}/screen/").content.decode()
        assert 'data-refresh-url="/p/byd/screen/panel/"' in body and "screen.js" in body
        panel = client.get(f"/p/{world.point.code}/screen/panel/").content.decode()
        assert "某企业用电增容问题已协调解决" in panel
        for private in ("王经理", "1234", "5678", "张总", "13912345678", "璧山精密齿轮"):
            assert private not in panel

    def test_screen_panel_is_cheap(self, client, world):
        for _ in range(5):
            StationFactory(point=world.point, person=PersonFactory())
        client.get(f"/p/{world.point.code}/screen/panel/")
        with CaptureQueriesContext(connection) as queries:
            client.get(f"/p/{world.point.code}/screen/panel/")
        assert len(queries) <= 2  # the point, then everything else from the cache

    def test_unknown_point_is_a_friendly_404(self, client, world):
        response = client.get("/p/nope/")
        assert response.status_code == 404 and "页面不存在" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/s/no-such-code/", "/track/BYD-2026-00001/not-the-secret/", "/p/nope/"])
def test_unknown_codes_and_links_are_friendly_even_in_the_demo(client, world, settings, path):
    settings.DEBUG = True  # as under make run
    response = client.get(path)
    body = response.content.decode()
    assert response.status_code == 404 and "页面不存在" in body and "URLconf" not in body


@pytest.mark.django_db
class TestNextReceptionDay:
    """The page's one-point answer and the API list's batched answer agree, by the rule and by a
    day moved by hand, across a month's and a year's end."""

    @pytest.mark.parametrize(
        ("today", "rule", "expected"),
        [
            ("2026-11-14", "keep", "2026-11-15"),
            ("2026-11-15", "keep", "2026-11-15"),
            ("2026-11-16", "keep", "2026-12-15"),
            ("2026-12-16", "keep", "2027-01-15"),
            ("2026-11-14", "next_workday", "2026-11-16"),  # the 15th is a Sunday
            ("2026-11-16", "next_workday", "2026-11-16"),
            ("2026-11-17", "next_workday", "2026-12-15"),
        ],
    )
    def test_by_the_rule(self, world, today, rule, expected):
        from deputies.selectors import NextReceptions, next_reception_date

        LiaisonPoint.objects.filter(pk=world.point.pk).update(reception_rule=rule, reception_day=15)
        point = LiaisonPoint.objects.get(pk=world.point.pk)
        today = dt.date.fromisoformat(today)
        assert next_reception_date(point, today) == NextReceptions(today)(point) == dt.date.fromisoformat(expected)

    def test_a_day_moved_by_hand_wins(self, world):
        from deputies.models import ReceptionDay
        from deputies.selectors import NextReceptions, next_reception_date

        ReceptionDay.objects.create(point=world.point, month=dt.date(2026, 11, 1), date=dt.date(2026, 11, 20))
        today = dt.date(2026, 11, 16)
        assert next_reception_date(world.point, today) == NextReceptions(today)(world.point) == dt.date(2026, 11, 20)


@pytest.mark.django_db
class TestHomePage:
    """A province has thousands of points: the home page shows them a page at a time, found by
    name or address, in a constant number of queries."""

    def test_a_page_at_a_time_and_found_by_name(self, client, world):
        from .factories import PointFactory

        for n in range(45):
            PointFactory(organisation=world.point.organisation, code=f"p{n:02d}", name=f"测试活动点{n:02d}")
        with CaptureQueriesContext(connection) as first:
            body = client.get("/").content.decode()
        assert body.count('class="card card-body') == 20 and "第 1 页，共 3 页" in body
        last = client.get("/", {"page": 3}).content.decode()
        assert last.count('class="card card-body') == 47 - 40
        with CaptureQueriesContext(connection) as later:
            client.get("/", {"page": 2})
        assert len(later) == len(first)
        found = client.get("/", {"q": "活动点07"}).content.decode()
        assert found.count('class="card card-body') == 1 and "测试活动点07" in found
        assert "没有符合条件的活动点" in client.get("/", {"q": "不存在的地方"}).content.decode()

    @pytest.mark.parametrize("page", ["abc", "0", "-1", "99999999999999999999", ""])
    def test_a_bad_page_number_shows_a_page(self, client, world, page):
        response = client.get("/", {"page": page, "q": "x" * 500})
        assert response.status_code == 200
