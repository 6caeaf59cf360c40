"""The chain page, enterprise relations, the wall and table prints and the screen's chain panel
(issue 22)."""

import datetime as dt
import io
import re

import pytest
import time_machine
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deputies.models import DutyAssignment, Person, ReceptionDay, Suggestion
from petitions import rollups
from petitions import selectors as petition_selectors
from petitions.models import Petition
from points.models import ChainSegment, Enterprise, EnterpriseRelation, IndustryChain, LiaisonPoint

from .factories import EnterpriseFactory, PersonFactory, PetitionFactory, PointFactory, StationFactory

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def demo(db):
    with time_machine.travel(NOW, tick=False):
        call_command("load_demo", stdout=io.StringIO())
    return IndustryChain.objects.get(code="nev")


def chain_context(client, code="nev"):
    response = client.get(f"/chains/{code}/")
    assert response.status_code == 200
    return response


# --- the chain page -------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_chain_page_figures_equal_direct_counts_over_the_demo(client, demo):
    response = chain_context(client)
    year = timezone.localdate().year
    segments = {row["name"]: row for row in response.context["segments"]}
    assert list(segments) == list(demo.segments.values_list("name", flat=True))
    requests = Petition.objects.filter(point__chain=demo, submitted_at__year=year)
    for segment in demo.segments.all():
        row = segments[segment.name]
        assert row["enterprises"] == Enterprise.objects.filter(segment=segment).count() > 0
        for role in row["roles"]:
            assert role["count"] == Enterprise.objects.filter(segment=segment, chain_role=role["role"]).count()
        in_segment = requests.filter(enterprise__segment=segment)
        assert row["received"] == in_segment.count()
        assert row["resolved"] == in_segment.filter(resolved_at__isnull=False).count()
        hosted = LiaisonPoint.objects.filter(host_enterprise__segment=segment)
        assert row["points"]["count"] == hosted.count()
        assert row["suggestions"] == Suggestion.objects.filter(point__in=hosted, filed_on__year=year).count()
    # The demo's seven requests all belong to a segment, and six of them are resolved.
    assert sum(row["received"] for row in segments.values()) == requests.count() == 7
    figures = response.context["requests"]
    assert (figures["received"], figures["resolved"]) == (7, 6)
    assert figures["resolved_share"] == round(100 * 6 / 7, 1)
    assert figures["average_workdays"] is not None
    assert response.context["suggestions"]["filed"] == Suggestion.objects.filter(filed_on__year=year).count()
    assert response.context["enterprise_count"] == Enterprise.objects.count()
    assert response.context["point_count"] == 2
    # The segments' points are where they are set up: BYD's point in 整车, 青山's in 传动系统.
    assert [p["code"] for p in segments["整车"]["points"]["points"]] == ["byd-bishan"]
    assert [p["code"] for p in segments["传动系统"]["points"]["points"]] == ["qingshan"]
    # by category: each category's count is the direct count.
    for row in figures["by_category"]["rows"]:
        assert row["value"] == sum(1 for p in requests if p.get_category_display() == row["label"])
    assert "智能网联新能源汽车" in response.content.decode()


@time_machine.travel(NOW, tick=False)
def test_leaders_networks_are_counted_from_the_relation_records(client, demo):
    networks = {row["name"]: row for row in chain_context(client).context["networks"]}
    byd = Enterprise.objects.get(name="比亚迪汽车璧山园区")
    qingshan = Enterprise.objects.get(name="青山工业传动系统有限公司")
    assert (byd.chain_role, qingshan.chain_role) == ("leader", "sub_leader")
    for leader in (byd, qingshan):
        row = networks[leader.name]
        led = Enterprise.objects.filter(relations_in__source=leader)
        assert row["led"] == led.count() > 0
        assert row["backbone"] == led.filter(chain_role="backbone").count()
        assert row["supplier"] == led.filter(chain_role="supplier").count()
        assert row["segments"] == led.values("segment").distinct().count()
    assert networks[qingshan.name]["kind"] == "partner" and networks[byd.name]["kind"] == "supply"
    # A new relation shows on the page at once (after the cache): figures, not typed in.
    EnterpriseRelation.objects.create(
        source=qingshan, target=Enterprise.objects.get(name="渝西汽车玻璃有限公司"), kind="partner"
    )
    from django.core.cache import cache

    cache.clear()
    again = {row["name"]: row for row in chain_context(client).context["networks"]}
    assert again[qingshan.name]["led"] == networks[qingshan.name]["led"] + 1
    html = chain_context(client).content.decode()
    assert f"协调协作企业 {again[qingshan.name]['led']} 家" in html


