"""What travels with a dispatch and a reply: 交办意见 for the department only, and 答复函
attachments for staff and the enterprise they are addressed to."""

import pytest

from liaison.core.models import Notification
from liaison.core.notifications import render
from petitions import services
from petitions.models import Attachment, PetitionEvent, Status
from petitions.platforms import dispatch_data
from petitions.uploads import clean_uploads

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


def letter_pdf() -> bytes:
    from .test_files import clean_pdf

    return clean_pdf()


def in_progress(world):
    petition = accepted(world)
    petition = services.petition_dispatch(petition=petition, actor=world.deputy, department=world.department)
    return services.petition_sign(petition=petition, actor=world.handler)


def upload(name, content, kind="application/pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=kind)


@pytest.mark.django_db
class TestReplyLetters:
    def test_a_reply_carries_its_letter_to_the_enterprise(self, client, world):
        petition = in_progress(world)
        client.force_login(world.handler)
        data = {"result": "已协调解决", "letters": [upload("答复函.pdf", letter_pdf())]}
        assert client.post(DO.format(petition.pk, "reply"), data).status_code == 302
        letter = petition.attachments.get()
        assert letter.purpose == Attachment.Purpose.REPLY_LETTER and letter.kind == "pdf"
        client.logout()
        page = client.get(petition.get_tracking_url()).content.decode()
        assert "答复函.pdf" in page
        url = f"{petition.get_tracking_url()}letter/{letter.pk}/"
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        api = client.get(f"/api/v1/public/requests/{petition.number}/{petition.access_token}/").json()
        assert [r["original_name"] for r in api["reply_letters"]] == ["答复函.pdf"]
        assert api["reply_letters"][0]["url"].endswith(url)

    def test_the_enterprise_cannot_fetch_its_way_to_other_files(self, client, world):
        petition = in_progress(world)
        services.petition_reply(petition=petition, actor=world.handler, result="已办结")
        own = PetitionFactory(point=world.point)
        Attachment.objects.create(petition=petition, kind="pdf", original_name="企业材料.pdf", size=1, file="x.pdf")
        enterprise_file = petition.attachments.get()
        other = in_progress(world)
        services.petition_reply(
            petition=other, actor=world.handler, result="已办结", letters=clean_uploads([upload("b.pdf", letter_pdf())])
        )
        other_letter = other.attachments.get()
        base = petition.get_tracking_url()
        assert client.get(f"{base}letter/{enterprise_file.pk}/").status_code == 404  # not a letter
        assert client.get(f"{base}letter/{other_letter.pk}/").status_code == 404  # another request's
        wrong_token = f"/track/{other.number}/{own.access_token}/letter/{other_letter.pk}/"
        assert client.get(wrong_token).status_code == 404

    def test_resolving_on_site_takes_a_photo_of_the_letter(self, client, world):
        from .test_files import jpeg

        petition = accepted(world)
        client.force_login(world.deputy)
        data = {"result": "现场答复", "letters": [upload("函.jpg", jpeg((80, 60)), "image/jpeg")]}
        assert client.post(DO.format(petition.pk, "resolve_on_site"), data).status_code == 302
        letter = petition.attachments.get()
        assert letter.purpose == Attachment.Purpose.REPLY_LETTER and letter.kind == "image"
        body = client.get(CHANGE.format(petition.pk)).content.decode()
        assert "答复函" in body and "函.jpg" in body

    def test_a_refused_file_is_a_form_error_in_chinese_and_nothing_changes(self, client, world):
        from .test_files import HTML_PDF, clean_pdf

        petition = in_progress(world)
        client.force_login(world.handler)
        for bad, told in (
            (upload("x.pdf", HTML_PDF), "“x.pdf”不是有效的 PDF 文件"),
            (upload("js.pdf", clean_pdf(js=True)), "“js.pdf”"),
            (upload("a.exe", b"MZ\x90\x00"), "“a.exe”不是可读取的图片或 PDF 文件"),
        ):
            response = client.post(DO.format(petition.pk, "reply"), {"result": "已办结", "letters": [bad]})
            assert response.status_code == 400
            assert told in response.content.decode()
        petition.refresh_from_db()
        assert petition.status == Status.IN_PROGRESS and not petition.attachments.exists()

    def test_the_api_reply_takes_letters_as_multipart(self, client, world):
        petition = in_progress(world)
        client.force_login(world.handler)
        response = client.post(
            f"/api/v1/requests/{petition.pk}/reply/",
            {"result": "已办结", "letters": [upload("函.pdf", letter_pdf())]},
        )
        assert response.status_code == 200, response.content
        rows = client.get(f"/api/v1/requests/{petition.pk}/attachments/").json()
        assert [(r["original_name"], r["purpose"]) for r in rows] == [("函.pdf", "reply_letter")]
        client.force_login(world.other_handler)
        assert client.get(f"/api/v1/requests/{petition.pk}/attachments/").status_code == 404

    def test_a_handler_of_another_department_cannot_reply_with_a_letter(self, client, world):
        petition = in_progress(world)
        client.force_login(world.other_handler)
        response = client.post(
            DO.format(petition.pk, "reply"), {"result": "x", "letters": [upload("a.pdf", letter_pdf())]}
        )
        assert response.status_code == 404
        assert not petition.attachments.exists()

    def test_the_reply_page_sends_files(self, client, world):
        petition = in_progress(world)
        client.force_login(world.handler)
        body = client.get(DO.format(petition.pk, "reply")).content.decode()
        assert 'enctype="multipart/form-data"' in body and 'name="letters"' in body
