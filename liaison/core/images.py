"""Images from the outside world: checked from their header, decoded at a bounded size and
written again before they are kept.

The header (format, width, height) is read without decoding a pixel, so the size limits cost
nothing and run before anything expensive. A baseline JPEG (what phone cameras write) is decoded
straight to about the size it will be kept at (libjpeg scales by 1/2, 1/4 or 1/8 while decoding),
so a 50-megapixel photo costs about 40 MB, not 150; formats that cannot be decoded reduced (PNG,
GIF, WebP, progressive JPEG, whose decoder holds every coefficient of the full image) get a far
smaller pixel cap. The new file is built from the pixels alone: EXIF (GPS included), comments,
ICC profiles, XMP and every other block of the original are left behind, so a JPEG/HTML polyglot
loses its script. Used for request attachments and for people's photos on public pages.
"""

import io
import math
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# What we accept; Pillow opens many more (EPS would even run Ghostscript).
FORMATS = ("JPEG", "PNG", "GIF", "WEBP")

# Pillow's own guard, a backstop behind the explicit caps below: it warns above this and refuses
# twice this, in Image.open, before decoding.
MAX_IMAGE_PIXELS = 50_000_000


def _pillow():
    """Pillow, imported when a picture arrives rather than in every web process at start-up."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    return Image, ImageOps, UnidentifiedImageError


@dataclass(frozen=True)
class ImageHeader:
    format: str
    width: int
    height: int
    progressive: bool

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def decodes_reduced(self) -> bool:
        return self.format == "JPEG" and not self.progressive


def _unreadable(name):
    return ValidationError(_("“%(name)s” is not a readable image."), code="bad_image", params={"name": name})


def read_header(data: bytes, name: str) -> ImageHeader:
    """Format and size of the picture in ``data``, from its header alone (nothing is decoded).

    Raises ValidationError for anything but a JPEG, PNG, GIF or WebP, and for more pixels than
    ``IMAGE_MAX_PIXELS`` (baseline JPEG) or ``IMAGE_MAX_FULL_DECODE_PIXELS`` (the rest)."""
    Image, _ImageOps, UnidentifiedImageError = _pillow()
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            progressive = bool(image.info.get("progressive") or image.info.get("progression"))
            kind = "JPEG" if image.format == "MPO" else image.format  # phones' multi-picture JPEG
            header = ImageHeader(kind, image.width, image.height, progressive)
    except Image.DecompressionBombError:
        header = None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise _unreadable(name) from None
    cap = settings.IMAGE_MAX_PIXELS if header and header.decodes_reduced else settings.IMAGE_MAX_FULL_DECODE_PIXELS
    if header is None or header.pixels > cap:
        raise ValidationError(
            _("“%(name)s” has too many pixels (at most %(limit)d million); please send a smaller picture."),
            code="too_many_pixels",
            params={"name": name, "limit": cap // 1_000_000},
        )
    return header


def reencode_image(data: bytes, name: str, max_side: int = 2000) -> bytes:
    """JPEG bytes of the picture in ``data``, upright, at most ``max_side`` pixels a side, with
    nothing of the original file but its pixels. Checks the header first (``read_header``)."""
    header = read_header(data, name)
    Image, ImageOps, UnidentifiedImageError = _pillow()
    scale = min(1.0, max_side / max(header.width, header.height))
    target = (max(1, math.ceil(header.width * scale)), max(1, math.ceil(header.height * scale)))
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            if header.decodes_reduced:
                image.draft("RGB", target)  # decode at 1/2, 1/4 or 1/8 of full size
            has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
            if image.mode not in (("RGBA", "LA") if has_alpha else ("RGB", "L")):  # palette, CMYK, 16-bit…
                image = image.convert("RGBA" if has_alpha else "RGB")
            image.thumbnail((max_side, max_side))  # first, so every copy below is small
            image = ImageOps.exif_transpose(image)  # keep the photo upright once EXIF is gone
            clean = Image.new("RGB", image.size, "white")  # transparent parts on white, not black
            # A fresh image carries no ``info``: Pillow would otherwise write the original's
            # comment (and with it a polyglot's script) into the new JPEG.
            clean.paste(image.convert("RGB"), mask=image.getchannel("A") if has_alpha else None)
            out = io.BytesIO()
            clean.save(out, "JPEG", quality=85, optimize=True)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError):
        raise _unreadable(name) from None
    return out.getvalue()
