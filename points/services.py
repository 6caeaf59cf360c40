from django.db import transaction
from django.utils import timezone

from .models import LiaisonPoint, RetiredQrToken, new_qr_token


def point_rotate_qr(*, point: LiaisonPoint, now=None) -> LiaisonPoint:
    """Give the point a new QR token (a poster was defaced or leaked). The old token keeps
    leading to a "this code was replaced" page. Office staff and the point's head may call it."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = LiaisonPoint.objects.select_for_update().get(pk=point.pk)
        RetiredQrToken.objects.create(point=locked, token=locked.qr_token, retired_at=now)
        locked.qr_token = new_qr_token()
        locked.qr_rotated_at = now
        locked.save(update_fields=["qr_token", "qr_rotated_at"])
    point.refresh_from_db()
    return point
