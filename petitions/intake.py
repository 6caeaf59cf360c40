"""Public filing, shared by the QR form and the API so both keep the same idempotency and limits.

The limits are built so that nobody can use them to close a point's intake (issue 15, item 13):

- per (client address, contact number), PETITION_RATE_PER_CLIENT an hour: one phone on the
  factory's Wi-Fi filing again and again is stopped, its colleagues on the same Wi-Fi are not;
- per client address, PETITION_RATE_PER_ADDRESS an hour, a much higher ceiling for the whole
  address (a flood from one machine that invents a new number per request);
- per point, PETITION_RATE_PER_POINT an hour, counted only for contact numbers that never filed
  at this point before: a flood of invented numbers fills this counter, but an enterprise that
  has filed here before is never refused by it.

All are sliding windows (``ratelimit.allow``) and fail open when the cache is away. A repeat of
a submission key is answered before any limit and counts against none.
"""

from django.conf import settings
from django.utils.translation import gettext as _

from liaison.core import ratelimit

from . import services
from .actions import STEPS
from .models import Petition
from .uploads import finish_uploads
from .workflow import ENTERPRISE_ACTOR


class SubmissionThrottled(Exception):
    def __init__(self):
        self.message = _(
            "Too many requests were sent from here in the last hour. Please try again later or call the point."
        )
        super().__init__(self.message)


class SubmissionKeyReused(Exception):
    """The submission key belongs to a different request (another point or other content)."""

    def __init__(self):
        self.message = _("This submission key was already used for a different request. Please send it with a new key.")
        super().__init__(self.message)


def _same_request(existing: Petition, form) -> bool:
    data = form.cleaned_data
    return (
        existing.point_id == form.point.pk
        and existing.contact_phone == data["contact_phone"]
        and existing.title == data["title"]
        and existing.content == data["content"]
    )


def _limits(form, request) -> list[tuple[str, int]]:
    ip = ratelimit.client_ip(request)
    phone = form.cleaned_data["contact_phone"]
    limits = [
        (f"submit:ip-phone:{ip}:{phone}", settings.PETITION_RATE_PER_CLIENT),
        (f"submit:ip:{ip}", settings.PETITION_RATE_PER_ADDRESS),
    ]
    if not form.prior["known_number"]:  # read with the form's look-up (PublicPetitionForm.clean)
        limits.append((f"submit:point:{form.point.pk}", settings.PETITION_RATE_PER_POINT))
    return limits


def submit_public(form, request) -> tuple[Petition, bool]:
    """File the request a valid PublicPetitionForm holds. A submission key seen before returns
    the first request (created False) without counting against the limits, if it was filed at
    the same point with the same number, title and content; else SubmissionKeyReused. A new
    request passes the limits above or raises SubmissionThrottled. Attachments are decoded only
    once the limits have passed; a file refused then raises ValidationError."""
    key = form.cleaned_data["submission_key"]
    existing = Petition.objects.get(pk=form.prior["existing"]) if form.prior["existing"] else None
    if existing:  # a double click or a retried POST
        if not _same_request(existing, form):
            raise SubmissionKeyReused
        return existing, False
    if not ratelimit.allow_all(_limits(form, request)):
        raise SubmissionThrottled
    return services.petition_submit(
        petition=form.save(commit=False),
        actor=ENTERPRISE_ACTOR,
        uploads=finish_uploads(form.cleaned_data["attachments"]),  # decoding costs: only past the limits
        submission_key=key,
    )


class AdditionsThrottled(Exception):
    def __init__(self):
        self.message = _(
            "Too much information was added to this request from here in the last hour. Please try again later."
        )
        super().__init__(self.message)


def check_additions(request, petition) -> None:
    """Count one addition to ``petition`` from this client; AdditionsThrottled past the hourly
    limits per request and per client. Call it before anything is decoded."""
    ip = ratelimit.client_ip(request)
    if not ratelimit.allow(
        f"add_info:request:{petition.pk}", settings.PETITION_ADD_INFO_RATE_PER_REQUEST
    ) or not ratelimit.allow(f"add_info:ip:{ip}", settings.PETITION_ADD_INFO_RATE_PER_CLIENT):
        raise AdditionsThrottled


def take_public_step(name: str, form, request, petition) -> Petition:
    """Take the enterprise's step ``name`` (add information, rate) with what its valid form
    holds. Additions count against ``check_additions`` first, and their attachments are decoded
    only past those limits (ValidationError for a file refused then); a step the request's state
    does not allow raises TransitionRefused."""
    data = dict(form.cleaned_data)
    if name == "add_info":
        check_additions(request, petition)
        data["attachments"] = finish_uploads(data["attachments"])
    return STEPS[name].perform(petition, ENTERPRISE_ACTOR, data)
