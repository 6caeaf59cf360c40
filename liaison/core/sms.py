"""SMS: the backend interface, the development backends and the providers' adapters.

A message is an ``SmsMessage``: the phone, the rendered Chinese text and, because providers only
send texts whose template they approved in advance, the message's template name with its
parameters (``templates/notifications/<name>/sms.txt``). ``SMS_BACKEND`` names the class; its
``send_message(message)`` returns the provider's id for the message or raises ``SmsError``,
``permanent`` when sending it again cannot work (a bad number, a template not approved), so the
delivery scan stops retrying that message. Everything else is retried with backoff.

- ``FileSmsBackend`` (the embedded default) appends the text as one JSON line (``to``, ``text``,
  ``at``) to ``SMS_FILE``; ``OutboxSmsBackend`` keeps it in ``outbox`` (tests). Production
  refuses both unless ``SMS_ALLOW_DEV_BACKEND=true``.
- ``AlibabaSmsBackend`` and ``TencentSmsBackend`` send the approved template: ``SMS_TEMPLATE_<NAME>``
  maps a message (``reception_reminder``) to its template code, ``SMS_SIGN_NAME`` is the approved
  signature, credentials are ``SMS_ACCESS_KEY_ID`` / ``SMS_ACCESS_KEY_SECRET``.

A class from before templates, with only ``send(phone, text)``, still works: it gets the text.
"""

import json
import logging
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

outbox: list[tuple[str, str]] = []

# Mainland mobile numbers, as people type them (spaces, hyphens, +86 / 0086 in front).
_MAINLAND = re.compile(r"^(?:\+?86|0086)?(1[3-9]\d{9})$")

DEV_BACKENDS = ("liaison.core.sms.FileSmsBackend", "liaison.core.sms.OutboxSmsBackend")


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    text: str  # the rendered message, for backends that send free text
    template: str = ""  # the message's template name, e.g. "reception_reminder"
    params: dict[str, str] = field(default_factory=dict)  # in the order the template lists them
    reference: str = ""  # our id for the message, passed to providers that echo it back


class SmsError(Exception):
    """The message was not sent. ``permanent``: it never will be, do not retry it."""

    def __init__(self, message: str, *, code: str = "", permanent: bool = False):
        super().__init__(f"{code}: {message}" if code else message)
        self.code = code
        self.permanent = permanent


def mainland_number(phone: str) -> str:
    """The 11-digit number, or a permanent SmsError: no provider can deliver to a malformed one."""
    match = _MAINLAND.match(re.sub(r"[\s()-]", "", phone or ""))
    if not match:
        raise SmsError(f"not a mainland mobile number: {phone!r}", code="BadNumber", permanent=True)
    return match.group(1)


class SmsBackend:
    def send_message(self, message: SmsMessage) -> str:
        raise NotImplementedError


class _TextOnly(SmsBackend):
    """Adapts a backend with only ``send(phone, text)``."""

    def __init__(self, backend):
        self.backend = backend

    def send_message(self, message: SmsMessage) -> str:
        self.backend.send(message.phone, message.text)
        return ""


def get_backend() -> SmsBackend:
    backend = import_string(settings.SMS_BACKEND)()
    return backend if hasattr(backend, "send_message") else _TextOnly(backend)


def send(message: SmsMessage) -> str:
    """Send one message through ``SMS_BACKEND``; the provider's id, or SmsError (or any error)."""
    return get_backend().send_message(message)


# Development backends: they write the text, so a developer (or a test) reads what would go out.


class OutboxSmsBackend(SmsBackend):
    def send_message(self, message: SmsMessage) -> str:
        outbox.append((message.phone, message.text))
        log.info("SMS to %s: %s", message.phone, message.text)
        return ""

    def send(self, phone: str, text: str) -> None:
        self.send_message(SmsMessage(phone=phone, text=text))


class FileSmsBackend(SmsBackend):
    """One JSON line per message in ``SMS_FILE`` (``var/sms.log``); one write per line, in append
    mode, so lines of concurrent workers never interleave."""

    def send_message(self, message: SmsMessage) -> str:
        line = {"to": message.phone, "text": message.text, "at": timezone.localtime().isoformat(timespec="seconds")}
        if message.template:
            line["template"] = message.template
        path = settings.SMS_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as log_file:
            log_file.write(json.dumps(line, ensure_ascii=False) + "\n")
        return ""


