"""Pages of a point that need nothing but the point: the list, its QR code and the poster."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import cache_control

from .models import IndustryChain, LiaisonPoint
from .qr import qr_png, qr_svg


def active_point(code):
    return get_object_or_404(
        LiaisonPoint.objects.active().select_related("chain", "host_enterprise", "organisation"), code=code
    )


def home(request):
    points = LiaisonPoint.objects.active().select_related("chain", "host_enterprise", "organisation")
    chains = IndustryChain.objects.filter(pk__in=points.values("chain_id"))
    return render(request, "points/home.html", {"points": points, "chains": chains})


@cache_control(public=True, max_age=300)
def qr_image(request, code, fmt):
    # Short cache: after a rotation the old image must not linger long in browsers.
    point = active_point(code)
    if fmt == "svg":
        return HttpResponse(qr_svg(point.qr_url), content_type="image/svg+xml")
    response = HttpResponse(qr_png(point.qr_url), content_type="image/png")
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="{point.code}-qr.png"'
    return response


def poster(request, code):
    """An A4 poster to print and put up: name, QR, slogan, how to use it."""
    point = active_point(code)
    return render(request, "points/poster.html", {"point": point, "qr_svg": qr_svg(point.qr_url).decode()})
