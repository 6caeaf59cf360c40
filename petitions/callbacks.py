"""Callbacks from external platforms: a platform reports that its department signed for,
replied to or returned a request, and the request moves through the same transitions and
checks as in the work desk (``petitions.actions``)."""

from django.db import transaction
from django.utils.translation import gettext as _

from . import actions
from .models import Petition, PlatformCallback
from .services import TransitionRefused
from .workflow import HANDLE, SystemActor

# Which input each action takes from the callback's ``text`` (None: no input).
CALLBACK_ACTIONS = {"sign": None, "reply": "result", "return": "reason"}


class CallbackRejected(Exception):
    """The callback cannot be applied; ``status`` is the HTTP answer, ``message`` says why."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def apply_callback(*, platform, callback_id: str, number: str, action: str, text: str = "") -> tuple[dict, bool]:
    """Move a request as the platform reports. Returns (answer, replayed): a callback id seen
    before changes nothing and gets the answer first given (``replayed`` True). A refused
    callback is not remembered, so the platform may send it again once it can apply.
    Raises CallbackRejected (400 bad input, 404 not dispatched there, 409 refused by the workflow)."""
    if action not in CALLBACK_ACTIONS:
        raise CallbackRejected(400, _("Unknown action."))
    with transaction.atomic():
        # Inserted first: a concurrent copy of this callback waits on the unique key, then
        # finds this row with its answer.
        record, created = PlatformCallback.objects.get_or_create(platform=platform, callback_id=callback_id)
        petition = Petition.objects.filter(number=number, department__platform=platform).first()
        if not created:
            if record.result:
                return record.result, True
            if petition is not None:  # applied before answers were kept
                return {"number": petition.number, "status": petition.status}, True
        if petition is None:
            raise CallbackRejected(404, _("No request with this number was dispatched through this platform."))
        field = CALLBACK_ACTIONS[action]
        form = actions.transition_form(action, petition, {field: text} if field else None)
        if form is not None and not form.is_valid():
            raise CallbackRejected(400, "; ".join(m for errors in form.errors.values() for m in errors))
        actor = SystemActor(platform.name, {HANDLE})
        try:
            petition = actions.perform(action, petition, actor, form.cleaned_data if form else {})
        except TransitionRefused as exc:  # raising out of the block forgets the callback id too
            raise CallbackRejected(409, exc.message) from exc
        record.result = {"number": petition.number, "status": petition.status}
        record.save(update_fields=["result"])
        return record.result, False
