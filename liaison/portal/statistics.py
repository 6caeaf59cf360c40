import datetime as dt

from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render
from django.utils import timezone

from petitions.selectors import statistics

from .ledger_views import LedgerFilter


@staff_member_required
def statistics_view(request):
    """Per point and period: the figures office staff report, with charts."""
    today = timezone.localdate()
    data = request.GET.copy()
    data.setdefault("start", dt.date(today.year, 1, 1).isoformat())
    data.setdefault("end", today.isoformat())
    form = LedgerFilter(data, user=request.user)
    context = {"form": form, "stats": None}
    if form.is_valid():
        points = form.fields["point"].queryset
        if form.cleaned_data["point"]:
            points = points.filter(pk=form.cleaned_data["point"].pk)
        context["stats"] = statistics(points, form.cleaned_data["start"], form.cleaned_data["end"])
        context["start"], context["end"] = form.cleaned_data["start"], form.cleaned_data["end"]
    return render(request, "petitions/statistics.html", context, status=200 if form.is_valid() else 400)
