"""The point's public page (公示) and its display screen (数字人大显示屏): what every app
contributes about a point, on one page."""

from django.shortcuts import render
from django.views.decorators.cache import cache_control

from deputies.selectors import next_reception_date, on_duty
from points.qr import qr_svg
from points.views import active_point

from . import selectors


def point_page(request, code):
    """The point's public page: nothing private, phones only where the person agreed."""
    point = active_point(code)
    context = {
        "point": point,
        "stations": on_duty(point),
        "next_reception": next_reception_date(point),
        "figures": selectors.point_figures(point),
    }
    return render(request, "points/detail.html", context)


def screen(request, code):
    """The display screen for the TV in the point's room. ``?refresh=N`` sets the panel's
    refresh interval in seconds (default 60), ``?rotate=N`` how long each panel (the point's
    figures, its chain) shows (default 20)."""
    point = active_point(code)
    refresh = _seconds(request.GET.get("refresh"), 60)
    rotate = _seconds(request.GET.get("rotate"), 20)
    context = {"point": point, **selectors.screen_data(point), "qr_svg": qr_svg(point.qr_url).decode()}
    return render(request, "points/screen.html", {**context, "refresh": refresh, "rotate": rotate})


def _seconds(value, default: int) -> int:
    try:
        return min(max(int(value if value is not None else default), 2), 3600)
    except ValueError:
        return default


@cache_control(max_age=30)
def screen_panel(request, code):
    """The part of the screen that refreshes itself, fetched every minute."""
    point = active_point(code)
    return render(request, "points/_screen_panel.html", {"point": point, **selectors.screen_data(point)})