# Providers: template code + parameters through the provider's official SDK.


class ProviderSmsBackend(SmsBackend):
    ACCOUNT: tuple[str, ...] = ()  # settings this provider needs besides the key pair and signature
    # Answer codes no retry can fix; anything else (throttling, balance, credentials, outages)
    # is retried: an operator can fix it, and the message goes out then.
    PERMANENT: frozenset[str] = frozenset()

    def template_code(self, message: SmsMessage) -> str:
        code = settings.SMS_TEMPLATES.get(message.template)
        if not code:
            # A configuration gap an operator can close: retried, not dropped.
            raise SmsError(
                f"no provider template for message {message.template!r}: set SMS_TEMPLATE_{message.template.upper()}",
                code="NoTemplate",
            )
        return code

    def failed(self, code: str, text: str) -> SmsError:
        return SmsError(text, code=code, permanent=code in self.PERMANENT)

    @staticmethod
    def timeout_ms() -> int:
        return int(settings.SMS_TIMEOUT * 1000)


class AlibabaSmsBackend(ProviderSmsBackend):
    """Alibaba Cloud SMS (阿里云短信服务, Dysmsapi 2017-05-25 SendSms). The answer's ``Code`` is
    ``OK`` when the provider took the message; error codes: help.aliyun.com/document_detail/101346."""

    PERMANENT = frozenset(
        {
            "isv.MOBILE_NUMBER_ILLEGAL",  # not a valid number
            "isv.MOBILE_COUNT_OVER_LIMIT",
            "isv.DOMESTIC_NUMBER_NOT_SUPPORTED",
            "isv.SMS_TEMPLATE_ILLEGAL",  # template missing or not approved
            "isv.SMS_SIGNATURE_ILLEGAL",  # signature missing or not approved
            "isv.TEMPLATE_MISSING_PARAMETERS",
            "isv.INVALID_PARAMETERS",
            "isv.INVALID_JSON_PARAM",
            "isv.PARAM_LENGTH_LIMIT",
            "isv.PARAM_NOT_SUPPORT_URL",
            "isv.BLACK_KEY_CONTROL_LIMIT",  # words the provider refuses
            "isv.SMS_CONTENT_ILLEGAL",
        }
    )

    def client(self):
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi.utils_models import Config

        return Client(
            Config(
                access_key_id=settings.SMS_ACCESS_KEY_ID,
                access_key_secret=settings.SMS_ACCESS_KEY_SECRET,
                endpoint=settings.SMS_ENDPOINT or "dysmsapi.aliyuncs.com",
                protocol=settings.SMS_PROTOCOL,
                region_id=settings.SMS_REGION or "cn-hangzhou",
                connect_timeout=self.timeout_ms(),
                read_timeout=self.timeout_ms(),
            )
        )

    def send_message(self, message: SmsMessage) -> str:
        from alibabacloud_dysmsapi20170525.models import SendSmsRequest
        from alibabacloud_tea_openapi.exceptions import AlibabaCloudException
        from darabonba.runtime import RuntimeOptions

        request = SendSmsRequest(
            phone_numbers=mainland_number(message.phone),
            sign_name=settings.SMS_SIGN_NAME,
            template_code=self.template_code(message),
            template_param=json.dumps(message.params, ensure_ascii=False),
            out_id=message.reference or None,
        )
        runtime = RuntimeOptions(autoretry=False, connect_timeout=self.timeout_ms(), read_timeout=self.timeout_ms())
        try:
            body = self.client().send_sms_with_options(request, runtime).body
        except AlibabaCloudException as exc:  # an HTTP error answer: credentials, throttling, outage
            raise self.failed(exc.code or "HTTPError", exc.message or str(exc)) from exc
        except Exception as exc:  # noqa: BLE001 — the SDK wraps network errors and timeouts in its own types
            raise SmsError(str(exc) or type(exc).__name__, code=type(exc).__name__) from exc
        if body is None or body.code != "OK":
            raise self.failed(getattr(body, "code", None) or "NoAnswer", getattr(body, "message", None) or "")
        return body.biz_id or ""


