"""The one table of allowed transitions, and who may perform them.

Services check every write against it; the admin uses it to show only the buttons that apply.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models import OPEN_STATUSES, Status

TRIAGE = "triage"  # deputies, point heads, office staff of the point
HANDLE = "handle"  # handlers of the department the request was dispatched to
ENTERPRISE = "enterprise"  # whoever holds the secret link


@dataclass(frozen=True)
class Transition:
    label: str
    sources: frozenset
    target: str | None  # None: the status does not change (or depends on the input)
    rights: frozenset


def _t(label, sources, target, *rights):
    return Transition(label, frozenset(sources), target, frozenset(rights))


TRANSITIONS: dict[str, Transition] = {
    "accept": _t(_("Accept"), [Status.SUBMITTED], Status.ACCEPTED, TRIAGE),
    "reject": _t(_("Reject"), [Status.SUBMITTED], Status.REJECTED, TRIAGE),
    "merge": _t(_("Merge as duplicate"), [Status.SUBMITTED, Status.ACCEPTED], Status.MERGED, TRIAGE),
    "resolve_on_site": _t(_("Resolve on site"), [Status.ACCEPTED], Status.RESOLVED, TRIAGE),
    "dispatch": _t(_("Dispatch to a department"), [Status.ACCEPTED], Status.DISPATCHED, TRIAGE),
    "sign": _t(_("Sign for it"), [Status.DISPATCHED], Status.IN_PROGRESS, HANDLE),
    "return": _t(_("Return as misrouted"), [Status.DISPATCHED, Status.IN_PROGRESS], Status.ACCEPTED, HANDLE),
    "reply": _t(_("Reply with the result"), [Status.IN_PROGRESS], Status.RESOLVED, HANDLE),
    "confirm": _t(_("Confirm and close"), [Status.RESOLVED], Status.CLOSED, TRIAGE),
    # Satisfied closes the request; unsatisfied reopens it (重办) — see services.petition_rate.
    "rate": _t(_("Record satisfaction"), [Status.RESOLVED, Status.CLOSED], None, ENTERPRISE, TRIAGE),
    "add_info": _t(_("Add information"), OPEN_STATUSES, None, ENTERPRISE),
    "note": _t(_("Add an internal note"), Status.values, None, TRIAGE, HANDLE),
}


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
    """The rights ``actor`` holds over ``petition``."""
    if isinstance(actor, PublicActor):
        return {ENTERPRISE}
    if isinstance(actor, SystemActor):
        return set(actor.rights)
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return set()
    from points.models import LiaisonPoint

    rights = set()
    if actor.has_perm("petitions.triage_petition") and (
        actor.is_superuser or LiaisonPoint.objects.visible_to(actor).filter(pk=petition.point_id).exists()
    ):
        rights.add(TRIAGE)
    if (
        actor.has_perm("petitions.handle_petition")
        and petition.department_id
        and (actor.is_superuser or actor.departments.filter(pk=petition.department_id).exists())
    ):
        rights.add(HANDLE)
    return rights


def allowed_actions(petition, actor) -> list[str]:
    """Names of the transitions ``actor`` may perform on ``petition`` as it stands."""
    rights = actor_rights(actor, petition)
    return [
        name
        for name, t in TRANSITIONS.items()
        if petition.status in t.sources and rights & t.rights and not (name == "rate" and petition.satisfaction)
    ]
