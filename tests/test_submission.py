import io
import uuid

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from petitions.models import Attachment, Petition, PetitionEvent, Status
from points.models import RetiredQrToken


def form_data(world, **overrides):
    data = {
        "enterprise": world.enterprise.pk,
        "enterprise_name": "",
        "contact_name": "李四",
        "contact_phone": "138 1234 5678",
        "category": "transport",
        "title": "园区通勤公交班次不足",
        "content": "早晚高峰公交班次太少，员工通勤困难。",
        "website": "",
        "submission_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


def jpeg_with_gps():
    image = Image.new("RGB", (64, 48), "red")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (29.0, 35.0, 0.0)}  # GPS IFD
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def submit_url(world):
    return f"/s/{world.point.qr_token}/"


@pytest.mark.django_db
class TestSubmission:
    def test_form_renders_in_chinese_without_javascript(self, client, world):
        response = client.get(submit_url(world))
        body = response.content.decode()
        assert response.status_code == 200
        assert "提交诉求" in body or "提交" in body
        assert "<script" not in body
        assert world.enterprise.name in body

    def test_a_valid_request_is_created_with_number_and_secret_link(self, client, world):
        response = client.post(submit_url(world), form_data(world))
        petition = Petition.objects.get()
        assert response.status_code == 302
        assert response["Location"] == petition.get_tracking_url() + "?new=1"
        assert petition.contact_phone == "13812345678"
        assert petition.enterprise == world.enterprise and petition.enterprise_name == world.enterprise.name
        assert petition.status == Status.SUBMITTED and petition.channel == "qr"
        page = client.get(response["Location"]).content.decode()
        assert petition.number in page and petition.access_token in page

    def test_a_typed_enterprise_name_is_enough(self, client, world):
        client.post(submit_url(world), form_data(world, enterprise="", enterprise_name="新来的配套企业"))
        assert Petition.objects.get().enterprise_name == "新来的配套企业"

    def test_double_submit_creates_one_request(self, client, world):
        data = form_data(world)
        first = client.post(submit_url(world), data)
        second = client.post(submit_url(world), data)
        assert Petition.objects.count() == 1
        assert first["Location"] == second["Location"]

    @pytest.mark.parametrize(
        "field,value,message",
        [
            ("contact_phone", "12345", "11 位"),
            ("contact_phone", "", "必填"),
            ("title", "", "必填"),
            ("title", "长" * 101, "100"),
            ("content", "", "必填"),
            ("category", "nonsense", "选择一个有效的选项"),
            ("enterprise", "999999", "选择一个有效的选项"),
        ],
    )
    def test_bad_input_creates_nothing_and_keeps_what_was_typed(self, client, world, field, value, message):
        data = form_data(world, **{field: value})
        response = client.post(submit_url(world), data)
        body = response.content.decode()
        assert response.status_code == 400
        assert Petition.objects.count() == 0
        assert message in body
        assert "李四" in body or field == "contact_name"

    def test_neither_enterprise_nor_name_is_refused(self, client, world):
        response = client.post(submit_url(world), form_data(world, enterprise=""))
        assert response.status_code == 400 and Petition.objects.count() == 0
        assert "请选择您的企业或填写企业名称" in response.content.decode()

    def test_an_enterprise_not_linked_to_the_point_cannot_be_picked(self, client, world):
        from .factories import EnterpriseFactory

        stranger = EnterpriseFactory()
        response = client.post(submit_url(world), form_data(world, enterprise=stranger.pk))
        assert response.status_code == 400 and Petition.objects.count() == 0

    def test_honeypot_refuses_bots(self, client, world):
        response = client.post(submit_url(world), form_data(world, website="http://spam.example"))
        assert response.status_code == 400 and Petition.objects.count() == 0

    def test_a_flood_from_one_client_is_stopped(self, client, world, settings):
        settings.PETITION_RATE_PER_CLIENT = 3
        codes = [client.post(submit_url(world), form_data(world)).status_code for _ in range(5)]
        assert codes == [302, 302, 302, 400, 400]
        assert Petition.objects.count() == 3
        response = client.post(submit_url(world), form_data(world))
        assert "稍后再试" in response.content.decode()

    def test_a_flood_at_one_point_is_stopped(self, client, world, settings):
        settings.PETITION_RATE_PER_POINT = 2
        for n in range(3):  # new numbers each time: only those count at the point
            client.post(submit_url(world), form_data(world, contact_phone=f"1390000000{n}"), REMOTE_ADDR=f"10.9.0.{n}")
        assert Petition.objects.count() == 2

    def test_photo_is_re_encoded_without_exif_or_gps(self, client, world):
        photo = SimpleUploadedFile("现场.jpg", jpeg_with_gps(), content_type="image/jpeg")
        client.post(submit_url(world), {**form_data(world), "attachments": [photo]})
        attachment = Attachment.objects.get()
        stored = default_storage.open(attachment.file.name).read()
        with Image.open(io.BytesIO(stored)) as image:
            assert image.format == "JPEG"
            assert not image.getexif()
        assert attachment.original_name == "现场.jpg"
        assert "现场" not in attachment.file.name

    def test_a_script_named_png_is_refused(self, client, world):
        fake = SimpleUploadedFile("photo.png", b"<script>alert(1)</script>", content_type="image/png")
        response = client.post(submit_url(world), {**form_data(world), "attachments": [fake]})
        assert response.status_code == 400
        assert Petition.objects.count() == 0 and Attachment.objects.count() == 0
        assert "不是可读取的图片" in response.content.decode()

    def test_a_forged_pdf_is_refused_and_a_real_one_kept(self, client, world):
        fake = SimpleUploadedFile("a.pdf", b"%PDF-1.4 not really", content_type="application/pdf")
        response = client.post(submit_url(world), {**form_data(world), "attachments": [fake]})
        assert response.status_code == 400 and Petition.objects.count() == 0
        from .test_files import clean_pdf  # a parseable PDF: PDFs are now checked with pypdf

        real = SimpleUploadedFile("b.pdf", clean_pdf())
        client.post(submit_url(world), {**form_data(world), "attachments": [real]})
        assert Attachment.objects.get().kind == "pdf"

    def test_oversized_and_too_many_files_are_refused(self, client, world, settings):
        settings.PETITION_MAX_ATTACHMENT_BYTES = 1024
        big = SimpleUploadedFile("big.jpg", b"\xff" * 2048)
        response = client.post(submit_url(world), {**form_data(world), "attachments": [big]})
        assert response.status_code == 400 and "大于" in response.content.decode()
        settings.PETITION_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
        many = [SimpleUploadedFile(f"{n}.jpg", jpeg_with_gps()) for n in range(5)]
        response = client.post(submit_url(world), {**form_data(world), "attachments": many})
        assert response.status_code == 400 and "最多" in response.content.decode()
        assert Petition.objects.count() == 0

    def test_unknown_code_is_a_friendly_404(self, client, world):
        response = client.get("/s/not-a-code/")
        assert response.status_code == 404
        assert "页面不存在" in response.content.decode()

    def test_inactive_point_takes_no_requests(self, client, world):
        world.point.active = False
        world.point.save()
        assert client.post(submit_url(world), form_data(world)).status_code == 404
        assert Petition.objects.count() == 0

    def test_a_replaced_code_says_so(self, client, world):
        from django.utils import timezone

        RetiredQrToken.objects.create(point=world.point, token="old-code", retired_at=timezone.now())
        response = client.get("/s/old-code/")
        assert response.status_code == 410
        assert "二维码已更换" in response.content.decode()


