"""QR images of a point's submission address (一点一码)."""

import io

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_M


def _qr(data: str) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=12, border=4)
    code.add_data(data)
    code.make(fit=True)
    return code


def qr_png(data: str) -> bytes:
    out = io.BytesIO()
    _qr(data).make_image().save(out, format="PNG")
    return out.getvalue()


def qr_svg(data: str) -> bytes:
    out = io.BytesIO()
    _qr(data).make_image(image_factory=qrcode.image.svg.SvgPathImage).save(out)
    return out.getvalue()
