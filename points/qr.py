"""QR images of a point's submission address (一点一码).

qrcode (and, for PNG, Pillow) is imported when an image is made, not by every web process when
the URLs are loaded: most workers never draw one (issue 21, item 6)."""

import io


def _qr(data: str):
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=12, border=4)
    code.add_data(data)
    code.make(fit=True)
    return code


def qr_png(data: str) -> bytes:
    out = io.BytesIO()
    _qr(data).make_image().save(out, format="PNG")
    return out.getvalue()


def qr_svg(data: str) -> bytes:
    import qrcode.image.svg

    out = io.BytesIO()
    _qr(data).make_image(image_factory=qrcode.image.svg.SvgPathImage).save(out)
    return out.getvalue()
