"""Public filing, shared by the QR form and the API so both keep the same idempotency and limits."""

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


def submit_public(form, request) -> tuple[Petition, bool]:
    """File the request a valid PublicPetitionForm holds. A submission key seen before returns
    the first request (created False) without counting against the limits; otherwise the
    per-client and per-point limits apply (SubmissionThrottled)."""
    key = form.cleaned_data["submission_key"]
    existing = Petition.objects.filter(submission_key=key).first()
    if existing:  # a double click or a retried POST
        return existing, False
    ip = ratelimit.client_ip(request)
    if not ratelimit.allow(f"submit:ip:{ip}", settings.PETITION_RATE_PER_CLIENT) or not ratelimit.allow(
        f"submit:point:{form.point.pk}", settings.PETITION_RATE_PER_POINT
    ):
        raise SubmissionThrottled
    return services.petition_submit(
        petition=form.save(commit=False),
        actor=ENTERPRISE_ACTOR,
        uploads=form.cleaned_data["attachments"],
        submission_key=key,
    )
