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
from .models import Petition
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
    if not Petition.objects.filter(point=form.point, contact_phone=phone).exists():
        limits.append((f"submit:point:{form.point.pk}", settings.PETITION_RATE_PER_POINT))
    return limits


def submit_public(form, request) -> tuple[Petition, bool]:
    """File the request a valid PublicPetitionForm holds. A submission key seen before returns
    the first request (created False) without counting against the limits, if it was filed at
    the same point with the same number, title and content; else SubmissionKeyReused. A new
    request passes the limits above or raises SubmissionThrottled."""
    key = form.cleaned_data["submission_key"]
    existing = Petition.objects.filter(submission_key=key).first()
    if existing:  # a double click or a retried POST
        if not _same_request(existing, form):
            raise SubmissionKeyReused
        return existing, False
    for limit_key, limit in _limits(form, request):
        if not ratelimit.allow(limit_key, limit):
            raise SubmissionThrottled
    return services.petition_submit(
        petition=form.save(commit=False),
        actor=ENTERPRISE_ACTOR,
        uploads=form.cleaned_data["attachments"],
        submission_key=key,
    )
