"""Login forms that slow down password guessing: a few failures per account and client,
counted in the shared cache, then a clear message instead of another try."""

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import ratelimit

WINDOW = 15 * 60


class LoginThrottleMixin:
    def _keys(self):
        ip = ratelimit.client_ip(self.request) if self.request else ""
        username = (self.data.get("username") or "").strip().lower()[:150]
        return (
            (f"login:{ip}:{username}", settings.LOGIN_FAILURES_PER_ACCOUNT),
            (f"login:{ip}", settings.LOGIN_FAILURES_PER_CLIENT),
        )

    def clean(self):
        keys = self._keys()
        if any(ratelimit.count(key, WINDOW) >= limit for key, limit in keys):
            raise ValidationError(_("Too many failed logins. Please wait 15 minutes and try again."), code="throttled")
        try:
            return super().clean()
        except ValidationError:
            for key, limit in keys:
                ratelimit.allow(key, limit, WINDOW)
            raise


class ThrottledAuthenticationForm(LoginThrottleMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(LoginThrottleMixin, AdminAuthenticationForm):
    pass