class TencentSmsBackend(ProviderSmsBackend):
    """Tencent Cloud SMS (腾讯云短信, 2021-01-11 SendSms). The per-number ``Code`` is ``Ok`` when the
    provider took the message; error codes: cloud.tencent.com/document/product/382/52075."""

    ACCOUNT = ("SMS_APP_ID",)

    PERMANENT = frozenset(
        {
            "InvalidParameterValue.IncorrectPhoneNumber",
            "FailedOperation.PhoneNumberParseFail",
            "FailedOperation.PhoneNumberInBlacklist",
            "UnsupportedOperation.UnsupportedRegion",
            "FailedOperation.TemplateIncorrectOrUnapproved",
            "FailedOperation.SignatureIncorrectOrUnapproved",
            "FailedOperation.MissingTemplateToModify",
            "InvalidParameterValue.TemplateParameterFormatError",
            "InvalidParameterValue.TemplateParameterLengthLimit",
            "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter",
            "InvalidParameterValue.ContentLengthLimit",
            "FailedOperation.ContainSensitiveWord",
        }
    )

    def client(self):
        from tencentcloud.common.credential import Credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111.sms_client import SmsClient

        http = HttpProfile(
            protocol=settings.SMS_PROTOCOL,
            endpoint=settings.SMS_ENDPOINT or "sms.tencentcloudapi.com",
            reqTimeout=settings.SMS_TIMEOUT,
        )
        # No region breaker: it would switch to another endpoint than the one configured.
        profile = ClientProfile(httpProfile=http, disable_region_breaker=True)
        credential = Credential(settings.SMS_ACCESS_KEY_ID, settings.SMS_ACCESS_KEY_SECRET)
        return SmsClient(credential, settings.SMS_REGION or "ap-guangzhou", profile)

    def send_message(self, message: SmsMessage) -> str:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
        from tencentcloud.sms.v20210111.models import SendSmsRequest

        request = SendSmsRequest()
        request.PhoneNumberSet = ["+86" + mainland_number(message.phone)]
        request.SmsSdkAppId = settings.SMS_APP_ID
        request.SignName = settings.SMS_SIGN_NAME
        request.TemplateId = self.template_code(message)
        request.TemplateParamSet = [str(value) for value in message.params.values()]
        request.SessionContext = message.reference
        try:
            answer = self.client().SendSms(request)
        except TencentCloudSDKException as exc:
            raise self.failed(exc.get_code() or "SDKError", exc.get_message() or "") from exc
        statuses = answer.SendStatusSet or []
        if not statuses:
            raise SmsError("the provider answered without a status", code="NoAnswer")
        status = statuses[0]
        if status.Code != "Ok":
            raise self.failed(status.Code or "NoAnswer", status.Message or "")
        return status.SerialNo or ""


def check_backend(backend: str, *, allow_dev: bool, account: dict[str, str]) -> None:
    """Production's start-up check: a backend that exists; a development backend only when
    explicitly allowed; a provider only with its account (``account``: setting name → value)."""
    from django.core.exceptions import ImproperlyConfigured

    try:
        backend_class = import_string(backend)
    except ImportError as exc:
        raise ImproperlyConfigured(f"SMS_BACKEND={backend!r} cannot be imported: {exc}") from exc
    if backend in DEV_BACKENDS and not allow_dev:
        raise ImproperlyConfigured(
            f"SMS_BACKEND is {backend}, which only writes messages to a file or memory. Set SMS_BACKEND to "
            "liaison.core.sms.AlibabaSmsBackend or liaison.core.sms.TencentSmsBackend, or "
            "SMS_ALLOW_DEV_BACKEND=true to run without SMS on purpose."
        )
    if isinstance(backend_class, type) and issubclass(backend_class, ProviderSmsBackend):
        needed = ["SMS_ACCESS_KEY_ID", "SMS_ACCESS_KEY_SECRET", "SMS_SIGN_NAME", *backend_class.ACCOUNT]
        missing = [name for name in needed if not account.get(name)]
        if missing:
            raise ImproperlyConfigured(f"{backend} needs {', '.join(missing)}.")
