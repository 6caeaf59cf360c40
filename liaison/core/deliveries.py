"""Outbound deliveries: the plumbing, not the domain.

An app keeps one row per outbound message (status, attempts, next attempt, last answer) and
hands this module its model; this module claims a due row, POSTs it with a hard deadline on
the whole call, classifies the answer and schedules the next attempt:

- ``claim_next`` takes one due row with ``SELECT … FOR UPDATE SKIP LOCKED`` and marks it as
  being sent under a lease, in its own short transaction: two drains never send the same row,
  and a sender that died is replaced once its lease runs out.
- ``post`` never follows a redirect, and gives up when the deadline (connect, headers and
  body together) passes, so a receiver that trickles bytes cannot hold a worker.
- 2xx is delivered; 410 means the receiver is gone for good; anything else (3xx, 4xx, 5xx, a
  timeout, a refused connection) is a failure retried with backoff, not before ``Retry-After``.
"""

import datetime as dt
import email.utils
import http.client
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("waiting to be sent")
    SENDING = "sending", _("being sent")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed, retries exhausted")
    CANCELLED = "cancelled", _("no longer needed")


DUE = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)
BODY_LIMIT = 64 * 1024  # what is read of an answer: enough for an error message
RETRY_AFTER_MAX = dt.timedelta(days=1)


@dataclass(frozen=True)
class Answer:
    """What came of one attempt. ``status`` is None when no answer arrived."""

    status: int | None
    error: str = ""
    retry_after: dt.timedelta | None = None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def gone(self) -> bool:
        return self.status == 410


def backoff(attempts: int) -> dt.timedelta:
    """30 s after the first failure, doubling, at most 6 hours."""
    return dt.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 6 * 3600))


def parse_retry_after(value: str | None, now: dt.datetime) -> dt.timedelta | None:
    """``Retry-After`` as seconds or an HTTP date; None if absent or unreadable; at most a day."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        delay = dt.timedelta(seconds=int(value))
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        delay = when - now
    return max(dt.timedelta(0), min(delay, RETRY_AFTER_MAX))


def next_attempt(answer: Answer, attempts: int, now: dt.datetime) -> dt.datetime:
    """When to try again after a failed attempt: the backoff, or later if the receiver asked."""
    delay = backoff(attempts)
    if answer.retry_after is not None:
        delay = max(delay, answer.retry_after)
    return now + delay


class _Deadline(Exception):
    pass


def post(url: str, body: bytes, headers: dict[str, str], *, deadline: float, now: dt.datetime | None = None) -> Answer:
    """POST ``body`` to ``url`` and return the answer, never taking more than ``deadline``
    seconds from start to the last byte read. Redirects are answers, not followed."""
    now = now or timezone.now()
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return Answer(None, f"not an http(s) address: {url[:200]}")
    end = time.monotonic() + deadline
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname, parts.port, timeout=deadline)
    timer = sock = None
    expired = threading.Event()

    def cut():
        # The socket timeout bounds each read; only closing the socket bounds a receiver that
        # sends one byte just before every timeout.
        expired.set()
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def remaining() -> float:
        left = end - time.monotonic()
        if left <= 0:
            raise _Deadline
        return left

    try:
        connection.connect()
        sock = connection.sock  # the response reads from it even after the connection lets go of it
        sock.settimeout(remaining())
        timer = threading.Timer(remaining(), cut)
        timer.daemon = True
        timer.start()
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request("POST", path, body=body, headers={**headers, "Content-Length": str(len(body))})
        response = connection.getresponse()
        received = 0
        while received < BODY_LIMIT:
            sock.settimeout(remaining())
            chunk = response.read1(min(8192, BODY_LIMIT - received))
            if not chunk:
                break
            received += len(chunk)
        remaining()
        error = "" if 200 <= response.status < 300 else f"answered {response.status} {response.reason}"[:200]
        return Answer(response.status, error, parse_retry_after(response.getheader("Retry-After"), now))
    except (_Deadline, TimeoutError):
        return Answer(None, f"no complete answer within {deadline:g} s")
    except (OSError, http.client.HTTPException) as exc:
        if expired.is_set():
            return Answer(None, f"no complete answer within {deadline:g} s")
        return Answer(None, f"{type(exc).__name__}: {exc}"[:500])
    finally:
        if timer is not None:
            timer.cancel()
        connection.close()


def claim_next(queryset, *, now: dt.datetime, lease: dt.timedelta):
    """Claim one due row of ``queryset`` (a model with ``status``, ``attempts`` and
    ``next_attempt_at``) for this sender: marked as being sent until ``now + lease``, its
    attempt counted. Rows other senders hold are skipped. Returns the row, or None."""
    with transaction.atomic():
        row = (
            queryset.filter(status__in=DUE, next_attempt_at__lte=now)
            .select_for_update(skip_locked=True)
            .order_by("next_attempt_at", "pk")
            .first()
        )
        if row is None:
            return None
        queryset.model.objects.filter(pk=row.pk).update(
            status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + lease
        )
        row.refresh_from_db()
        return row


def still_claimed(row):
    """A queryset of ``row`` as claimed: empty once the lease was lost to another sender."""
    return type(row).objects.filter(pk=row.pk, status=DeliveryStatus.SENDING, attempts=row.attempts)