def test_request_figures_name_no_enterprise_and_no_contact(client, world):
    secret = PetitionFactory(
        point=world.point,
        enterprise=None,
        enterprise_name="某保密精工有限公司",
        contact_name="甄隐名",
        contact_phone="13987654321",
        title="不应公开的诉求标题",
        content="不应公开的诉求内容",
    )
    figures = petition_selectors.chain_year_requests(world.point.chain, timezone.localdate().year)
    assert figures["received"] == 1
    flat = repr(figures)
    html = chain_context(client).content.decode()
    for private in (
        secret.enterprise_name,
        secret.contact_name,
        secret.contact_phone,
        "138****",
        secret.title,
        secret.content,
        secret.number,
        "987654321",
    ):
        assert private not in flat
        assert private not in html
    assert re.search(r'data-testid="chain-received">1<', html)


def test_chain_page_queries_do_not_grow_with_enterprises_and_points(client, world):
    chain = world.point.chain
    segment = ChainSegment.objects.create(chain=chain, name="整车", order=1)

    def grow(n):
        for _ in range(n):
            enterprise = EnterpriseFactory(segment=segment, chain_role="backbone")
            point = PointFactory(chain=chain, host_enterprise=enterprise)
            PetitionFactory(point=point, enterprise=enterprise)
            Suggestion.objects.create(point=point, title=f"建议{enterprise.pk}", filed_on=timezone.localdate())
        rollups.rollup_changed()  # as the ten-minute job does: the request figures come from its rows

    def queries():
        from django.core.cache import cache

        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            chain_context(client)
        return len(captured)

    grow(2)
    few = queries()
    grow(25)
    many = queries()
    assert few == many <= 12
    page = chain_context(client)
    row = next(r for r in page.context["segments"] if r["name"] == "整车")
    backbone = next(r for r in row["roles"] if r["role"] == "backbone")
    assert backbone["count"] == 27 and len(backbone["names"]) == 8  # the rest are counted
    assert row["points"]["count"] == 27 and len(row["points"]["points"]) == 8


def test_unknown_chain_is_404_and_home_and_point_pages_link_the_chain(client, world):
    assert client.get("/chains/nope/").status_code == 404
    url = world.point.chain.get_absolute_url()
    assert url == "/chains/nev/"
    assert f'href="{url}"' in client.get("/").content.decode()
    assert f'href="{url}"' in client.get(world.point.get_absolute_url()).content.decode()


def test_rows_without_a_segment_are_shown_apart(client, world):
    PetitionFactory(point=world.point, enterprise=world.enterprise)  # no segment anywhere
    rows = chain_context(client).context["segments"]
    assert rows[-1]["id"] is None and rows[-1]["name"] == "未记录环节" and rows[-1]["received"] == 1


# --- enterprise relations -------------------------------------------------------------------


def test_a_relation_is_unique_and_never_to_itself(db):
    a, b = EnterpriseFactory(chain_role="leader"), EnterpriseFactory()
    EnterpriseRelation.objects.create(source=a, target=b, kind="supply")
    with pytest.raises(ValidationError, match="已"):
        EnterpriseRelation(source=a, target=b, kind="partner").full_clean()
    with pytest.raises(ValidationError):
        EnterpriseRelation(source=a, target=a, kind="supply").full_clean()


