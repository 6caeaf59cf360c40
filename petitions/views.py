from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liaison.core.notifications import absolute_url
from points.models import RetiredQrToken
from points.selectors import active_point

from .access import access_petition_by_token
from .actions import STEPS, TransitionRefused, allowed_steps
from .forms import PublicPetitionForm
from .intake import AdditionsThrottled, SubmissionKeyReused, SubmissionThrottled, submit_public, take_public_step
from .messages import public_timeline
from .models import Attachment
from .uploads import attachment_response
from .workflow import ENTERPRISE_ACTOR


def _point_for_token(request, token):
    point = active_point("qr_token", token)
    if point:
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
        except (SubmissionThrottled, SubmissionKeyReused) as exc:
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


def track_file(request, number, token, pk):
    """A reply letter (答复函) to the enterprise that holds the request's secret link: only the
    letters of that request, never the staff's other files."""
    petition = access_petition_by_token(number, token)
    letter = get_object_or_404(petition.attachments, pk=pk, purpose=Attachment.Purpose.REPLY_LETTER)
    return attachment_response(letter)


def _render_track(request, petition, *, forms=None, status=200):
    """The tracking page, with a form for each step the enterprise may take now."""
    forms = forms or {}
    steps = {step.name: step for step in allowed_steps(petition, ENTERPRISE_ACTOR)}
    context = {
        "petition": petition,
        "events": public_timeline(petition),
        "letters": petition.attachments.filter(purpose=Attachment.Purpose.REPLY_LETTER),
        "is_new": request.GET.get("new") == "1",
        "track_url": absolute_url(petition.get_tracking_url()),
        **{
            f"{key}_form": forms.get(name) or steps[name].bind(petition) if name in steps else None
            for key, name in (("add", "add_info"), ("rate", "rate"))
        },
    }
    return render(request, "petitions/track.html", context, status=status)


DONE = {"add_info": _("Your information was added."), "rate": _("Thank you for your rating.")}


@require_POST
def take_step(request, number, token, name):
    """The enterprise adds information or rates, through the step's form and service."""
    petition = access_petition_by_token(number, token)
    form = STEPS[name].bind(petition, request.POST, request.FILES)
    if not form.is_valid():
        return _render_track(request, petition, forms={name: form}, status=400)
    try:
        take_public_step(name, form, request, petition)
    except AdditionsThrottled as exc:
        form.add_error(None, exc.message)
        return _render_track(request, petition, forms={name: form}, status=429)
    except ValidationError as exc:  # an attachment refused once decoded
        form.add_error(None, exc)
        return _render_track(request, petition, forms={name: form}, status=400)
    except TransitionRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, DONE[name])
    return redirect(petition.get_tracking_url())
