"""Writing score events: the incremental sync and the full rebuild, from the same derivations."""

import logging

from django.db import transaction

from .models import ScoreEvent, ScoringRule
from .rules import DERIVATIONS

log = logging.getLogger(__name__)


def score_sync(*, codes=None) -> int:
    """Bring the score events of the active rules in line with the sources: insert those the
    sources call for and the table lacks, delete those whose source no longer qualifies (a day
    no longer held, a suggestion rated again, a request reopened). Existing events keep the
    points they were given (a rule's new points apply after a rebuild). Events of rules that
    no derivation names any more are removed. A fixed number of queries per rule, however long
    the history; safe to re-run at any time. Returns how many events were added."""
    added = removed = 0
    with transaction.atomic():
        removed += ScoreEvent.objects.exclude(rule__code__in=list(DERIVATIONS)).delete()[0]
        rules = ScoringRule.objects.filter(active=True, code__in=list(DERIVATIONS))
        if codes:
            rules = rules.filter(code__in=codes)
        for rule in rules:
            source_type, rows = DERIVATIONS[rule.code]()
            wanted = {}
            for person_id, source_id, occurred_on, point_id, label in rows:
                wanted[(person_id, source_id)] = (occurred_on, point_id, label)
            existing = {
                (person_id, source_id): pk
                for person_id, source_id, pk in ScoreEvent.objects.filter(
                    rule=rule, source_type=source_type
                ).values_list("person_id", "source_id", "pk")
            }
            stale = [pk for key, pk in existing.items() if key not in wanted]
            for start in range(0, len(stale), 2000):
                removed += ScoreEvent.objects.filter(pk__in=stale[start : start + 2000]).delete()[0]
            new = [
                ScoreEvent(
                    person_id=person_id,
                    rule=rule,
                    source_type=source_type,
                    source_id=source_id,
                    point_id=point_id,
                    points=rule.points,
                    occurred_on=occurred_on,
                    label=str(label)[:200],
                )
                for (person_id, source_id), (occurred_on, point_id, label) in wanted.items()
                if (person_id, source_id) not in existing
            ]
            ScoreEvent.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
            added += len(new)
    if removed:
        log.info("score sync removed %d events whose source no longer qualifies", removed)
    return added


def score_rebuild() -> int:
    """Replace every score event by what the sources and the current rules give (after a rule's
    points or activity changed). Office staff run it from the admin or ``rebuild_scores``."""
    with transaction.atomic():
        ScoreEvent.objects.all().delete()
        return score_sync()
