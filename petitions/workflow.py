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

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from points.models import LiaisonPoint

TRIAGE = "triage"  # deputies, point heads, office staff of the point
HANDLE = "handle"  # handlers of the department the request was dispatched to
ENTERPRISE = "enterprise"  # whoever holds the secret link


@dataclass(frozen=True)
class Step:
    name: str
    label: str
    sources: frozenset
    target: str | None  # None: the status does not change (or depends on the input)
    rights: frozenset
    form: type | None  # None: the step takes no input
    service: Callable

    @property
    def url(self) -> str:
        """The step's segment in addresses (``resolve-on-site``)."""
        return self.name.replace("_", "-")

    def bind(self, petition, data=None, files=None):
        """The step's form for ``petition``, bound to ``data`` (unbound without); None if the
        step takes no input."""
        return self.form(data, files, petition=petition) if self.form else None

    def perform(self, petition, actor, data: dict):
        """Take the step with validated ``data``; raises ``services.TransitionRefused``."""
        return self.service(petition=petition, actor=actor, **data)


STEPS: dict[str, Step] = {}


def step(name: str, label, sources, target, *rights: str, form: type | None = None):
    """Declare the service function it decorates as the workflow step ``name``."""

    def register(service: Callable) -> Callable:
        if name in STEPS:
            raise ValueError(f"The step {name!r} is declared twice.")
        STEPS[name] = Step(name, label, frozenset(sources), target, frozenset(rights), form, service)
        return service

    return register


class PublicActor:
    """The enterprise, proven by the secret link; carries no account."""

    label = _("enterprise")
    is_authenticated = False

    def __str__(self):
        return str(self.label)


class SystemActor:
    """A scheduled task or an external platform acting through a signed callback."""

    is_authenticated = False

    def __init__(self, label: str, rights=frozenset()):
        self.label = label
        self.rights = frozenset(rights)

    def __str__(self):
        return self.label


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


def allowed_steps(petition, actor) -> list[Step]:
    """The steps ``actor`` may take on ``petition`` as it stands, in the table's order."""
    rights = actor_rights(actor, petition)
    return [
        s
        for s in STEPS.values()
        if petition.status in s.sources and rights & s.rights and not (s.name == "rate" and petition.satisfaction)
    ]


def allowed_actions(petition, actor) -> list[str]:
    """Names of the steps ``actor`` may take on ``petition`` as it stands."""
    return [s.name for s in allowed_steps(petition, actor)]
