"""Callbacks from external platforms: a platform reports progress on a request dispatched
through it, and the request moves through the same workflow functions and checks as in the
work desk."""

from django.db import transaction
from django.utils.translation import gettext as _

from .actions import perform, transition_form
from .models import Petition, PlatformCallback
from .services import TransitionRefused
from .workflow import HANDLE, SystemActor


class CallbackRejected(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


CALLBACK_ACTIONS = {"sign": None, "reply": "result", "return": "reason"}


def apply_callback(*, platform, callback_id: str, number: str, action: str, text: str = ""):
    """Move a request as the platform reports, through the same workflow functions and checks.
    A callback id already applied is refused (409) and changes nothing."""
    if action not in CALLBACK_ACTIONS:
        raise CallbackRejected(400, _("Unknown action."))
    with transaction.atomic():
        petition = Petition.objects.filter(number=number, department__platform=platform).first()
        if petition is None:
            raise CallbackRejected(404, _("No request with this number was dispatched through this platform."))
        _obj, created = PlatformCallback.objects.get_or_create(platform=platform, callback_id=callback_id)
        if not created:
            raise CallbackRejected(409, _("This callback was already applied."))
        field = CALLBACK_ACTIONS[action]
        form = transition_form(action, petition, {field: text} if field else None)
        if form is not None and not form.is_valid():
            transaction.set_rollback(True)
            raise CallbackRejected(400, "; ".join(m for errors in form.errors.values() for m in errors))
        try:
            return perform(action, petition, SystemActor(platform.name, {HANDLE}), form.cleaned_data if form else {})
        except TransitionRefused as exc:
            transaction.set_rollback(True)
            raise CallbackRejected(409, exc.message) from exc
