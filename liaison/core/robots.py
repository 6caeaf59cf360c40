"""Group chat robots: a DingTalk (钉钉 / 政务钉钉) custom robot or a WeCom (企业微信) group robot.

The sending client only: signing, posting, reading the answer, timeouts. Which robots exist and
which events they take is the points app's (``points.models.GroupRobot``, ``points.robots``);
messages reach ``send`` through a Notification row on the ``robot`` channel, so they are
recorded once, retried with backoff and never sent twice.

Both robots answer HTTP 200 with ``{"errcode": 0, "errmsg": "ok"}`` when they took the message
and another ``errcode`` when not. ``RobotError.permanent`` marks answers no retry can fix (the
message itself is refused); a wrong address or secret, throttling and outages are retried, so
that correcting the robot in the work desk lets the waiting messages through.
"""

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings

DINGTALK = "dingtalk"
WECOM = "wecom"

# errcodes that refuse the message itself.
PERMANENT = {
    DINGTALK: {40035, 430101, 430102, 460101},  # missing or invalid parameter, content too long
    WECOM: {40008, 44004, 45002, 40058},  # invalid message type, empty text, content too long, bad parameter
}
# The robots cut longer texts (WeCom: 2048 bytes of text, 4096 of markdown; DingTalk 20000).
MAX_BYTES = {(WECOM, False): 2048, (WECOM, True): 4096, (DINGTALK, False): 20000, (DINGTALK, True): 20000}


class RobotError(Exception):
    def __init__(self, message: str, *, code: int | None = None, permanent: bool = False):
        super().__init__(f"{code}: {message}" if code is not None else message)
        self.code = code
        self.permanent = permanent


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature: base64 of HMAC-SHA256 over ``"<timestamp>\\n<secret>"`` keyed with the
    secret, URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"


def _clip(text: str, limit: int) -> str:
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode(errors="ignore") + "…"


def payload(kind: str, *, title: str, text: str, link: str = "", markdown: bool = False) -> dict:
    """The JSON body for one message: a plain text, or markdown with a title and a link."""
    if markdown:
        content = f"### {title}\n\n{text}" + (f"\n\n[{link}]({link})" if link else "")
    else:
        content = "\n".join(part for part in (title, text, link) if part)
    content = _clip(content, MAX_BYTES[(kind, markdown)])
    if kind == DINGTALK:
        if markdown:
            return {"msgtype": "markdown", "markdown": {"title": title[:64], "text": content}}
        return {"msgtype": "text", "text": {"content": content}}
    if kind == WECOM:
        msgtype = "markdown" if markdown else "text"
        return {"msgtype": msgtype, msgtype: {"content": content}}
    raise RobotError(f"unknown robot kind {kind!r}", permanent=True)


def send(*, kind: str, url: str, secret: str = "", title: str, text: str, link: str = "", markdown=False, now=None):
    """Post one message to a group robot; returns None, or raises RobotError.

    DingTalk robots with 加签 (a secret) get ``&timestamp=…&sign=…``; WeCom's robot key is part of
    its address. ``now`` (seconds since the epoch) is for tests."""
    body = json.dumps(payload(kind, title=title, text=text, link=link, markdown=markdown), ensure_ascii=False)
    if kind == DINGTALK and secret:
        url = signed_url(url, secret, int((time.time() if now is None else now) * 1000))
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise RobotError("the robot's address is not an http(s) address", permanent=True)
    request = urllib.request.Request(  # noqa: S310 — http(s) only, checked above; set by office staff
        url, data=body.encode(), method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.ROBOT_TIMEOUT) as response:  # noqa: S310
            raw = response.read(65536)
    except urllib.error.HTTPError as exc:
        raise RobotError(f"the robot answered HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:  # refused, unreachable, timed out
        raise RobotError(f"the robot could not be reached: {getattr(exc, 'reason', exc)}") from exc
    try:
        answer = json.loads(raw)
        code = int(answer.get("errcode", -1))
    except (ValueError, AttributeError, TypeError) as exc:
        raise RobotError(f"the robot's answer is not its JSON: {raw[:200]!r}") from exc
    if code != 0:
        raise RobotError(str(answer.get("errmsg", "")), code=code, permanent=code in PERMANENT.get(kind, ()))
