"""Signed HTTP messages to and from external platforms (HMAC-SHA256 over timestamp and body).

Signature: hex HMAC-SHA256 with the platform's secret over ``"<timestamp>." + body``, sent in
``X-Liaison-Signature`` with the Unix time in ``X-Liaison-Timestamp``.
"""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request

WINDOW_SECONDS = 300
TIMEOUT_SECONDS = 10


class WebhookError(Exception):
    """The receiver did not take the message (network error or a non-2xx answer)."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, now: float | None = None) -> bool:
    """True if the signature matches and the timestamp is within the replay window."""
    try:
        stamp = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - stamp) > WINDOW_SECONDS:
        return False
    return hmac.compare_digest(sign(secret, stamp, body), signature or "")


def post_signed(url: str, secret: str, payload: dict) -> int:
    """POST ``payload`` as signed JSON; returns the status, raises WebhookError otherwise."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str).encode()
    stamp = int(time.time())
    request = urllib.request.Request(  # noqa: S310 — the address is configured by administrators
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "X-Liaison-Timestamp": str(stamp),
            "X-Liaison-Signature": sign(secret, stamp, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        raise WebhookError(f"receiver answered {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise WebhookError(f"receiver unreachable: {exc}") from exc
