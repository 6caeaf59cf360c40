"""The workflow of a request: one spec per step, and who may take it.

A step is declared once, on its service function in ``services.py``::

    @step("accept", _("Accept"), [Status.SUBMITTED], Status.ACCEPTED, TRIAGE)
    def petition_accept(*, petition, actor, now=None): ...

with its label, the states it leaves from, the state it reaches, the rights that allow it and
the form that validates its input (whose cleaned data are the service's keyword arguments).
``STEPS`` is then the one table the services check every write against, and from which the
work desk's buttons and forms, the API's action endpoints and their OpenAPI input, the
platforms' callbacks and the workflow tests are all derived. Adding a step is one decorated
service function (and its timeline label in ``PetitionEvent.Action``).
"""

from django.utils.translation import gettext_lazy as _

from liaison.core.steps import Step, StepTable, SystemActor
from points.models import LiaisonPoint

TRIAGE = "triage"  # deputies, point heads, office staff of the point
HANDLE = "handle"  # handlers of the department the request was dispatched to
ENTERPRISE = "enterprise"  # whoever holds the secret link


# The request's table; its rights and its one extra condition are set below.
TABLE = StepTable("request", subject="petition")
STEPS: dict[str, Step] = TABLE.steps


def step(name: str, label, sources, target, *rights: str, form: type | None = None):
    """Declare the service function it decorates as the workflow step ``name``."""
    return TABLE.step(name, label, sources, target, *rights, form=form)


class PublicActor:
    """The enterprise, proven by the secret link; carries no account."""

    label = _("enterprise")
    is_authenticated = False

    def __str__(self):
        return str(self.label)


ENTERPRISE_ACTOR = PublicActor()


def actor_rights(actor, petition) -> set[str]:
    """The rights ``actor`` holds over ``petition``: triage at the points they work for,
    handling of what was dispatched to their department."""
    if isinstance(actor, PublicActor):
        return {ENTERPRISE}
    if isinstance(actor, SystemActor):
        return set(actor.rights)
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return set()
    rights = set()
    if actor.has_perm("petitions.triage_petition") and (
        LiaisonPoint.objects.visible_to(actor).filter(pk=petition.point_id).exists()
    ):
        rights.add(TRIAGE)
    if (
        actor.has_perm("petitions.handle_petition")
        and petition.department_id
        and (actor.is_superuser or actor.departments.filter(pk=petition.department_id).exists())
    ):
        rights.add(HANDLE)
    return rights


def _not_rated_twice(step: Step, petition, actor) -> bool:
    return not (step.name == "rate" and petition.satisfaction)


TABLE.rights = actor_rights
TABLE.guard = _not_rated_twice
# The steps that cannot be taken back, and what the actor should know before taking one.
TABLE.irreversible = {
    "reject": _(
        "The enterprise is told at once that its request was rejected, with your reason. "
        "A rejected request cannot be reopened."
    ),
    "merge": _(
        "This request is closed as a duplicate of the one you name and its filer is told. This cannot be undone."
    ),
    "dispatch": _("The department and the enterprise are told at once. Only the department can send it back."),
    "return": _(
        "The request goes back to the point for triage and leaves your department's list: you will no longer see it."
    ),
    "resolve_on_site": _("The enterprise is told the result at once and may rate it. This cannot be undone."),
    "reply": _("The result goes to the point and the enterprise at once. This cannot be undone."),
    "confirm": _(
        "The request is closed and the enterprise is told. It reopens only if the enterprise rates it unsatisfied."
    ),
}


def allowed_steps(petition, actor) -> list[Step]:
    """The steps ``actor`` may take on ``petition`` as it stands, in the table's order."""
    return TABLE.allowed_steps(petition, actor)


def allowed_actions(petition, actor) -> list[str]:
    """Names of the steps ``actor`` may take on ``petition`` as it stands."""
    return [s.name for s in allowed_steps(petition, actor)]
