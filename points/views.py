from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import cache_control

from . import selectors
from .models import LiaisonPoint
from .qr import qr_png, qr_svg


def _active_point(code):
    return get_object_or_404(
        LiaisonPoint.objects.active().select_related("chain", "host_enterprise", "organisation"), code=code
    )


def home(request):
    points = LiaisonPoint.objects.active().select_related("chain", "host_enterprise", "organisation")
    return render(request, "points/home.html", {"points": points})


def _public_context(point):
    stations = point.stations.current().select_related("person").order_by("role", "person__name")
    return {
        "point": point,
        "stations": stations,
        "next_reception": selectors.next_reception_date(point),
        "figures": selectors.point_figures(point),
    }


def detail(request, code):
    """The point's public page (公示): nothing private, phones only where the person agreed."""
    return render(request, "points/detail.html", _public_context(_active_point(code)))


@cache_control(public=True, max_age=300)
def qr_image(request, code, fmt):
    # Short cache: after a rotation the old image must not linger long in browsers.
    point = _active_point(code)
    if fmt == "svg":
        return HttpResponse(qr_svg(point.qr_url), content_type="image/svg+xml")
    response = HttpResponse(qr_png(point.qr_url), content_type="image/png")
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="{point.code}-qr.png"'
    return response


def poster(request, code):
    """An A4 poster to print and put up: name, QR, slogan, how to use it."""
    point = _active_point(code)
    return render(request, "points/poster.html", {"point": point, "qr_svg": qr_svg(point.qr_url).decode()})


def screen(request, code):
    """The display screen (数字人大显示屏) for the TV in the point's room. ``?refresh=N``
    sets the panel's refresh interval in seconds (default 60)."""
    point = _active_point(code)
    try:
        refresh = min(max(int(request.GET.get("refresh", 60)), 2), 3600)
    except ValueError:
        refresh = 60
    context = {**_screen_context(point), "qr_svg": qr_svg(point.qr_url).decode(), "refresh": refresh}
    return render(request, "points/screen.html", context)


@cache_control(max_age=30)
def screen_panel(request, code):
    """The part of the screen that refreshes itself, fetched every minute."""
    return render(request, "points/_screen_panel.html", _screen_context(_active_point(code)))


def _screen_context(point):
    return {"point": point, **selectors.screen_data(point)}
