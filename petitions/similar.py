"""Possible duplicates of a request: the open and recent requests of the same point whose title
and content are most alike, for the work desk's panel, the API and the merge buttons.

Alike means sharing character trigrams, the measure of PostgreSQL's ``pg_trgm``: the text is cut
into words (runs of letters and digits, lower-cased; a run of Chinese characters is one word),
each word is padded with two spaces before and one after, and two texts score the share of
their distinct trigrams they have in common (Jaccard, 0 to 1). Chinese has no spaces, so a run
like "园区门口停车难" gives "  园", " 园区", "园区门", "区门口" … and a reworded complaint about the
same parking still shares most of them. On PostgreSQL ``similarity()`` computes it in the
database (it needs a locale whose ctype classes Chinese as letters: C.UTF-8 and zh_CN.UTF-8 do,
plain "C" does not — ``tests/test_similar.py`` checks the server); elsewhere ``trigram_similarity``
computes the same figure in Python over the same bounded set of candidates.

The candidates are few whatever the size of the table: one point's requests that are still
open or were filed in the last ``RECENT_DAYS`` days (a point receives a few hundred a year),
read through the point's indexes; merged and rejected ones are not the record of a matter and
are left out. A request of the same enterprise gets ``SAME_ENTERPRISE_BONUS`` on top of its
score: an enterprise writing twice about one matter is the commonest duplicate.
"""

import datetime as dt
import re
from dataclasses import dataclass

from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection
from django.db.models import Case, FloatField, Q, TextField, Value, When
from django.db.models.functions import Concat
from django.utils import timezone

from .actions import STEPS
from .models import OPEN_STATUSES, Petition, Status
from .workflow import actor_rights

RECENT_DAYS = 90
# Below this share of common trigrams two requests are unrelated: requests of one point share
# stock words (企业, 问题, 希望), each worth a few trigrams out of a hundred or more.
THRESHOLD = 0.2
SAME_ENTERPRISE_BONUS = 0.1
# The most candidates compared in Python (SQLite): a busy point's quarter, newest first.
MAX_CANDIDATES = 1000

_WORD = re.compile(r"[^\W_]+")


def trigrams(text: str) -> set[str]:
    """The distinct trigrams of ``text`` as ``pg_trgm`` counts them."""
    grams = set()
    for word in _WORD.findall((text or "").lower()):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def trigram_similarity(a: str | set, b: str | set) -> float:
    """``pg_trgm``'s ``similarity(a, b)``: common trigrams over all distinct trigrams."""
    a = a if isinstance(a, set) else trigrams(a)
    b = b if isinstance(b, set) else trigrams(b)
    if not a or not b:
        return 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


def matter(petition) -> str:
    """The text compared: title and content, as the database concatenates them."""
    return f"{petition.title} {petition.content}"


@dataclass
class Similar:
    petition: Petition
    score: float  # trigram similarity, plus the same-enterprise bonus
    same_enterprise: bool


def candidates(petition: Petition, now=None, user=None):
    """The requests ``petition`` may duplicate: its point's open ones and those filed in the last
    ``RECENT_DAYS`` days, but for itself and for merged or rejected ones; with ``user``, only
    those ``user`` may see (a department's handler sees what was dispatched to it, not the
    point's other requests)."""
    since = (now or timezone.now()) - dt.timedelta(days=RECENT_DAYS)
    rows = Petition.objects.visible_to(user) if user is not None else Petition.objects.all()
    return (
        rows.filter(point_id=petition.point_id)
        .filter(Q(status__in=OPEN_STATUSES) | Q(submitted_at__gte=since))
        .exclude(status__in=[Status.MERGED, Status.REJECTED])
        .exclude(pk=petition.pk)
    )


def _same_enterprise_q(petition) -> Q:
    if petition.enterprise_id:
        return Q(enterprise_id=petition.enterprise_id)
    return Q(enterprise_name=petition.enterprise_name.strip()) if petition.enterprise_name.strip() else Q(pk__in=[])


def _same_enterprise(petition, other) -> bool:
    if petition.enterprise_id:
        return petition.enterprise_id == other.enterprise_id
    return bool(petition.enterprise_name.strip()) and petition.enterprise_name.strip() == other.enterprise_name


def similar_requests(petition: Petition, limit: int = 5, *, user=None, now=None) -> list[Similar]:
    """The ``limit`` candidates most like ``petition`` whose text scores at least ``THRESHOLD``,
    best first (newest first among equals), among those ``user`` may see (give the user for
    anything shown to one). One query on either backend, plus the two of ``visible_to`` with a
    user. Read-only: safe to call on every view of a request."""
    rows = candidates(petition, now, user).only(
        "pk", "number", "title", "content", "status", "enterprise_id", "enterprise_name", "submitted_at", "point_id"
    )
    if connection.vendor == "postgresql":
        text = TrigramSimilarity(Concat("title", Value(" "), "content", output_field=TextField()), matter(petition))
        bonus = Case(
            When(_same_enterprise_q(petition), then=Value(SAME_ENTERPRISE_BONUS)),
            default=Value(0.0),
            output_field=FloatField(),
        )
        rows = (
            rows.annotate(text_score=text, score=text + bonus)
            .filter(text_score__gte=THRESHOLD)
            .order_by("-score", "-submitted_at")[:limit]
        )
        return [Similar(row, round(row.score, 3), _same_enterprise(petition, row)) for row in rows]
    mine = trigrams(matter(petition))
    found = []
    for row in rows.order_by("-submitted_at")[:MAX_CANDIDATES]:
        score = trigram_similarity(mine, trigrams(matter(row)))
        if score >= THRESHOLD:
            same = _same_enterprise(petition, row)
            found.append(Similar(row, round(score + (SAME_ENTERPRISE_BONUS if same else 0), 3), same))
    found.sort(key=lambda s: (-s.score, -s.petition.submitted_at.timestamp()))
    return found[:limit]


@dataclass
class PanelRow:
    similar: Similar
    merge_into_it: bool  # this request may be merged into the candidate
    merge_into_this: bool  # the candidate may be merged into this request

    @property
    def percent(self) -> int:
        """How alike, as people read it: the same-enterprise bonus ranks a row, but a
        word-for-word copy is 100 % alike, never 110 %."""
        return min(100, round(self.similar.score * 100))


def duplicates_panel(petition: Petition, user, limit: int = 5) -> dict:
    """What the request's page shows of duplicates: the possible ones, each with the merges
    ``user`` may start from here (the ``merge`` step, in either direction), and the requests
    already merged into this one. Candidates are of the same point, so whoever may triage this
    request may triage them; a user who may not sees only the candidates and merged duplicates in
    their scope."""
    merge = STEPS["merge"]
    may_merge = bool(actor_rights(user, petition) & merge.rights)
    open_target = set(OPEN_STATUSES)
    rows = [
        PanelRow(
            similar=s,
            merge_into_it=may_merge and petition.status in merge.sources and s.petition.status in open_target,
            merge_into_this=may_merge and s.petition.status in merge.sources and petition.status in open_target,
        )
        for s in similar_requests(petition, limit, user=user)
    ]
    # Merged ones are the point's, never dispatched: a department's handler does not see them.
    duplicates = (
        Petition.objects.visible_to(user)
        .filter(merged_into=petition)
        .only("pk", "number", "title", "submitted_at")
        .order_by("submitted_at")
    )
    return {"similar_rows": rows, "merged_duplicates": list(duplicates)}
