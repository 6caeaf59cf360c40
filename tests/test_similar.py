"""Possible duplicates (petitions.similar): ranking, scope, the query budget, the panel's merge
buttons, and the duplicates' filers told when the main request is answered. Runs on SQLite and,
with DATABASE_URL pointing at PostgreSQL, on pg_trgm."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from liaison.core.models import Notification
from petitions import services
from petitions.models import Satisfaction, Status
from petitions.similar import THRESHOLD, similar_requests, trigram_similarity, trigrams
from petitions.workflow import ENTERPRISE_ACTOR

from .factories import PetitionFactory

CHANGE = "/admin/petitions/petition/{}/change/"
DO = "/admin/petitions/petition/{}/do/{}/"

PARKING = {"title": "园区门口停车难", "content": "我公司员工上下班在园区门口停车非常困难，希望增加停车位。"}
PARKING_AGAIN = {"title": "园区门口停车位不足", "content": "园区门口停车困难，员工上下班找不到停车位，希望增加车位。"}
PARKING_VAGUE = {"title": "园区停车问题", "content": "希望园区解决停车问题。"}
LOANS = {"title": "融资贷款利率高", "content": "企业申请贷款利率太高，希望协调银行降低融资成本。"}


def numbers(found):
    return [s.petition.number for s in found]


class TestTrigrams:
    def test_chinese_runs_are_cut_into_padded_trigrams(self):
        assert trigrams("停车难") == {"  停", " 停车", "停车难", "车难 "}
        assert trigrams("B-12，停车") == {"  b", " b ", "  1", " 12", "12 ", "  停", " 停车", "停车 "}

    def test_similarity_is_shared_over_all_trigrams(self):
        assert trigram_similarity("停车难", "停车难") == 1
        assert trigram_similarity("停车难", "") == 0
        assert trigram_similarity("停车难", "贷款难") == 0  # "车难 " and "款难 " differ
        assert 0 < trigram_similarity("园区停车难", "园区停车位不足") < 1


@pytest.mark.django_db
class TestSimilarRequests:
    def test_a_near_duplicate_ranks_first_and_unrelated_requests_do_not_appear(self, world):
        new = PetitionFactory(point=world.point, **PARKING)
        again = PetitionFactory(point=world.point, **PARKING_AGAIN)
        vague = PetitionFactory(point=world.point, **PARKING_VAGUE)
        loans = PetitionFactory(point=world.point, **LOANS)
        plain = PetitionFactory(point=world.point)  # 用地手续咨询
        found = similar_requests(new)
        assert numbers(found)[:1] == [again.number]
        assert loans.number not in numbers(found) and plain.number not in numbers(found)
        assert vague.number not in numbers(found)  # shares 园区 and 停车, below the threshold
        assert all(s.score >= THRESHOLD for s in found)
        assert new.number not in numbers(found)

    def test_other_points_requests_never_appear_even_word_for_word(self, world):
        new = PetitionFactory(point=world.point, **PARKING)
        PetitionFactory(point=world.other_point, **PARKING)
        assert similar_requests(new) == []

    def test_only_open_or_recent_requests_and_never_merged_or_rejected_ones(self, world):
        new = PetitionFactory(point=world.point, **PARKING)
        long_ago = timezone.now() - dt.timedelta(days=200)
        old_open = PetitionFactory(point=world.point, now=long_ago, **PARKING)
        old_closed = PetitionFactory(point=world.point, now=long_ago, **PARKING)
        services.petition_accept(petition=old_closed, actor=world.deputy)
        services.petition_resolve_on_site(petition=old_closed, actor=world.deputy, result="已解决")
        recent_closed = PetitionFactory(point=world.point, **PARKING)
        services.petition_accept(petition=recent_closed, actor=world.deputy)
        services.petition_resolve_on_site(petition=recent_closed, actor=world.deputy, result="已解决")
        rejected = PetitionFactory(point=world.point, **PARKING)
        services.petition_reject(petition=rejected, actor=world.deputy, reason="重复")
        merged = PetitionFactory(point=world.point, **PARKING)
        services.petition_merge(petition=merged, into=old_open, actor=world.deputy)
        found = numbers(similar_requests(new))
        assert sorted(found) == sorted([old_open.number, recent_closed.number])

    def test_the_same_enterprise_comes_first_among_equals(self, world):
        new = PetitionFactory(point=world.point, enterprise_name="甲公司", **PARKING)
        other = PetitionFactory(point=world.point, enterprise_name="乙公司", **PARKING_AGAIN)
        same = PetitionFactory(point=world.point, enterprise_name="甲公司", **PARKING_AGAIN)
        found = similar_requests(new)
        assert numbers(found) == [same.number, other.number]
        assert found[0].same_enterprise and not found[1].same_enterprise

    def test_one_query_whatever_the_number_of_candidates(self, world, django_assert_num_queries):
        new = PetitionFactory(point=world.point, **PARKING)
        for _ in range(3):
            PetitionFactory(point=world.point, **PARKING_AGAIN)
        with django_assert_num_queries(1):
            assert len(similar_requests(new, limit=2)) == 2
        for _ in range(12):
            PetitionFactory(point=world.point, **LOANS)
        with django_assert_num_queries(1):
            assert len(similar_requests(new)) == 3


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm is PostgreSQL's")
class TestOnPostgreSQL:
    def test_the_server_reads_chinese_as_words_and_scores_as_python_does(self):
        # A ctype of "C" makes pg_trgm skip every Chinese character: similarity would be 0.
        with connection.cursor() as cursor:
            cursor.execute("SELECT similarity(%s, %s), similarity(%s, %s)", ["停车难", "停车难", *PARKING.values()])
            same, mixed = cursor.fetchone()
        assert same == pytest.approx(1)
        assert mixed == pytest.approx(trigram_similarity(*PARKING.values()), abs=1e-6)


@pytest.mark.django_db
class TestDuplicatesPanel:
    def test_the_panel_lists_the_near_duplicate_with_both_merges(self, client, world):
        new = PetitionFactory(point=world.point, **PARKING)
        again = PetitionFactory(point=world.point, **PARKING_AGAIN)
        loans = PetitionFactory(point=world.point, **LOANS)
        client.force_login(world.deputy)
        body = client.get(CHANGE.format(new.pk)).content.decode()
        assert 'data-testid="duplicates"' in body and "可能重复" in body
        assert f'data-number="{again.number}"' in body and loans.number not in body
        assert f"{DO.format(new.pk, 'merge')}?into={again.number}" in body
        assert f"{DO.format(again.pk, 'merge')}?into={new.number}" in body

    def test_no_panel_for_a_request_without_lookalikes(self, client, world):
        new = PetitionFactory(point=world.point, **PARKING)
        PetitionFactory(point=world.point, **LOANS)
        client.force_login(world.deputy)
        assert 'data-testid="duplicates"' not in client.get(CHANGE.format(new.pk)).content.decode()

    def test_the_merge_link_asks_first_then_merges_on_confirmation(self, client, world):
        new = PetitionFactory(point=world.point, **PARKING)
        again = PetitionFactory(point=world.point, **PARKING_AGAIN)
        client.force_login(world.deputy)
        page = client.get(f"{DO.format(new.pk, 'merge')}?into={again.number}")
        assert page.status_code == 200 and f'value="{again.number}"' in page.content.decode()
        new.refresh_from_db()
        assert new.status == Status.SUBMITTED  # opening the page changed nothing
        response = client.post(DO.format(new.pk, "merge"), {"into": again.number}, follow=True)
        assert response.status_code == 200
        new.refresh_from_db()
        assert new.status == Status.MERGED and new.merged_into == again
        body = client.get(CHANGE.format(again.pk)).content.decode()
        assert 'data-testid="merged-duplicates"' in body and new.number in body

    def test_a_handler_sees_no_merge_buttons(self, client, world):
        new = PetitionFactory(point=world.point, **PARKING)
        PetitionFactory(point=world.point, **PARKING_AGAIN)
        services.petition_accept(petition=new, actor=world.deputy)
        services.petition_dispatch(petition=new, actor=world.deputy, department=world.department)
        client.force_login(world.handler)
        body = client.get(CHANGE.format(new.pk)).content.decode()
        assert "data-merge=" not in body

    def test_a_handler_sees_only_lookalikes_dispatched_to_their_department(self, client, world):
        new = PetitionFactory(point=world.point, **PARKING)
        hidden = PetitionFactory(point=world.point, **PARKING_AGAIN)  # not dispatched: not theirs
        theirs = PetitionFactory(point=world.point, **PARKING_AGAIN)
        for p in (new, theirs):
            services.petition_accept(petition=p, actor=world.deputy)
            services.petition_dispatch(petition=p, actor=world.deputy, department=world.department)
        client.force_login(world.handler)
        body = client.get(CHANGE.format(new.pk)).content.decode()
        assert theirs.number in body and hidden.number not in body
        rows = client.get(f"/api/v1/requests/{new.pk}/similar/").json()
        assert [r["number"] for r in rows] == [theirs.number]

    def test_another_points_deputy_cannot_reach_the_panel_or_merge(self, client, world):
        new = PetitionFactory(point=world.point, **PARKING)
        again = PetitionFactory(point=world.point, **PARKING_AGAIN)
        client.force_login(world.outsider_deputy)
        assert client.get(CHANGE.format(new.pk)).status_code in (302, 403, 404)
        assert client.post(DO.format(new.pk, "merge"), {"into": again.number}).status_code in (403, 404)
        new.refresh_from_db()
        assert new.status == Status.SUBMITTED

    def test_a_bad_number_in_the_link_is_a_form_error_not_a_crash(self, client, world):
        new = PetitionFactory(point=world.point, **PARKING)
        elsewhere = PetitionFactory(point=world.other_point, **PARKING)
        client.force_login(world.deputy)
        assert client.get(f"{DO.format(new.pk, 'merge')}?into=%27%22<x>").status_code == 200
        assert client.get(f"{DO.format(new.pk, 'merge')}?into=%00").status_code == 400  # the NUL guard
        response = client.post(DO.format(new.pk, "merge"), {"into": elsewhere.number})
        assert response.status_code == 400 and "没有" in response.content.decode()

    def test_the_panel_costs_the_same_queries_for_one_or_five_lookalikes(self, client, world):
        new = PetitionFactory(point=world.point, **PARKING)
        PetitionFactory(point=world.point, **PARKING_AGAIN)
        client.force_login(world.deputy)
        client.get(CHANGE.format(new.pk))
        with CaptureQueriesContext(connection) as one:
            client.get(CHANGE.format(new.pk))
        for _ in range(4):
            PetitionFactory(point=world.point, **PARKING_AGAIN)
        with CaptureQueriesContext(connection) as five:
            body = client.get(CHANGE.format(new.pk)).content.decode()
        assert body.count("data-number=") == 5
        assert len(five) == len(one)


@pytest.mark.django_db
class TestDuplicatesTold:
    def told(self, duplicate):
        return Notification.objects.filter(template="enterprise_duplicate_answered", address=duplicate.contact_phone)

    def test_filers_of_duplicates_are_told_once_when_the_main_request_is_answered(self, world):
        main = PetitionFactory(point=world.point, contact_phone="13900000001", **PARKING)
        duplicate = PetitionFactory(point=world.point, contact_phone="13900000002", **PARKING_AGAIN)
        services.petition_merge(petition=duplicate, into=main, actor=world.deputy)
        services.petition_accept(petition=main, actor=world.deputy)
        assert not self.told(duplicate).exists()
        services.petition_resolve_on_site(petition=main, actor=world.deputy, result="已增设停车位")
        row = self.told(duplicate).get()
        assert row.key == f"duplicate-answered:{duplicate.pk}:sms"
        assert duplicate.access_token in row.link  # the duplicate's own tracking link
        # Reopened as unsatisfied and answered again: not told a second time.
        services.petition_rate(petition=main, actor=ENTERPRISE_ACTOR, satisfaction=Satisfaction.UNSATISFIED)
        services.petition_resolve_on_site(petition=main, actor=world.deputy, result="再次答复")
        assert self.told(duplicate).count() == 1
        assert not Notification.objects.filter(
            template="enterprise_duplicate_answered", address=main.contact_phone
        ).exists()


@pytest.mark.django_db
class TestSimilarApi:
    def test_the_api_lists_possible_duplicates_in_scope_only(self, client, world):
        new = PetitionFactory(point=world.point, **PARKING)
        again = PetitionFactory(point=world.point, **PARKING_AGAIN)
        PetitionFactory(point=world.other_point, **PARKING)
        client.force_login(world.deputy)
        rows = client.get(f"/api/v1/requests/{new.pk}/similar/").json()
        assert [r["number"] for r in rows] == [again.number]
        assert set(rows[0]) == {"id", "number", "title", "status", "submitted_at", "score", "same_enterprise"}
        client.force_login(world.outsider_deputy)
        assert client.get(f"/api/v1/requests/{new.pk}/similar/").status_code == 404
        client.logout()
        assert client.get(f"/api/v1/requests/{new.pk}/similar/").status_code in (401, 403)
