"""Signed HTTP messages to and from external platforms: Standard Webhooks v1.

Every message carries ``webhook-id`` (stable across retries, so the receiver can drop repeats),
``webhook-timestamp`` (Unix seconds) and ``webhook-signature``: ``v1,<base64 HMAC-SHA256 of
"<id>.<timestamp>.<body>">`` for each secret in use, separated by spaces, so a receiver that
knows either the current or the previous secret accepts it while a secret is being rotated.
Secrets are ``whsec_`` + base64 of at least 24 random bytes. Signing and verifying are the
reference library's (``standardwebhooks``); this module adds the rotation, the window check
with an injectable clock and a strict reading of malformed input.

The older ``X-Liaison-Timestamp``/``X-Liaison-Signature`` scheme (hex HMAC over
``"<timestamp>." + body`` with one shared secret) is still accepted and sent for one release.
"""

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from standardwebhooks.webhooks import Webhook

WINDOW_SECONDS = 300
SECRET_PREFIX = "whsec_"  # noqa: S105 — the format's prefix, not a secret
SECRET_BYTES = 32
MIN_SECRET_BYTES = 24
ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER = "webhook-id", "webhook-timestamp", "webhook-signature"
LEGACY_TIMESTAMP_HEADER, LEGACY_SIGNATURE_HEADER = "X-Liaison-Timestamp", "X-Liaison-Signature"


def new_secret() -> str:
    """A fresh secret: ``whsec_`` and base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_bytes(secret: str) -> bytes:
    """The key of a ``whsec_`` secret; ValueError unless it is strict base64 of 24 bytes or more."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a secret starts with whsec_")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except binascii.Error as exc:
        raise ValueError("a secret is base64 after whsec_") from exc
    if len(key) < MIN_SECRET_BYTES:
        raise ValueError(f"a secret has at least {MIN_SECRET_BYTES} random bytes")
    return key


def validate_secret(value: str) -> None:
    """Model-field validator for ``whsec_`` secrets (empty is allowed where the field is optional)."""
    if not value:
        return
    try:
        secret_bytes(value)
    except ValueError:
        raise ValidationError(
            _("Enter whsec_ followed by the base64 of at least %(n)d random bytes."),
            params={"n": MIN_SECRET_BYTES},
            code="weak_secret",
        ) from None


def _stamp(timestamp: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, tz=dt.UTC)


def signature(secrets_in_use: Iterable[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: one ``v1,…`` per secret, space-separated."""
    text = body.decode()
    return " ".join(
        Webhook(secret_bytes(secret)).sign(msg_id=msg_id, timestamp=_stamp(timestamp), data=text)
        for secret in secrets_in_use
        if secret
    )


def sign_headers(
    secrets_in_use: Iterable[str], msg_id: str, body: bytes, *, timestamp: int | None = None, legacy_secret: str = ""
) -> dict[str, str]:
    """Headers for one outbound message (and the legacy pair if a legacy secret is still set)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    headers = {
        ID_HEADER: msg_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secrets_in_use, msg_id, timestamp, body),
    }
    if legacy_secret:
        headers[LEGACY_TIMESTAMP_HEADER] = str(timestamp)
        headers[LEGACY_SIGNATURE_HEADER] = sign(legacy_secret, timestamp, body)
    return headers


def _in_window(timestamp, now: float | None) -> int | None:
    try:
        stamp = int(timestamp)
    except (TypeError, ValueError):
        return None
    if abs((now if now is not None else time.time()) - stamp) > WINDOW_SECONDS:
        return None
    return stamp


def verify_standard(
    secrets_in_use: Iterable[str], body: bytes, headers: Mapping[str, str], now: float | None = None
) -> bool:
    """True if ``headers`` carry a valid Standard Webhooks signature of ``body`` by any of the
    secrets, with a timestamp within the window. Malformed headers or bodies are simply False."""
    wanted = {ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER}
    found = {k.lower(): v for k, v in headers.items() if k.lower() in wanted}
    if len(found) != 3 or _in_window(found[TIMESTAMP_HEADER], now) is None:
        return False
    stamp = int(found[TIMESTAMP_HEADER])
    offered = found[SIGNATURE_HEADER].split(" ")
    for secret in secrets_in_use:
        if not secret:
            continue
        try:
            expected = signature([secret], found[ID_HEADER], stamp, body)
        except (ValueError, UnicodeDecodeError):  # a bad secret on our side, or a body that is not UTF-8
            return False
        if any(hmac.compare_digest(expected.encode(), candidate.encode()) for candidate in offered):
            return True
    return False


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Legacy: hex HMAC-SHA256 over ``"<timestamp>." + body``."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, now: float | None = None) -> bool:
    """Legacy: True if the hex signature matches and the timestamp is within the window."""
    stamp = _in_window(timestamp, now)
    if stamp is None or not secret:
        return False
    return hmac.compare_digest(sign(secret, stamp, body), signature or "")
