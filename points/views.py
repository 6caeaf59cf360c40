"""Pages of a point that need nothing but the point: the list, its QR code and the poster."""

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import cache_control

from .models import IndustryChain, LiaisonPoint
from .qr import qr_png, qr_svg


def active_point(code):
    return get_object_or_404(
        LiaisonPoint.objects.active().select_related("chain", "host_enterprise", "organisation"), code=code
    )


POINTS_PER_PAGE = 20


def home(request):
    """The open points, a page at a time (a province has thousands), found by name or address."""
    points = LiaisonPoint.objects.active()
    chains = IndustryChain.objects.filter(pk__in=points.values("chain_id"))
    query = " ".join(request.GET.get("q", "").split())[:50]
    for word in query.split():
        points = points.filter(Q(name__icontains=word) | Q(address__icontains=word))
    page = Paginator(points.select_related("chain", "host_enterprise").order_by("name", "pk"), POINTS_PER_PAGE)
    return render(
        request,
        "points/home.html",
        {"page": page.get_page(request.GET.get("page")), "chains": chains, "query": query},
    )


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
