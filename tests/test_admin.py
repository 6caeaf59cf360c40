import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from petitions.models import Petition, PetitionEvent, Status

from .factories import PetitionFactory

CHANGE = "/admin/petitions/petition/{}/change/"
DO = "/admin/petitions/petition/{}/do/{}/"


@pytest.mark.django_db
class TestTriage:
    def test_buttons_offer_only_the_next_steps(self, client, world, petition):
        client.force_login(world.deputy)
        body = client.get(CHANGE.format(petition.pk)).content.decode()
        for action in ("accept", "reject", "merge", "note"):
            assert f'data-action="{action}"' in body
        assert 'data-action="sign"' not in body and 'data-action="confirm"' not in body
        assert "已提交" in body  # the timeline inline

    def test_accept_and_dispatch_through_the_admin(self, client, world, petition):
        client.force_login(world.deputy)
        assert client.post(DO.format(petition.pk, "accept")).status_code == 302
        response = client.post(DO.format(petition.pk, "dispatch"), {"department": world.department.pk, "due": ""})
        assert response.status_code == 302
        petition.refresh_from_db()
        assert petition.status == Status.DISPATCHED and petition.department == world.department

    def test_a_form_error_keeps_the_request_unchanged(self, client, world, petition):
        client.force_login(world.deputy)
        response = client.post(DO.format(petition.pk, "reject"), {"reason": ""})
        assert response.status_code == 400
        assert "必填" in response.content.decode()
        petition.refresh_from_db()
        assert petition.status == Status.SUBMITTED

    def test_a_refused_transition_is_reported_not_crashed(self, client, world, petition):
        client.force_login(world.deputy)
        response = client.post(DO.format(petition.pk, "confirm"), {"text": ""}, follow=True)
        assert response.status_code == 200
        assert "现在不能" in response.content.decode()

    def test_a_handler_who_returns_a_request_lands_on_the_list_with_the_message(self, client, world, petition):
        client.force_login(world.deputy)
        client.post(DO.format(petition.pk, "accept"))
        client.post(DO.format(petition.pk, "dispatch"), {"department": world.department.pk})
        client.force_login(world.handler)
        response = client.post(DO.format(petition.pk, "return"), {"reason": "不属于本单位职责"}, follow=True)
        assert response.status_code == 200
        assert response.redirect_chain[-1][0] == "/admin/petitions/petition/"
        assert "退回" in response.content.decode()

    def test_bulk_accept_says_which_were_not_accepted(self, client, world, petition):
        closed = PetitionFactory(point=world.point)
        client.force_login(world.deputy)
        client.post(DO.format(closed.pk, "reject"), {"reason": "重复"})
        closed.refresh_from_db()
        response = client.post(
            "/admin/petitions/petition/",
            {"action": "accept_selected", "_selected_action": [petition.pk, closed.pk]},
            follow=True,
        )
        body = response.content.decode()
        assert closed.number in body and "0 件" not in body
        petition.refresh_from_db()
        assert petition.status == Status.ACCEPTED

    def test_handler_signs_and_replies(self, client, world, petition):
        client.force_login(world.deputy)
        client.post(DO.format(petition.pk, "accept"))
        client.post(DO.format(petition.pk, "dispatch"), {"department": world.department.pk})
        client.force_login(world.handler)
        client.post(DO.format(petition.pk, "sign"))
        client.post(DO.format(petition.pk, "reply"), {"result": "已协调增开班次"})
        petition.refresh_from_db()
        assert petition.status == Status.RESOLVED
        assert list(petition.events.values_list("action", flat=True)) == [
            "submit",
            "accept",
            "dispatch",
            "sign",
            "reply",
        ]

    def test_grid_worker_enters_a_request_on_behalf_of_an_enterprise(self, client, world):
        client.force_login(world.grid)
        response = client.post(
            "/admin/petitions/petition/add/",
            {
                "point": world.point.pk,
                "channel": "visit",
                "enterprise": world.enterprise.pk,
                "enterprise_name": "",
                "contact_name": "王五",
                "contact_phone": "13900001111",
                "category": "labour",
                "title": "招工难",
                "content": "一线工人缺口约50人。",
            },
        )
        assert response.status_code == 302, response.context["adminform"].form.errors
        petition = Petition.objects.get()
        assert petition.channel == "visit" and petition.created_by == world.grid
        assert petition.number.startswith("BYD-") and petition.events.get().action == "submit"

    def test_grid_worker_cannot_file_for_another_point(self, client, world):
        client.force_login(world.grid)
        response = client.post(
            "/admin/petitions/petition/add/",
            {
                "point": world.other_point.pk,
                "channel": "visit",
                "enterprise_name": "某企业",
                "contact_name": "王五",
                "contact_phone": "13900001111",
                "category": "labour",
                "title": "招工难",
                "content": "缺工人。",
            },
        )
        assert response.status_code == 200
        assert Petition.objects.count() == 0

    def test_bulk_accept_action(self, client, world):
        petitions = [PetitionFactory(point=world.point) for _ in range(3)]
        client.force_login(world.deputy)
        client.post(
            "/admin/petitions/petition/",
            {"action": "accept_selected", "_selected_action": [p.pk for p in petitions]},
        )
        assert Petition.objects.filter(status=Status.ACCEPTED).count() == 3
        assert PetitionEvent.objects.filter(action="accept").count() == 3


@pytest.mark.django_db
def test_changelist_queries_do_not_grow_with_rows(client, world):
    client.force_login(world.deputy)
    PetitionFactory(point=world.point)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/admin/petitions/petition/").status_code == 200
    for _ in range(25):
        PetitionFactory(point=world.point)
    with CaptureQueriesContext(connection) as many:
        client.get("/admin/petitions/petition/")
    assert len(many) == len(few)
    assert len(many) <= 15
