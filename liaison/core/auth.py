"""One throttle for every way to sign in (the login page, the admin's, the API token).

Failures are counted per (account, client address) and per client address, in the shared cache,
for 15 minutes; the client address is ``ratelimit.client_ip`` (the proxies of NUM_PROXIES are
believed, a client's own X-Forwarded-For is not). Nothing is counted per account alone: someone
who knows a deputy's user name can block only their own address, never the deputy's login from
the deputy's phone or office.
"""

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import ratelimit

WINDOW = 15 * 60
THROTTLED_MESSAGE = _("Too many failed logins. Please wait 15 minutes and try again.")


def _keys(request, username) -> tuple[tuple[str, int], ...]:
    ip = ratelimit.client_ip(request) if request else ""
    account = str(username or "").strip().lower()[:150]
    return (
        (f"login:{ip}:{account}", settings.LOGIN_FAILURES_PER_ACCOUNT),
        (f"login:{ip}", settings.LOGIN_FAILURES_PER_CLIENT),
    )


def login_blocked(request, username) -> bool:
    """True if this client may not try to sign in as ``username`` now (right password or not)."""
    return any(ratelimit.count(key, WINDOW) >= limit for key, limit in _keys(request, username))


def login_failed(request, username) -> None:
    """Count one failed sign-in by this client as ``username``."""
    for key, limit in _keys(request, username):
        ratelimit.allow(key, limit, WINDOW)


class LoginThrottleMixin:
    def clean(self):
        username = self.data.get("username")
        if login_blocked(self.request, username):
            raise ValidationError(THROTTLED_MESSAGE, code="throttled")
        try:
            return super().clean()
        except ValidationError:
            login_failed(self.request, username)
            raise


class ThrottledAuthenticationForm(LoginThrottleMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(LoginThrottleMixin, AdminAuthenticationForm):
    pass
