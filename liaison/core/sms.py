"""SMS backends. A backend has ``send(phone, text)`` and raises on failure.

The default records messages in ``outbox`` and the log, as Django's locmem mail backend does;
a deployment points ``SMS_BACKEND`` at a class that talks to its provider.
"""

import logging

log = logging.getLogger(__name__)

outbox: list[tuple[str, str]] = []


class OutboxSmsBackend:
    def send(self, phone: str, text: str) -> None:
        outbox.append((phone, text))
        log.info("SMS to %s: %s", phone, text)
