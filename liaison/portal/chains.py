"""The chain page (/chains/<code>/): the industry chain the points are built on, segment by
segment — its enterprises by role, the leaders' networks, the points set up on it, and the
year's requests and suggestions as counts only. Composed from each app's selectors."""

import datetime as dt

from django.core.cache import cache
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _

from deputies import selectors as deputies
from liaison.core.jobs import enqueue
from petitions import selectors as petitions
from points import selectors as points
from points.models import Enterprise, IndustryChain

# The request figures are summed from the daily roll-ups (petitions.rollups), so even a first
# view is one aggregate over a year of narrow rows rather than a scan of the year's requests
# (bench: 333,000 requests a year, 3.9–4.3 s before the roll-ups). The stored figures still
# spare every hit that work: older than CHAIN_FRESH, they are shown while a worker recomputes
# them, and kept for CHAIN_KEEP.
CHAIN_FRESH = dt.timedelta(minutes=5)
CHAIN_KEEP = 24 * 3600
CHAIN_REFRESH_LOCK = 600  # one queued recomputation at a time per chain and year


def chain_data(chain: IndustryChain, year: int) -> dict:
    """Everything the chain page and the screen's chain panel show, as plain data: a fixed
    number of queries however many enterprises, points and requests the chain has.

    Request figures are anonymised by construction: the petitions selector returns counts by
    segment and category only, never a name, a contact or a request's words."""
    segments = list(chain.segments.values("id", "name"))
    enterprises = points.chain_enterprises(chain)
    on_chain = points.chain_points(chain)
    requests = petitions.chain_year_requests(chain, year)
    suggestions = deputies.chain_year_suggestions(chain, year)
    # Rows of no segment (enterprises or points without one) come last, if there are any.
    keys = [(s["id"], s["name"]) for s in segments]
    if any(key[0] is None for key in enterprises) or None in on_chain or None in requests["by_segment"]:
        keys.append((None, _("Segment not recorded")))
    rows = []
    for segment_id, name in keys:
        counts = requests["by_segment"].get(segment_id, {"received": 0, "resolved": 0})
        roles = [
            {"role": role, "label": label, **enterprises[segment_id, role]}
            for role, label in Enterprise.ChainRole.choices
            if (segment_id, role) in enterprises
        ]
        rows.append(
            {
                "id": segment_id,
                "name": name,
                "roles": roles,
                "enterprises": sum(r["count"] for r in roles),
                "points": on_chain.get(segment_id, {"count": 0, "points": []}),
                "received": counts["received"],
                "resolved": counts["resolved"],
                "suggestions": suggestions["by_segment"].get(segment_id, 0),
            }
        )
    return {
        "year": year,
        "segments": rows,
        "networks": points.chain_networks(chain),
        "requests": {key: value for key, value in requests.items() if key != "by_segment"},
        "suggestions": {key: value for key, value in suggestions.items() if key != "by_segment"},
        "enterprise_count": sum(group["count"] for group in enterprises.values()),
        "point_count": sum(group["count"] for group in on_chain.values()),
    }


def _key(chain_id: int, year: int) -> str:
    return f"chain:{chain_id}:{year}"


def chain_data_refresh(chain_id: int, year: int, now=None) -> dict:
    """Compute the chain's figures for ``year`` and store them with the time they were
    computed. Safe to re-run: the latest computation wins."""
    now = now or timezone.now()
    data = chain_data(IndustryChain.objects.get(pk=chain_id), year)
    cache.set(_key(chain_id, year), {"computed_at": now, "data": data}, CHAIN_KEEP)
    cache.delete(f"{_key(chain_id, year)}:refreshing")
    return data


def cached_chain_data(chain: IndustryChain, year: int | None = None, now=None) -> dict:
    """The chain's figures as last computed: computed inline only when there are none; when
    they are older than CHAIN_FRESH a worker recomputes them (queued once) and this answer
    still uses the stored ones."""
    now = now or timezone.now()
    year = year or timezone.localdate().year
    key = _key(chain.pk, year)
    entry = cache.get(key)
    if entry is None:
        return chain_data_refresh(chain.pk, year, now=now)
    if now - entry["computed_at"] > CHAIN_FRESH and cache.add(f"{key}:refreshing", 1, CHAIN_REFRESH_LOCK):
        enqueue("liaison.portal.tasks.refresh_chain_figures", chain.pk, year)
    return entry["data"]


def chain_page(request, code):
    """The public chain page: works on a phone, prints on A4."""
    chain = get_object_or_404(IndustryChain, code=code)
    return render(request, "portal/chain.html", {"chain": chain, **cached_chain_data(chain)})
