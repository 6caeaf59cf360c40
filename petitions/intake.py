"""Public filing, shared by the QR form and the API so both keep the same idempotency and limits."""

from django.conf import settings
from django.utils.translation import gettext as _

from liaison.core import ratelimit

from . import services
from .models import Petition
from .uploads import finish_uploads
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
    per-client and per-point limits apply (SubmissionThrottled). Attachments are decoded only
    once the limits have passed; a file refused then raises ValidationError."""
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


def add_info_public(form, request, petition) -> Petition:
    """Add what a valid AddInfoForm holds to ``petition`` for the enterprise, within the limits
    of ``check_additions``. Attachments are decoded only past the limits (ValidationError for a
    file refused then); a closed request raises the service's TransitionRefused."""
    check_additions(request, petition)
    return services.petition_add_info(
        petition=petition, text=form.cleaned_data["text"], uploads=finish_uploads(form.cleaned_data["attachments"])
    )
