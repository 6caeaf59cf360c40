from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from points.models import LiaisonPoint, RetiredQrToken

from . import services
from .access import access_petition_by_token
from .forms import AddInfoForm, PublicPetitionForm, RateForm
from .intake import AdditionsThrottled, SubmissionThrottled, add_info_public, submit_public
from .workflow import ENTERPRISE_ACTOR, allowed_actions


def _point_for_token(request, token):
    point = LiaisonPoint.objects.filter(qr_token=token).select_related("organisation").first()
    if point and point.active:
        return point, None
    retired = RetiredQrToken.objects.filter(token=token).select_related("point").first()
    if retired:
        return None, render(request, "petitions/code_replaced.html", {"point": retired.point}, status=410)
    raise Http404(_("This code does not belong to any active liaison point."))


def submit(request, token):
    """The QR target: an enterprise files a request on its phone; works without JavaScript."""
    point, replaced = _point_for_token(request, token)
    if replaced:
        return replaced
    form = PublicPetitionForm(request.POST or None, request.FILES or None, point=point)
    if request.method == "POST" and form.is_valid():
        try:
            petition, _created = submit_public(form, request)
        except SubmissionThrottled as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:  # an attachment refused once decoded
            form.add_error(None, exc)
        else:
            return redirect(petition.get_tracking_url() + "?new=1")
    status = 400 if form.errors else 200
    return render(request, "petitions/submit.html", {"point": point, "form": form}, status=status)


def track(request, number, token):
    petition = access_petition_by_token(number, token)
    return _render_track(request, petition)


def _render_track(request, petition, *, add_form=None, rate_form=None, status=200):
    actions = allowed_actions(petition, ENTERPRISE_ACTOR)
    context = {
        "petition": petition,
        "events": petition.events.filter(public=True),
        "attachments": petition.attachments.all(),
        "is_new": request.GET.get("new") == "1",
        "track_url": settings.PUBLIC_BASE_URL + petition.get_tracking_url(),
        "add_form": (add_form or AddInfoForm()) if "add_info" in actions else None,
        "rate_form": (rate_form or RateForm()) if "rate" in actions else None,
    }
    return render(request, "petitions/track.html", context, status=status)


@require_POST
def add_info(request, number, token):
    petition = access_petition_by_token(number, token)
    form = AddInfoForm(request.POST, request.FILES)
    status = 400
    if form.is_valid():
        try:
            add_info_public(form, request, petition)
        except AdditionsThrottled as exc:
            form.add_error(None, exc.message)
            status = 429
        except ValidationError as exc:  # an attachment refused once decoded
            form.add_error(None, exc)
        except services.TransitionRefused as exc:
            messages.error(request, exc.message)
            return redirect(petition.get_tracking_url())
        else:
            messages.success(request, _("Your information was added."))
            return redirect(petition.get_tracking_url())
    return _render_track(request, petition, add_form=form, status=status)


@require_POST
def rate(request, number, token):
    petition = access_petition_by_token(number, token)
    form = RateForm(request.POST)
    if form.is_valid():
        try:
            services.petition_rate(
                petition=petition,
                actor=ENTERPRISE_ACTOR,
                satisfaction=form.cleaned_data["satisfaction"],
                comment=form.cleaned_data["comment"],
            )
        except services.TransitionRefused as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Thank you for your rating."))
        return redirect(petition.get_tracking_url())
    return _render_track(request, petition, rate_form=form, status=400)
