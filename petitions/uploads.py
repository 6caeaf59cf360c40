"""Checking and cleaning uploaded attachments before anything is stored.

Images are re-encoded (``liaison.core.images``), which drops EXIF (GPS included) and refuses
files that only claim to be images. PDFs are recognised by their content, not their name.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from liaison.core.images import reencode_image


@dataclass(frozen=True)
class CleanUpload:
    content: bytes
    kind: str  # "image" or "pdf"
    original_name: str


def _clean_image(data: bytes, name: str) -> CleanUpload:
    return CleanUpload(reencode_image(data, name), "image", name)


def _clean_pdf(data: bytes, name: str) -> CleanUpload:
    tail = data[-2048:]
    if not data.startswith(b"%PDF-") or b"%%EOF" not in tail:
        raise ValidationError(_("“%(name)s” is not a valid PDF file."), code="bad_pdf", params={"name": name})
    return CleanUpload(data, "pdf", name)


def clean_uploads(files) -> list[CleanUpload]:
    """Validate a list of uploaded files; raise ValidationError listing what is wrong."""
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
        try:
            if data.startswith(b"%PDF-"):
                cleaned.append(_clean_pdf(data, name))
            else:
                cleaned.append(_clean_image(data, name))
        except ValidationError as exc:
            errors.append(exc)
    if errors:
        raise ValidationError(errors)
    return cleaned
