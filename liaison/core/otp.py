"""One-time codes sent by SMS: 6 digits, valid 10 minutes, 5 tries, issued under limits.

A code belongs to a ``purpose`` ("password-reset", "recover-link") and a ``subject`` (a user
name, a request number and phone…). Only a keyed hash of it is kept, in the shared cache, so
neither a cache dump nor the database holds a usable code. Tries are counted per subject whether
or not a code was issued, and issuing is counted per subject whether or not it exists, so the
answers never tell a known subject from an unknown one. If the cache is away, nothing can be
issued (``issue`` refuses with a 503 message) and nothing verifies.

SMS are sent by the SMS backend off the request thread: the page answers in the same time
whether a message went out or not (a provider's latency would otherwise tell).
"""

import hashlib
import hmac
import logging
import secrets
import time
from concurrent.futures import ThreadPoolExecutor, wait

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from . import ratelimit, sms

log = logging.getLogger(__name__)

DIGITS = 6
TTL = 10 * 60
MAX_TRIES = 5

_sender = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sms")
_pending = []


class Refused(Exception):
    """Too many codes or tries (429), or no cache to keep a code (503); ``message`` says what to
    do, identically for every subject."""

    def __init__(self, message, status=429):
        self.message = message
        self.status = status
        super().__init__(message)


def _id(purpose: str, subject: str) -> str:
    return hashlib.sha256(f"{purpose}\x1f{subject}".encode()).hexdigest()[:32]


def _digest(purpose: str, subject: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{purpose}\x1f{subject}\x1f{code}".encode(), "sha256").hexdigest()


def issue(purpose: str, subject: str, *, client: str, now: float | None = None) -> str:
    """Count a request for a code for ``subject`` from ``client`` and, if within the limits
    (OTP_PER_SUBJECT and OTP_PER_CLIENT an hour), make a new code, replacing any earlier one.
    Returns the code. Raises Refused when over a limit — whether or not the caller will send
    the code, so the limit reveals nothing — or when the cache could not keep the code."""
    now = time.time() if now is None else now
    ident = _id(purpose, subject)
    if not ratelimit.allow(f"otp:{purpose}:client:{client}", settings.OTP_PER_CLIENT, now=now) or not (
        ratelimit.allow(f"otp:{purpose}:subject:{ident}", settings.OTP_PER_SUBJECT, now=now)
    ):
        raise Refused(_("Too many codes were requested. Please try again in an hour."))
    code = f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"
    record = {"digest": _digest(purpose, subject, code), "expires": now + TTL}
    cache.set(f"otp:{ident}", record, TTL + 60)
    cache.delete(f"otp-tries:{ident}")
    if cache.get(f"otp:{ident}") != record:
        log.warning("one-time code for %s could not be stored; cache unavailable", purpose)
        raise Refused(_("Codes cannot be sent right now. Please try again in a few minutes."), status=503)
    return code


def verify(purpose: str, subject: str, code: str, *, now: float | None = None) -> bool:
    """True once for the right code within 10 minutes of its issue; the code is then spent.
    Every call counts a try for the subject (known or not); after MAX_TRIES the code is void
    and Refused is raised until a new code is issued."""
    now = time.time() if now is None else now
    ident = _id(purpose, subject)
    tries_key = f"otp-tries:{ident}"
    try:
        cache.add(tries_key, 0, TTL + 60)
        tries = cache.incr(tries_key)
    except Exception:  # noqa: BLE001 — without a cache there is no code to check either
        return False
    if tries > MAX_TRIES:
        cache.delete(f"otp:{ident}")
        raise Refused(_("Too many wrong codes. Please request a new code."))
    record = cache.get(f"otp:{ident}")
    given = "".join(str(code or "").split())
    if not record or record["expires"] < now or not given.isdigit() or len(given) != DIGITS:
        return False
    if not hmac.compare_digest(record["digest"], _digest(purpose, subject, given)):
        return False
    cache.delete_many([f"otp:{ident}", tries_key])
    return True


def run_in_background(call) -> None:
    """Run ``call`` off the request thread; a failure is logged (the person asks again)."""

    def run():
        try:
            call()
        except Exception:  # noqa: BLE001 — nothing to retry: the code is void in 10 minutes
            log.warning("one-time code message could not be sent", exc_info=True)

    _pending.append(_sender.submit(run))
    del _pending[:-100]


def send_sms(phone: str, text: str, *, template: str, params: dict[str, str]) -> None:
    """Hand the message to the SMS backend on a background thread: ``template`` names the
    provider's approved template (``SMS_TEMPLATE_<TEMPLATE>``) and ``params`` its parameters in
    order; ``text`` is what the development backends write. A code is a secret, so it is sent
    directly, never recorded as a message row."""
    message = sms.SmsMessage(phone=phone, text=text, template=template, params=params)
    run_in_background(lambda: sms.send(message))


def wait_for_sends(timeout: float = 5) -> None:
    """Wait for the SMS handed over so far (tests, management commands)."""
    wait(list(_pending), timeout=timeout)
