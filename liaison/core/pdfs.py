"""PDFs from the outside world, parsed and refused when they carry active content.

A PDF is kept as it was sent, so it is checked as a reader would see it: parsed with pypdf,
every object reachable from the trailer visited once (stream data is not decoded; what pages
draw with is skipped, see ``SKIPPED_KEYS``), and refused
if any of them holds JavaScript, a launch action (runs a program), an embedded or attached file,
rich media or an XFA form (which carries scripts). A file that merely starts with ``%PDF-`` but
does not parse, has no pages, or cannot be opened without a password is refused too.
"""

import io
import logging

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

# Keys whose mere presence means active content or a file inside the file.
# (/EF is the embedded file of a file specification, whatever refers to it.)
FORBIDDEN_KEYS = {"/JS", "/JavaScript", "/EF", "/EmbeddedFile", "/EmbeddedFiles", "/RichMedia", "/XFA"}
# Action types (/S) and annotation or object types that do the same.
FORBIDDEN_NAMES = {"/JavaScript", "/Launch", "/EmbeddedFile", "/FileAttachment", "/RichMedia", "/RichMediaExecute"}
MAX_OBJECTS = 200_000  # a larger graph is refused rather than walked for seconds
# Not followed: what a page draws with (fonts, images, their huge width tables: most of a text
# PDF's objects) and its drawing instructions. No reader triggers an action or lists an
# attachment from there. (/Parent is followed: a form field inherits actions from its parent.)
SKIPPED_KEYS = {"/Resources", "/Contents"}


class _Refused(Exception):
    pass


class _ActiveContent(Exception):
    pass


def check_pdf(data: bytes, name: str) -> None:
    """Raise ValidationError unless ``data`` is a PDF with pages and no active content."""
    from pypdf import PdfReader  # ~18 MB with its crypto providers: only in processes that take a PDF

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ValidationError(
                _("“%(name)s” is protected by a password; please send it without one."),
                code="pdf_password",
                params={"name": name},
            )
        if int(reader.trailer["/Root"]["/Pages"].get("/Count", 0)) < 1:  # read, not counted: cheap
            raise _Refused
        _walk(reader.trailer)
    except ValidationError:
        raise
    except _ActiveContent:
        raise ValidationError(
            _(
                "“%(name)s” contains scripts, attached files or actions and cannot be accepted; "
                "please print it to a new PDF."
            ),
            code="pdf_active",
            params={"name": name},
        ) from None
    except Exception as exc:  # noqa: BLE001 — pypdf raises many kinds of error on hostile input; all mean "not a PDF we take"
        log.info("refused a PDF that does not parse: %s", exc)  # not the name: it may be personal
        raise ValidationError(_("“%(name)s” is not a valid PDF file."), code="bad_pdf", params={"name": name}) from None


def _walk(root) -> None:
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            if len(seen) > MAX_OBJECTS:
                raise _Refused
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):  # streams included: their dictionary, not their data
            for key, value in obj.items():
                if key in FORBIDDEN_KEYS:
                    raise _ActiveContent
                if key in SKIPPED_KEYS:
                    continue
                if isinstance(value, NameObject):
                    if value in FORBIDDEN_NAMES:
                        raise _ActiveContent
                elif isinstance(value, IndirectObject | DictionaryObject | ArrayObject):
                    stack.append(value)
        elif isinstance(obj, ArrayObject):
            stack.extend(v for v in obj if isinstance(v, IndirectObject | DictionaryObject | ArrayObject))
