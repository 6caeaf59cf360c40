"""What travels with a dispatch and a reply: 交办意见 for the department only, and 答复函
attachments for staff and the enterprise they are addressed to."""

import pytest

from liaison.core.models import Notification
from liaison.core.notifications import render
from petitions import services
from petitions.models import PetitionEvent, Status
from petitions.platforms import dispatch_data

from .factories import PetitionFactory

CHANGE = "/admin/petitions/petition/{}/change/"
DO = "/admin/petitions/petition/{}/do/{}/"
INSTRUCTIONS = "请于三日内联系企业现场核实，并抄送区发改委"


def accepted(world):
    petition = PetitionFactory(point=world.point)
    return services.petition_accept(petition=petition, actor=world.deputy)


@pytest.mark.django_db
class TestInstructions:
    def test_dispatch_form_stores_them_for_the_department(self, client, world):
        petition = accepted(world)
        client.force_login(world.deputy)
        data = {"department": world.department.pk, "due": "", "instructions": f"  {INSTRUCTIONS}  "}
        assert client.post(DO.format(petition.pk, "dispatch"), data).status_code == 302
        petition.refresh_from_db()
        assert petition.status == Status.DISPATCHED and petition.dispatch_instructions == INSTRUCTIONS
        note = petition.events.get(action=PetitionEvent.Action.NOTE)
        assert INSTRUCTIONS in note.text and not note.public
        client.force_login(world.handler)
        assert INSTRUCTIONS in client.get(CHANGE.format(petition.pk)).content.decode()
        message = Notification.objects.filter(template="handler_dispatch", user=world.handler).first()
        assert INSTRUCTIONS in render(message)[1]
        event = petition.events.get(action=PetitionEvent.Action.DISPATCH)
        assert dispatch_data(event)["instructions"] == INSTRUCTIONS

    def test_the_enterprise_never_reads_them(self, client, world):
        petition = accepted(world)
        services.petition_dispatch(
            petition=petition, actor=world.deputy, department=world.department, instructions=INSTRUCTIONS
        )
        page = client.get(petition.get_tracking_url()).content.decode()
        assert INSTRUCTIONS not in page and "交办意见" not in page
        api = client.get(f"/api/v1/public/requests/{petition.number}/{petition.access_token}/")
        assert api.status_code == 200 and INSTRUCTIONS not in api.content.decode()
        sms = Notification.objects.filter(template="enterprise_dispatched").first()
        assert INSTRUCTIONS not in render(sms)[1]

    def test_they_are_optional_and_bounded(self, client, world):
        petition = accepted(world)
        client.force_login(world.deputy)
        data = {"department": world.department.pk, "instructions": "长" * 2001}
        response = client.post(DO.format(petition.pk, "dispatch"), data)
        assert response.status_code == 400 and "2000" in response.content.decode()
        assert client.post(DO.format(petition.pk, "dispatch"), {"department": world.department.pk}).status_code == 302
        petition.refresh_from_db()
        assert petition.dispatch_instructions == ""
        assert not petition.events.filter(action=PetitionEvent.Action.NOTE).exists()

    def test_a_return_clears_them_for_the_next_department(self, world):
        petition = accepted(world)
        petition = services.petition_dispatch(
            petition=petition, actor=world.deputy, department=world.department, instructions=INSTRUCTIONS
        )
        petition = services.petition_return(petition=petition, actor=world.handler, reason="非本单位职责")
        assert petition.dispatch_instructions == ""
        assert petition.events.filter(text__contains=INSTRUCTIONS).exists()  # the timeline keeps them

    def test_the_api_dispatches_with_them_for_staff_only(self, client, world):
        petition = accepted(world)
        client.force_login(world.deputy)
        response = client.post(
            f"/api/v1/requests/{petition.pk}/dispatch/",
            {"department": world.department.pk, "instructions": INSTRUCTIONS},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
        client.force_login(world.handler)
        assert client.get(f"/api/v1/requests/{petition.pk}/").json()["dispatch_instructions"] == INSTRUCTIONS
        client.force_login(world.other_handler)
        assert client.get(f"/api/v1/requests/{petition.pk}/").status_code == 404
