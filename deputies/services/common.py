"""What the deputies' services share: rights at a point, the scans' actor, the drain loop."""

import logging

from liaison.core.steps import SystemActor
from points.models import LiaisonPoint

log = logging.getLogger("deputies.services")

POINT = "point"  # staff of the point who may change its records (head, office)
SYSTEM = "system"  # the scheduled scans
SCAN_ACTOR = SystemActor("scan", {SYSTEM})


def point_rights(actor, point_id: int, perm: str) -> set[str]:
    """{POINT} if ``actor`` holds ``perm`` and works for point ``point_id``; the system
    rights of a scan; else nothing."""
    if isinstance(actor, SystemActor):
        return set(actor.rights)
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return set()
    if actor.has_perm(perm) and LiaisonPoint.objects.visible_to(actor).filter(pk=point_id).exists():
        return {POINT}
    return set()


def save_changed(obj, original, fields: list[str]) -> None:
    """Save only the fields of ``obj`` that differ from ``original`` (a copy read under lock)."""
    changed = [f for f in fields if getattr(obj, f) != getattr(original, f)]
    if changed:
        obj.save(update_fields=changed)


def drain(ids, process, *, now) -> int:
    """Run ``process(id, now=now)`` for each id; a row that fails is logged and skipped so it
    cannot stop the others (the next run tries it again). Returns how many did something."""
    done = 0
    for pk in ids:
        try:
            done += bool(process(pk, now=now))
        except Exception:
            log.exception("%s failed for row %s", getattr(process, "__name__", process), pk)
    return done