@pytest.mark.django_db
class TestTracking:
    def test_number_alone_or_wrong_token_opens_nothing(self, client, petition):
        assert client.get(f"/track/{petition.number}/").status_code == 404
        assert client.get(f"/track/{petition.number}/{'x' * 32}/").status_code == 404
        assert client.get(f"/track/NOPE/{petition.access_token}/").status_code == 404

    def test_tracking_shows_the_public_timeline_only(self, client, world, petition):
        from petitions import services

        services.petition_note(petition=petition, actor=world.deputy, text="内部：企业法人与代表是亲属")
        body = client.get(petition.get_tracking_url()).content.decode()
        assert petition.number in body and "已提交" in body
        assert "内部" not in body
        assert petition.contact_phone not in body

    def test_enterprise_adds_information_while_open(self, client, petition):
        url = petition.get_tracking_url()
        response = client.post(url + "add/", {"text": "补充：涉及员工约300人"})
        assert response.status_code == 302
        assert PetitionEvent.objects.filter(petition=petition, action="add_info").count() == 1
        assert client.post(url + "add/", {"text": ""}).status_code == 400

    def test_rating_after_resolution_and_unsatisfied_reopens(self, client, world, petition):
        from petitions import services

        url = petition.get_tracking_url()
        assert "满意" not in client.get(url).content.decode().split("办理进度")[0]
        services.petition_accept(petition=petition, actor=world.deputy)
        services.petition_resolve_on_site(petition=petition, actor=world.deputy, result="已现场答复")
        assert 'name="satisfaction"' in client.get(url).content.decode()
        client.post(url + "rate/", {"satisfaction": "unsatisfied", "comment": "未解决"})
        petition.refresh_from_db()
        assert petition.status == Status.ACCEPTED and petition.reopen_count == 1

    def test_rating_an_open_request_is_refused(self, client, petition):
        client.post(petition.get_tracking_url() + "rate/", {"satisfaction": "satisfied"})
        petition.refresh_from_db()
        assert petition.satisfaction == "" and petition.status == Status.SUBMITTED
