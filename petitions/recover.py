"""查询我的诉求: an enterprise that lost its secret link gets back to its tracking page with the
request number and the phone number it filed with, confirmed by a one-time SMS code
(liaison/core/otp.py: 6 digits, 10 minutes, 5 tries).

Until the code is confirmed nothing differs between a number that filed the request and one
that did not: the same redirect, the same page, the same limits (per number and phone, per
phone, per client). The code goes only to the phone the request was filed with.
"""

from django import forms
from django.conf import settings
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liaison.core import otp, ratelimit

from .forms import normalise_mobile
from .models import Petition

PURPOSE = "recover-link"
SESSION_KEY = "recover_link"


class RecoverForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Request number"), max_length=40)
    phone = forms.CharField(
        label=gettext_lazy("Mobile number you filed it with"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )

    def clean_number(self):
        return self.cleaned_data["number"].strip().upper()

    def clean_phone(self):
        return normalise_mobile(self.cleaned_data["phone"])


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from the SMS"),
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


def _subject(number, phone) -> str:
    return f"{number}:{phone}"


def _refused(request, template, form, message, status=429):
    form.add_error(None, message)
    return render(request, template, {"form": form}, status=status)


def recover(request):
    """Step 1: number and phone. A code is sent only if they belong together; the answer is the same."""
    form = RecoverForm(request.POST or None)
    template = "petitions/recover.html"
    if request.method == "POST" and form.is_valid():
        number, phone = form.cleaned_data["number"], form.cleaned_data["phone"]
        if not ratelimit.allow(f"recover:phone:{phone}", settings.OTP_PER_SUBJECT):
            return _refused(request, template, form, _("Too many codes were requested. Please try again in an hour."))
        try:
            code = otp.issue(PURPOSE, _subject(number, phone), client=ratelimit.client_ip(request))
        except otp.Refused as exc:
            return _refused(request, template, form, exc.message, exc.status)
        if Petition.objects.filter(number=number, contact_phone=phone).exists():
            text = _("Your code to open request %(number)s is %(code)s, valid for 10 minutes.")
            params = {"number": number, "code": code}
            otp.send_sms(phone, text % params, template="tracking_code", params=params)
        request.session[SESSION_KEY] = {"number": number, "phone": phone}
        return redirect("recover_code")
    return render(request, template, {"form": form}, status=400 if form.errors else 200)


def recover_code(request):
    """Step 2: the code; the right one opens the tracking page."""
    pending = request.session.get(SESSION_KEY)
    if not pending:
        return redirect("recover")
    form = CodeForm(request.POST or None)
    template = "petitions/recover_code.html"
    context = {"form": form, "number": pending["number"]}
    if request.method == "POST" and form.is_valid():
        if not ratelimit.allow(f"otp-verify:{ratelimit.client_ip(request)}", settings.OTP_VERIFY_PER_CLIENT):
            return _refused(request, template, form, _("Too many wrong codes. Please request a new code."))
        try:
            verified = otp.verify(PURPOSE, _subject(pending["number"], pending["phone"]), form.cleaned_data["code"])
        except otp.Refused as exc:
            return _refused(request, template, form, exc.message, exc.status)
        petition = (
            Petition.objects.filter(number=pending["number"], contact_phone=pending["phone"]).first()
            if verified
            else None
        )
        if petition is not None:
            del request.session[SESSION_KEY]
            return redirect(petition.get_tracking_url())
        form.add_error("code", _("The code is wrong or has expired."))
    return render(request, template, context, status=400 if form.errors else 200)
