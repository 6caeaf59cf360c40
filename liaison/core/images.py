"""Images from the outside world, decoded and written again before they are kept.

Re-encoding with Pillow drops EXIF (GPS included), refuses files that only claim to be images,
and bounds the size. Used for request attachments and for people's photos on public pages.
"""

import io

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

Image.MAX_IMAGE_PIXELS = 40_000_000  # a decompression bomb is refused, not decoded


def reencode_image(data: bytes, name: str, max_side: int = 2000) -> bytes:
    """JPEG bytes of the picture in ``data``, upright, at most ``max_side`` pixels a side."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image = ImageOps.exif_transpose(image)  # keep the photo upright once EXIF is gone
            image = image.convert("RGB")
            image.thumbnail((max_side, max_side))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=85, optimize=True)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            _("“%(name)s” is not a readable image."), code="bad_image", params={"name": name}
        ) from None
    return out.getvalue()
