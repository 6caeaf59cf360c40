"""One throttle for every way to sign in (the login page, the admin's, the API token).

Failures are counted per (account, client address) and per client address, in the shared cache,
for 15 minutes; the client address is ``ratelimit.client_ip`` (the proxies of NUM_PROXIES are
believed, a client's own X-Forwarded-For is not). Nothing is counted per account alone: someone
who knows a deputy's user name can block only their own address, never the deputy's login from
the deputy's phone or office.
"""

import hashlib

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from . import otp, ratelimit

WINDOW = 15 * 60
THROTTLED_MESSAGE = _("Too many failed logins. Please wait 15 minutes and try again.")


def _keys(request, username) -> tuple[tuple[str, int], ...]:
    ip = ratelimit.client_ip(request) if request else ""
    # Hashed: a user name may hold anything (spaces, control characters) a cache key should not.
    account = hashlib.sha256(str(username or "").strip().lower()[:150].encode()).hexdigest()[:32]
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


# Password reset ------------------------------------------------------------------------------
# By e-mail: Django's views and token links, with limits and the portal's own address in the
# link (never the Host header). By SMS: a one-time code (liaison/core/otp.py) to the phone of
# the person linked to the account. Neither tells whether an account exists: the same pages,
# messages and limits follow for any name or address typed.

RESET_PURPOSE = "password-reset"
SESSION_KEY = "password_reset_sms_username"


def _reset_refused(request, form, template, message, status=429):
    form.add_error(None, message)
    return render(request, template, {"form": form}, status=status)


class PasswordResetForm(auth_forms.PasswordResetForm):
    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, **kwargs):
        """Rendered here (in the visitor's language), sent off the request thread, so the page
        takes as long for an unknown address as for a known one."""
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        body = render_to_string(email_template_name, context)
        message = EmailMultiAlternatives(subject, body, from_email, [to_email])
        otp.run_in_background(message.send)


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm
    email_template_name = "registration/password_reset_email.txt"

    def form_valid(self, form):
        ip = ratelimit.client_ip(self.request)
        email = hashlib.sha256(form.cleaned_data["email"].strip().lower().encode()).hexdigest()[:32]
        if not ratelimit.allow(f"pwreset-mail:client:{ip}", settings.OTP_PER_CLIENT) or not ratelimit.allow(
            f"pwreset-mail:email:{email}", settings.OTP_PER_SUBJECT
        ):
            message = _("Too many codes were requested. Please try again in an hour.")
            return _reset_refused(self.request, form, self.template_name, message)
        self.extra_email_context = {"base_url": settings.PUBLIC_BASE_URL, "site_title": settings.SITE_TITLE}
        return super().form_valid(form)


class SmsResetRequestForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)


class SmsResetConfirmForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the SMS"),
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
    new_password1 = forms.CharField(
        label=_("New password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    new_password2 = forms.CharField(
        label=_("New password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, username, **kwargs):
        super().__init__(*args, **kwargs)
        self.username = username

    def clean(self):
        data = super().clean()
        first, second = data.get("new_password1"), data.get("new_password2")
        if first and second and first != second:
            raise ValidationError(_("The two passwords differ."), code="password_mismatch")
        if first:
            # Judged against the name typed, not the account: the same verdict whether it exists or not.
            try:
                password_validation.validate_password(first, get_user_model()(username=self.username))
            except ValidationError as exc:
                self.add_error("new_password1", exc)
        return data


def _account_with_phone(username):
    """The active account of this name and the phone of its person, or (None, "")."""
    user = get_user_model().objects.filter(username__iexact=username, is_active=True).first()
    person = getattr(user, "person", None) if user else None  # deputies.Person, through its accessor
    phone = (getattr(person, "phone", "") or "").strip()
    return (user, phone) if phone else (None, "")


def password_reset_sms(request):
    """Step 1: a user name; a code goes to the account's phone if there is one. Always the same answer."""
    form = SmsResetRequestForm(request.POST or None)
    template = "registration/password_reset_sms_form.html"
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"].strip()
        try:
            code = otp.issue(RESET_PURPOSE, username.lower(), client=ratelimit.client_ip(request))
        except otp.Refused as exc:
            return _reset_refused(request, form, template, exc.message, exc.status)
        user, phone = _account_with_phone(username)
        if user:
            text = _("Your password reset code is %(code)s, valid for 10 minutes. Ignore it if you did not ask for it.")
            otp.send_sms(phone, text % {"code": code}, template="password_reset_code", params={"code": code})
        request.session[SESSION_KEY] = username
        return redirect("password_reset_sms_confirm")
    return render(request, template, {"form": form}, status=400 if form.errors else 200)


def password_reset_sms_confirm(request):
    """Step 2: the code and a new password. A wrong, expired or never-sent code reads the same."""
    username = request.session.get(SESSION_KEY)
    if not username:
        return redirect("password_reset_sms")
    form = SmsResetConfirmForm(request.POST or None, username=username)
    template = "registration/password_reset_sms_confirm.html"
    if request.method == "POST" and form.is_valid():
        ip = ratelimit.client_ip(request)
        if not ratelimit.allow(f"otp-verify:{ip}", settings.OTP_VERIFY_PER_CLIENT):
            return _reset_refused(request, form, template, _("Too many wrong codes. Please request a new code."))
        try:
            verified = otp.verify(RESET_PURPOSE, username.lower(), form.cleaned_data["code"])
        except otp.Refused as exc:
            return _reset_refused(request, form, template, exc.message, exc.status)
        user, _phone = _account_with_phone(username) if verified else (None, "")
        if user is None:
            form.add_error("code", _("The code is wrong or has expired."))
        else:
            user.set_password(form.cleaned_data["new_password1"])
            user.save(update_fields=["password"])
            ratelimit.reset(_keys(request, username)[0][0], WINDOW)
            del request.session[SESSION_KEY]
            messages.success(request, _("Your password was changed. You can log in with it now."))
            return redirect("login")
    return render(request, template, {"form": form, "username": username}, status=400 if form.errors else 200)