@pytest.fixture
def relations(world):
    mine = world.enterprise  # looked after by the world's deputy
    ours = EnterpriseFactory(name="本区配套企业", organisation=world.point.organisation)
    theirs = EnterpriseFactory(name="他区链主企业", organisation=world.other_point.organisation)
    theirs_too = EnterpriseFactory(name="他区配套企业", organisation=world.other_point.organisation)
    return {
        "inside": EnterpriseRelation.objects.create(source=ours, target=mine, kind="supply"),
        "leads_ours": EnterpriseRelation.objects.create(source=theirs, target=ours, kind="supply"),
        "outside": EnterpriseRelation.objects.create(source=theirs, target=theirs_too, kind="supply"),
    }


def as_user(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


@pytest.mark.parametrize(
    "role, expected",
    [("office", {"inside", "leads_ours"}), ("deputy", {"inside"}), ("outsider_deputy", set()), ("handler", set())],
)
def test_relation_admin_shows_relations_of_either_visible_enterprise(world, relations, role, expected):
    user = getattr(world, role)
    model_admin = admin.site._registry[EnterpriseRelation]
    rows = set(model_admin.get_queryset(as_user(user)).values_list("pk", flat=True))
    assert rows == {relations[name].pk for name in expected}
    form = model_admin.get_form(as_user(user))()
    for field in ("source", "target"):
        choices = set(form.fields[field].queryset.values_list("pk", flat=True))
        assert choices == set(Enterprise.objects.visible_to(user).values_list("pk", flat=True))


def test_office_keeps_relations_in_the_admin(client, world, relations):
    from django.contrib.auth.models import Permission

    # The office role's permissions for the new model come with the role table (see report).
    world.office.user_permissions.add(*Permission.objects.filter(codename__endswith="enterpriserelation"))
    client.force_login(world.office)
    listing = client.get("/admin/points/enterpriserelation/")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "本区配套企业" in html and "他区配套企业" not in html
    outside = relations["outside"]
    assert client.get(f"/admin/points/enterpriserelation/{outside.pk}/change/").status_code in (302, 404)
    # Choosing an enterprise out of scope is refused with a Chinese error, nothing saved.
    theirs = outside.target
    response = client.post(
        "/admin/points/enterpriserelation/add/",
        {"source": relations["inside"].source_id, "target": theirs.pk, "kind": "supply"},
    )
    assert response.status_code == 200 and "选择一个有效的选项" in response.content.decode()
    assert EnterpriseRelation.objects.count() == 3
    response = client.post(
        "/admin/points/enterpriserelation/add/",
        {"source": relations["inside"].source_id, "target": relations["inside"].target_id, "kind": "supply"},
    )
    assert response.status_code == 200 and "已" in response.content.decode()
    assert EnterpriseRelation.objects.count() == 3


# --- prints for the wall and the table -------------------------------------------------------


@pytest.fixture
def reception_day(world):
    day = ReceptionDay.objects.create(point=world.point, month=dt.date(2026, 12, 1), date=dt.date(2026, 12, 15))
    for person in Person.objects.filter(stations__point=world.point):
        DutyAssignment.objects.create(reception_day=day, person=person)
    return day


def test_seat_cards_one_per_person_on_the_roster_with_role_and_point(client, world, reception_day):
    client.force_login(world.office)
    response = client.get(f"/p/{world.point.code}/reception-days/{reception_day.pk}/seat-cards/")
    assert response.status_code == 200
    cards = response.context["cards"]
    assert [c["name"] for c in cards] == ["陈立群", "吴敏", "李晓梅"]  # the head first
    assert cards[0]["roles"] == ["点长", "人大代表"]
    assert cards[1]["roles"] == ["企业网格员"] and cards[2]["roles"] == ["议事代表"]
    html = response.content.decode()
    assert html.count('data-testid="seat-card"') == 3
    assert world.point.name in html and "2026年12月15日" in html


def test_seat_cards_are_for_staff_who_may_see_the_reception_day(client, world, reception_day):
    url = f"/p/{world.point.code}/reception-days/{reception_day.pk}/seat-cards/"
    assert client.get(url).status_code == 302  # to the login
    client.force_login(world.outsider_deputy)
    assert client.get(url).status_code == 404
    client.force_login(world.head)
    assert client.get(url).status_code == 200
    # The day must belong to the point in the address.
    assert client.get(f"/p/{world.other_point.code}/reception-days/{reception_day.pk}/seat-cards/").status_code == 404


def test_outdoor_sign_and_wall_posters_from_the_point(client, world):
    world.point.rules = "一、每月接待日代表轮流值守。"
    world.point.reception_process = "1. 扫码登记\n2. 代表受理"
    world.point.save()
    sign = client.get(f"/p/{world.point.code}/sign/").content.decode()
    assert "人大代表活动点" in sign and world.point.name in sign and "<svg" in sign
    assert "接待日" in sign and "下次接待日" in sign
    wall = client.get(f"/p/{world.point.code}/wall/").content.decode()
    for text in ("值守人员", "陈立群", "点长", "接待流程", "扫码登记", "工作制度", "轮流值守", "码上说 马上办", "<svg"):
        assert text in wall
    assert "13812341234" not in wall  # phones only where the person agreed
    assert client.get("/p/nope/sign/").status_code == 404


def test_wall_posters_show_people_with_their_photos(client, world, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    person = Person.objects.get(name="陈立群")
    person.photo = SimpleUploadedFile("chen.png", b"\x89PNG\r\n\x1a\n", content_type="image/png")
    person.save()
    wall = client.get(f"/p/{world.point.code}/wall/").content.decode()
    assert f'src="{person.photo.url}"' in wall


# --- the display screen ---------------------------------------------------------------------


def test_screen_panel_has_a_chain_view_with_this_years_counts(client, world):
    segment = ChainSegment.objects.create(chain=world.point.chain, name="控制器", order=1)
    world.enterprise.segment = segment
    world.enterprise.save()
    PetitionFactory(point=world.point, enterprise=world.enterprise)
    PetitionFactory(point=world.point, enterprise=world.enterprise)
    panel = client.get(f"/p/{world.point.code}/screen/panel/")
    chain = panel.context["chain"]
    assert chain["segments"] == [
        {"name": "控制器", "enterprises": 1, "received": 2, "resolved": 0, "suggestions": 0},
        {"name": "未记录环节", "enterprises": 0, "received": 0, "resolved": 0, "suggestions": 0},
    ]
    html = panel.content.decode()
    assert 'data-view="point"' in html and 'data-view="chain"' in html and "控制器" in html
    screen = client.get(f"/p/{world.point.code}/screen/?rotate=7").content.decode()
    assert 'data-rotate-seconds="7"' in screen
    assert 'data-rotate-seconds="20"' in client.get(f"/p/{world.point.code}/screen/?rotate=x").content.decode()


def test_other_chains_points_are_not_on_this_chain(client, world):
    other = IndustryChain.objects.create(name="智能装备", code="equip")
    PointFactory(chain=other, name="装备活动点")
    assert "装备活动点" not in chain_context(client).content.decode()
    assert "装备活动点" in chain_context(client, "equip").content.decode()


def test_stationed_people_are_unchanged_by_the_chain_page(client, world):
    StationFactory(point=world.point, person=PersonFactory(name="新代表"))
    assert chain_context(client).status_code == 200


def test_stale_figures_are_shown_while_a_worker_recomputes_them(client, world):
    from liaison.portal.chains import cached_chain_data

    chain = world.point.chain
    start = timezone.now()
    assert cached_chain_data(chain, now=start)["requests"]["received"] == 0  # first view: computed
    PetitionFactory(point=world.point)
    # Fresh for five minutes: no recomputation, no query for requests.
    with CaptureQueriesContext(connection) as captured:
        assert cached_chain_data(chain, now=start + dt.timedelta(minutes=4))["requests"]["received"] == 0
    assert len(captured) == 0
    # Stale: this answer still shows the stored figures, and the refresh is queued (run in
    # process here, as tasks are eager in tests).
    later = start + dt.timedelta(minutes=6)
    assert cached_chain_data(chain, now=later)["requests"]["received"] == 0
    assert cached_chain_data(chain, now=later)["requests"]["received"] == 1
    assert chain_context(client).context["requests"]["received"] == 1
