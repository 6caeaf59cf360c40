"""What a point puts on its wall and its table, printed from its data: the outdoor sign
(标识牌, A3), the wall poster set (公示上墙: people on duty, reception process, rules, the QR
code) and the folding seat cards (接待座位牌) of a reception day's roster.

The sign and the wall show what the public point page shows already; the seat cards come from
a roster, so only staff who may see that reception day print them.
"""

from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from deputies.models import ReceptionDay
from deputies.selectors import next_reception_date, on_duty, seat_card_rows
from points.qr import qr_svg
from points.views import active_point


def sign(request, code):
    """The outdoor sign (人大代表活动点 标识牌), one A3 portrait page."""
    point = active_point(code)
    context = {"point": point, "qr_svg": qr_svg(point.qr_url).decode(), "next_reception": next_reception_date(point)}
    return render(request, "portal/sign.html", context)


def wall(request, code):
    """公示上墙: four A4 portrait sheets — people on duty with photos and roles, the reception
    process, the rules, and the "码上说 马上办" QR code."""
    point = active_point(code)
    context = {
        "point": point,
        "stations": on_duty(point),
        "next_reception": next_reception_date(point),
        "qr_svg": qr_svg(point.qr_url).decode(),
        "printed_on": timezone.localdate(),
    }
    return render(request, "portal/wall.html", context)


@staff_member_required
def seat_cards(request, code, day_id):
    """接待座位牌: one folding card per person on the reception day's roster (A4 landscape,
    folded along the middle). Staff who may see the reception day only; others get a 404."""
    day = get_object_or_404(
        ReceptionDay.objects.visible_to(request.user).select_related("point"), pk=day_id, point__code=code
    )
    return render(request, "portal/seat_cards.html", {"point": day.point, "day": day, "cards": seat_card_rows(day)})
