from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render

from petitions.selectors import statistics

from .ledger_views import period_form


@staff_member_required
def statistics_view(request):
    """Per point and period: the figures office staff report, with charts."""
    form = period_form(request)
    context = {"form": form, "stats": None}
    if form.is_valid():
        points = form.fields["point"].queryset
        if form.cleaned_data["point"]:
            points = points.filter(pk=form.cleaned_data["point"].pk)
        context["stats"] = statistics(points, form.cleaned_data["start"], form.cleaned_data["end"])
        context["start"], context["end"] = form.cleaned_data["start"], form.cleaned_data["end"]
        context["query"] = request.GET.urlencode()
    return render(request, "petitions/statistics.html", context, status=200 if form.is_valid() else 400)
