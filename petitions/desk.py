"""我的待办: what is waiting for someone in the work desk, as counts that link to the filtered
request list. One table of conditions serves the home page's counts (one query) and the list's
"needs attention" filter, so a count and the list it opens always agree."""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison.core.workdays import end_of_day

from .models import OPEN_STATUSES, Petition, PetitionEvent, Status
from .workflow import HANDLE, TRIAGE


@dataclass(frozen=True)
class Waiting:
    key: str
    label: str
    rights: frozenset  # who this concerns: triage (deputies, heads, office) or handling (departments)


WAITING = [
    Waiting("new", _("New requests to accept"), frozenset({TRIAGE})),
    Waiting("due_today", _("Due today"), frozenset({TRIAGE, HANDLE})),
    Waiting("overdue", _("Overdue"), frozenset({TRIAGE, HANDLE})),
    Waiting("escalated", _("Escalated (督办)"), frozenset({TRIAGE})),
    Waiting("returned", _("Returned by a department"), frozenset({TRIAGE})),
    Waiting("reopened", _("Reopened after an unsatisfied rating"), frozenset({TRIAGE})),
    Waiting("to_sign", _("To sign for"), frozenset({HANDLE})),
    Waiting("to_answer", _("To answer"), frozenset({HANDLE})),
]
LABELS = {w.key: w.label for w in WAITING}


def condition(key: str, now) -> Q:
    """The requests waiting under ``key`` at ``now``: overdue is past the deadline to the
    minute (urgent requests are due in hours); due today is not yet overdue but due by the end
    of the day."""
    open_ = Q(status__in=OPEN_STATUSES)
    returned = Exists(PetitionEvent.objects.filter(petition=OuterRef("pk"), action=PetitionEvent.Action.RETURN))
    return {
        "new": Q(status=Status.SUBMITTED),
        "due_today": open_ & Q(due_at__gte=now, due_at__lte=end_of_day(timezone.localdate(now))),
        "overdue": open_ & Q(due_at__lt=now),
        "escalated": open_ & Q(escalation_level__gt=0),
        "returned": Q(status=Status.ACCEPTED, department__isnull=True) & Q(returned),
        "reopened": Q(status=Status.ACCEPTED, reopen_count__gt=0),
        "to_sign": Q(status=Status.DISPATCHED),
        "to_answer": Q(status=Status.IN_PROGRESS),
    }[key]


def rights_of(user) -> set[str]:
    rights = set()
    if user.has_perm("petitions.triage_petition"):
        rights.add(TRIAGE)
    if user.has_perm("petitions.handle_petition"):
        rights.add(HANDLE)
    return rights


def waiting_for(user, now=None) -> list[dict]:
    """The counts that concern ``user``, in one query over the requests they may see; for
    those who triage, also the open requests at each escalation level."""
    now = now or timezone.now()
    rights = rights_of(user)
    mine = [w for w in WAITING if w.rights & rights]
    if not mine:
        return []
    aggregates = {w.key: Count("id", filter=condition(w.key, now)) for w in mine}
    if TRIAGE in rights:
        for level in (1, 2, 3):
            aggregates[f"level{level}"] = Count("id", filter=Q(status__in=OPEN_STATUSES, escalation_level=level))
    counts = Petition.objects.visible_to(user).aggregate(**aggregates)
    rows = [{"key": w.key, "label": w.label, "count": counts[w.key], "query": f"waiting={w.key}"} for w in mine]
    if TRIAGE in rights:
        rows += [
            {
                "key": f"level{level}",
                "label": _("Escalation level %(level)d") % {"level": level},
                "count": counts[f"level{level}"],
                "query": f"waiting=escalated&escalation_level__exact={level}",
            }
            for level in (1, 2, 3)
        ]
    return rows
