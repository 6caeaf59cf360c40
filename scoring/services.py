"""Writing score events: the incremental sync and the full rebuild, from the same derivations."""

from django.db import transaction

from .models import ScoreEvent, ScoringRule
from .rules import DERIVATIONS


def score_sync(*, codes=None) -> int:
    """Insert the score events the sources call for and the table lacks. Safe to re-run at any
    time (a replay inserts nothing); returns how many were added."""
    added = 0
    rules = ScoringRule.objects.filter(active=True, code__in=list(DERIVATIONS))
    if codes:
        rules = rules.filter(code__in=codes)
    for rule in rules:
        source_type, rows = DERIVATIONS[rule.code]()
        existing = set(ScoreEvent.objects.filter(rule=rule).values_list("person_id", "source_id"))
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
            )  # fmt: skip
            for person_id, source_id, occurred_on, point_id, label in rows
            if (person_id, source_id) not in existing
        ]
        ScoreEvent.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
        added += len(new)
    return added


def score_rebuild() -> int:
    """Replace every score event by what the sources and the current rules give (after a rule's
    points or activity changed). Office staff run it from the admin or ``rebuild_scores``."""
    with transaction.atomic():
        ScoreEvent.objects.all().delete()
        return score_sync()
