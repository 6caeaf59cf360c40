from django.shortcuts import get_object_or_404, render

from .models import LiaisonPoint


def home(request):
    points = LiaisonPoint.objects.active().select_related("chain", "host_enterprise", "organisation")
    return render(request, "points/home.html", {"points": points})


def detail(request, code):
    """The point's public page (公示): nothing private, phones only where the person agreed."""
    point = get_object_or_404(LiaisonPoint.objects.active().select_related("chain", "host_enterprise"), code=code)
    stations = point.stations.current().select_related("person").order_by("role", "person__name")
    return render(request, "points/detail.html", {"point": point, "stations": stations})
