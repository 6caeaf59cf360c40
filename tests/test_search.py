"""The work desk's and the API's search (PetitionQuerySet.search): number, title, enterprise name
and content, any case, every word; scope kept; odd input harmless; on PostgreSQL the trigram
index serves it."""

import pytest
from django.db import connection

from petitions.models import Petition

from .factories import PetitionFactory

LIST = "/admin/petitions/petition/"
API = "/api/v1/requests/"


@pytest.fixture
def requests(world):
    return {
        "parking": PetitionFactory(
            point=world.point, title="园区门口停车难", content="员工上下班找不到停车位。", enterprise_name="甲科技"
        ),
        "loans": PetitionFactory(
            point=world.point, title="融资咨询", content="希望协调银行降低贷款利率。", enterprise_name="乙制造"
        ),
        "elsewhere": PetitionFactory(
            point=world.other_point, title="园区门口停车难", content="找不到停车位。", enterprise_name="甲科技"
        ),
    }


def admin_numbers(client, q):
    response = client.get(LIST, {"q": q})
    assert response.status_code == 200
    return {p.number for p in response.context["cl"].result_list}


def api_numbers(client, q):
    response = client.get(API, {"search": q})
    assert response.status_code == 200
    return {row["number"] for row in response.json()["results"]}


@pytest.mark.django_db
class TestSearch:
    @pytest.mark.parametrize("find", [admin_numbers, api_numbers])
    def test_content_title_enterprise_and_number_are_searched(self, client, world, requests, find):
        client.force_login(world.deputy)
        parking, loans = requests["parking"], requests["loans"]
        assert find(client, "停车位") == {parking.number}  # content only
        assert find(client, "融资") == {loans.number}  # title
        assert find(client, "乙制") == {loans.number}  # enterprise name, two characters
        assert find(client, "行") == {loans.number}  # one character
        assert find(client, loans.number.lower()) == {loans.number}  # number, any case
        assert find(client, "园区 停车位") == {parking.number}  # every word
        assert find(client, "园区 贷款") == set()

    @pytest.mark.parametrize("find", [admin_numbers, api_numbers])
    def test_another_points_requests_stay_out_of_reach(self, client, world, requests, find):
        client.force_login(world.outsider_deputy)
        assert find(client, "停车") == {requests["elsewhere"].number}
        client.force_login(world.handler)
        assert find(client, "停车") == set()

    @pytest.mark.parametrize("find", [admin_numbers, api_numbers])
    @pytest.mark.parametrize("text", ["%", "_", "\\", "'\"", "停车%难", "a" * 300, "  "])
    def test_odd_input_matches_literally_and_never_fails(self, client, world, requests, find, text):
        client.force_login(world.deputy)
        found = find(client, text)
        assert found == (set() if text.strip() else {requests["parking"].number, requests["loans"].number})

    @pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram index is PostgreSQL's")
    def test_the_trigram_index_serves_the_search(self, requests):
        rows = Petition.objects.search("停车位")
        sql, params = rows.query.sql_with_params()
        with connection.cursor() as cursor:
            # As on a large table: no whole-table read, no walk along another index.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "petition_search_trgm" in plan


@pytest.mark.django_db
class TestAtScale:
    def test_one_or_two_characters_look_among_the_newest_requests_only(self, client, world, settings, monkeypatch):
        from petitions import querysets

        monkeypatch.setattr(querysets, "SHORT_SEARCH_LIMIT", 3)
        old = PetitionFactory(point=world.point, title="停车难")
        for _ in range(3):
            PetitionFactory(point=world.point)
        client.force_login(world.deputy)
        assert admin_numbers(client, "停车") == set()  # beyond the newest three
        assert admin_numbers(client, "停车难") == {old.number}  # three characters search all
        assert api_numbers(client, "停车") == set()

    def test_a_short_search_sends_its_matches_as_one_parameter_on_postgresql(self, world, requests):
        from django.test.utils import CaptureQueriesContext

        found = Petition.objects.filter(point=world.point).search("停车")
        with CaptureQueriesContext(connection) as queries:
            assert {p.pk for p in found} == {requests["parking"].pk}
        page = queries[-1]["sql"]
        if connection.vendor == "postgresql":
            assert " = ANY(" in page and page.count(str(requests["parking"].pk)) >= 1
        assert Petition.objects.search("没有这样的").filter(pk__any_of=[]).count() == 0  # no match, no error

    def test_a_searchs_count_stops_at_the_ceiling_and_a_plain_list_counts_exactly(self, client, world, monkeypatch):
        from liaison.core import paging

        monkeypatch.setattr(paging.CappedPaginator, "cap", 2)
        for _ in range(3):
            PetitionFactory(point=world.point, title="园区门口停车难")
        client.force_login(world.deputy)
        assert client.get(API, {"search": "停车难"}).json()["count"] == 2
        assert client.get(API).json()["count"] == 3
        assert client.get(LIST, {"q": "停车难"}).context["cl"].result_count == 2
        assert client.get(LIST).context["cl"].result_count == 3

    def test_the_escalation_filter_lists_levels_without_reading_requests(self, client, world, requests):
        Petition.objects.filter(pk=requests["loans"].pk).update(escalation_level=2)
        client.force_login(world.deputy)
        assert admin_numbers_for(client, {"escalation_level__exact": "2"}) == {requests["loans"].number}
        assert admin_numbers_for(client, {"escalation_level__exact": "0"}) == {requests["parking"].number}
        assert admin_numbers_for(client, {"escalation_level__exact": "x"}) == set()
        body = client.get(LIST).content.decode()
        assert "未督办" in body


def admin_numbers_for(client, params):
    response = client.get(LIST, params)
    assert response.status_code == 200
    return {p.number for p in response.context["cl"].result_list}
