"""Checking and cleaning uploaded attachments before anything is stored, and serving them back.

Two steps, so that limits are checked before anything is decoded:

- ``clean_uploads`` (the forms) does the cheap checks: how many, how large, what kind the first
  bytes say (JPEG, PNG, GIF, WebP or PDF; never the name) and, for images, the pixel count from
  the header.
- ``finish_uploads`` (the callers, after their rate limits) does the expensive part: images are
  decoded at a bounded size and re-encoded (``liaison.core.images``: EXIF, GPS and comments are
  gone), PDFs are parsed and refused when they carry scripts, files or actions
  (``liaison.core.pdfs``).

An upload's ``content`` is only ever the finished bytes: code that stores an upload without
calling ``finish_uploads`` first still never stores an unchecked byte.
"""

import os

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from liaison.core.images import read_header, reencode_image
from liaison.core.pdfs import check_pdf

# What the first bytes of a file say it is.
SIGNATURES = {
    b"\xff\xd8\xff": "image",  # JPEG
    b"\x89PNG\r\n\x1a\n": "image",
    b"GIF87a": "image",
    b"GIF89a": "image",
    b"%PDF-": "pdf",
}
CONTENT_TYPES = {"image": "image/jpeg", "pdf": "application/pdf"}  # what we store, per kind


def sniff(data: bytes) -> str | None:
    """The kind the first bytes say, "image" or "pdf"; None for anything else."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image"
    return next((kind for magic, kind in SIGNATURES.items() if data.startswith(magic)), None)


class CleanUpload:
    """An upload that passed the cheap checks; ``content`` is what gets stored."""

    def __init__(self, raw: bytes, kind: str, original_name: str):
        self._raw = raw
        self.kind = kind  # "image" or "pdf"
        self.original_name = original_name
        self._content = None

    @property
    def content(self) -> bytes:
        """The bytes to store: the image re-encoded, the PDF checked. Raises ValidationError."""
        if self._content is None:
            if self.kind == "image":
                self._content = reencode_image(self._raw, self.original_name)
            else:
                check_pdf(self._raw, self.original_name)
                self._content = self._raw
            self._raw = b""
        return self._content


def clean_uploads(files) -> list[CleanUpload]:
    """The cheap checks on a list of uploaded files; raise ValidationError listing what is wrong.
    Nothing is decoded here: ``finish_uploads`` does that."""
    files = [f for f in files if f]
    limit = settings.PETITION_MAX_ATTACHMENTS
    if len(files) > limit:
        raise ValidationError(
            _("At most %(limit)d attachments, please; you chose %(count)d."),
            code="too_many",
            params={"limit": limit, "count": len(files)},
        )
    max_bytes = settings.PETITION_MAX_ATTACHMENT_BYTES
    cleaned, errors = [], []
    for upload in files:
        name = (upload.name or "file")[-200:]
        if upload.size > max_bytes:
            errors.append(
                ValidationError(
                    _("“%(name)s” is larger than %(limit)s."),
                    code="too_large",
                    params={"name": name, "limit": filesizeformat(max_bytes)},
                )
            )
            continue
        data = upload.read()
        kind = sniff(data)
        try:
            if kind is None:
                raise ValidationError(
                    _("“%(name)s” is neither a photo (JPEG, PNG, GIF, WebP) nor a PDF file."),
                    code="bad_kind",
                    params={"name": name},
                )
            if kind == "image":
                read_header(data, name)
            cleaned.append(CleanUpload(data, kind, name))
        except ValidationError as exc:
            errors.append(exc)
    if errors:
        raise ValidationError(errors)
    return cleaned


def finish_uploads(uploads: list[CleanUpload], field: str = "attachments") -> list[CleanUpload]:
    """Decode and re-encode the images, check the PDFs; raise one ValidationError listing every
    file refused, keyed by the form's ``field`` (``form.add_error(None, exc)`` puts it there).
    Call it after the rate limits: this is the part that costs."""
    try:
        return decoded(uploads)
    except ValidationError as exc:
        raise ValidationError({field: exc.error_list}) from None


def decoded(uploads: list[CleanUpload]) -> list[CleanUpload]:
    """``finish_uploads`` for a form field's ``clean_<field>``: the files refused, as the
    field's errors. For staff steps, whose rate is bounded by the workflow (one reply per
    handling), so decoding can happen while the form validates."""
    errors = []
    for upload in uploads:
        try:
            upload.content  # noqa: B018 — computing it is the point
        except ValidationError as exc:
            errors.append(exc)
    if errors:
        raise ValidationError(errors)
    return uploads


def attachment_response(attachment) -> FileResponse:
    """The stored file of an ``Attachment``, served as what it was checked to be.

    The content type comes from the kind, never from the uploader's file name; a PDF is always
    a download; a (re-encoded) image may be shown inline, as an image only: ``nosniff`` stops
    browsers from guessing anything else, and the sandbox policy keeps a document from running
    if one is ever opened directly. The download name keeps the uploader's name but takes the
    extension of the kind (``x.html`` checked as a PDF downloads as ``x.pdf``)."""
    kind = attachment.kind if attachment.kind in CONTENT_TYPES else "pdf"
    stem = os.path.splitext(os.path.basename(attachment.original_name or ""))[0] or "attachment"
    filename = stem + (".jpg" if kind == "image" else ".pdf")
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:  # lost from storage (a restore without the media directory)
        raise Http404(_("This file is no longer available.")) from None
    response = FileResponse(
        handle,
        content_type=CONTENT_TYPES[kind],
        as_attachment=kind != "image",
        filename=filename,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
