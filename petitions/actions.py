"""Workflow steps as people ask for them: the step's form validates the input, its service
performs it. The work desk, the API, the tracking page and the platforms' callbacks all come
through here, so the same input is accepted or refused with the same messages everywhere.

Importing this module declares every step (they live on their services); read ``STEPS`` here.
"""

from .services import TransitionRefused
from .workflow import STEPS, Step, allowed_steps

__all__ = ["STEPS", "Step", "TransitionRefused", "allowed_steps", "perform", "transition_form"]


def transition_form(action: str, petition, data=None, files=None):
    """The form of step ``action`` for ``petition``, bound to ``data``; None for no input."""
    return STEPS[action].bind(petition, data, files)


def perform(action: str, petition, actor, data: dict):
    """Take step ``action`` with validated ``data``; raises TransitionRefused."""
    return STEPS[action].perform(petition, actor, data)
