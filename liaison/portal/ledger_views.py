import datetime as dt

from django import forms
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison.core.ledger import REGISTRY, csv_response, numbered, xlsx_response
from points.models import LiaisonPoint

PRINT_LIMIT = 5000  # beyond this the print view asks for an export instead
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2100, 12, 31)


class LedgerFilter(forms.Form):
    point = forms.ModelChoiceField(
        label=_("Point"), queryset=LiaisonPoint.objects.none(), required=False, empty_label=_("All my points")
    )
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point"].queryset = LiaisonPoint.objects.visible_to(user)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("The period must start before it ends."))
        # Dates at the calendar's ends overflow the day after the period; centuries of months
        # would draw charts of thousands of bars. No record here predates 2000.
        if any(day and not FIRST_DAY <= day <= LAST_DAY for day in (data.get("start"), data.get("end"))):
            raise forms.ValidationError(_("Choose dates between 2000 and 2100."))
        return data


def period_form(request) -> LedgerFilter:
    """The point-and-period filter of ledgers and statistics, this year so far by default."""
    today = timezone.localdate()
    data = request.GET.copy()
    data.setdefault("start", dt.date(today.year, 1, 1).isoformat())
    data.setdefault("end", today.isoformat())
    return LedgerFilter(data, user=request.user)


@staff_member_required
def index(request):
    ledgers = [lg for lg in sorted(REGISTRY.values(), key=lambda lg: lg.order) if request.user.has_perm(lg.permission)]
    return render(request, "ledgers/index.html", {"ledgers": ledgers, "form": period_form(request)})


def _ledger(request, slug):
    ledger = REGISTRY.get(slug)
    if ledger is None:
        raise Http404
    if not request.user.has_perm(ledger.permission):
        raise PermissionDenied
    form = period_form(request)
    if not form.is_valid():
        return ledger, form, None
    points = form.fields["point"].queryset
    if form.cleaned_data["point"]:
        points = points.filter(pk=form.cleaned_data["point"].pk)
    return ledger, form, points


@staff_member_required
def ledger_print(request, slug):
    """The A4 landscape print view: header with point and period, the table, signature lines."""
    ledger, form, points = _ledger(request, slug)
    context = {"ledger": ledger, "form": form, "rows": None}
    if points is not None:
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        rows = list(numbered(ledger.rows(points, start, end)))
        point = form.cleaned_data["point"]
        context.update(
            rows=rows[:PRINT_LIMIT],
            truncated=len(rows) > PRINT_LIMIT,
            point_label=point.name if point else "、".join(p.name for p in points) or "—",
            start=start,
            end=end,
            printed_on=timezone.localdate(),
            query=request.GET.urlencode(),
        )
    return render(request, "ledgers/print.html", context, status=200 if points is not None else 400)


@staff_member_required
def ledger_export(request, slug, fmt):
    if fmt not in ("csv", "xlsx"):
        raise Http404
    ledger, form, points = _ledger(request, slug)
    if points is None:
        return render(request, "ledgers/print.html", {"ledger": ledger, "form": form, "rows": None}, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    point = form.cleaned_data["point"]
    label = point.name if point else "全部"
    filename = f"{ledger.title}-{label}-{start:%Y%m%d}-{end:%Y%m%d}"
    rows = ledger.rows(points, start, end)
    if fmt == "csv":
        return csv_response(ledger, rows, filename)
    heading = f"{ledger.title}　{label}　{start:%Y-%m-%d} 至 {end:%Y-%m-%d}"
    return xlsx_response(ledger, rows, filename, heading)
