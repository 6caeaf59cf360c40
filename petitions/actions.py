"""Transitions as people ask for them: a small form validates the input, one service performs it.

The admin's buttons and the API's action endpoints both go through ``transition_form`` and
``perform``, so the same input is accepted or refused with the same messages everywhere.
"""

from . import services
from .forms import DispatchForm, MergeForm, NoteForm, RateForm, ReasonForm, ResultForm, TextForm

# Which small form each transition asks for (None: no input).
TRANSITION_FORMS = {
    "accept": None,
    "sign": None,
    "reject": ReasonForm,
    "return": ReasonForm,
    "resolve_on_site": ResultForm,
    "reply": ResultForm,
    "confirm": TextForm,
    "dispatch": DispatchForm,
    "merge": MergeForm,
    "rate": RateForm,
    "note": NoteForm,
}


def transition_form(action, petition, data):
    form_class = TRANSITION_FORMS[action]
    if form_class is None:
        return None
    kwargs = {"petition": petition} if form_class is MergeForm else {}
    return form_class(data, **kwargs)


def perform(action, petition, actor, data):
    """Call the service for ``action`` with the validated ``data``; raises TransitionRefused."""
    calls = {
        "accept": lambda: services.petition_accept(petition=petition, actor=actor),
        "sign": lambda: services.petition_sign(petition=petition, actor=actor),
        "reject": lambda: services.petition_reject(petition=petition, actor=actor, reason=data["reason"]),
        "return": lambda: services.petition_return(petition=petition, actor=actor, reason=data["reason"]),
        "resolve_on_site": lambda: services.petition_resolve_on_site(
            petition=petition, actor=actor, result=data["result"]
        ),
        "reply": lambda: services.petition_reply(petition=petition, actor=actor, result=data["result"]),
        "confirm": lambda: services.petition_confirm(petition=petition, actor=actor, text=data["text"]),
        "dispatch": lambda: services.petition_dispatch(
            petition=petition, actor=actor, department=data["department"], due=data["due"]
        ),
        "merge": lambda: services.petition_merge(petition=petition, actor=actor, into=data["into"]),
        "rate": lambda: services.petition_rate(
            petition=petition, actor=actor, satisfaction=data["satisfaction"], comment=data["comment"]
        ),
        "note": lambda: services.petition_note(petition=petition, actor=actor, text=data["text"]),
    }
    return calls[action]()
