"""What the public point page and the display screen show, composed from the apps' selectors
and cached for a few minutes, so a TV polling every minute costs one cache read."""

from django.core.cache import cache
from django.utils import timezone

from deputies import selectors as deputies
from petitions import selectors as petitions
from points.models import LiaisonPoint
from scoring import selectors as scoring

from .chains import cached_chain_data

FIGURES_TTL = 300
SCREEN_TTL = 60


def point_figures(point: LiaisonPoint, year: int | None = None) -> dict:
    """The point's figures for the year: requests received and resolved, people stationed,
    activities and suggestions."""
    year = year or timezone.localdate().year

    def compute():
        return {"year": year, **petitions.point_year_requests(point, year), **deputies.point_year_counts(point, year)}

    return cache.get_or_set(f"point-figures:{point.pk}:{year}", compute, FIGURES_TTL)


def screen_data(point: LiaisonPoint) -> dict:
    """Everything the display screen's panel shows, as plain data."""

    def compute():
        return {
            "figures": point_figures(point),
            "next_reception": deputies.next_reception_date(point),
            "roster": [
                {"name": s.person.name, "is_head": s.is_head, "role": s.get_role_display()}
                for s in deputies.on_duty(point)
            ],
            "resolved": [
                {"title": r["public_summary"], "resolved_at": r["resolved_at"]}
                for r in petitions.recently_resolved(point)
            ],
            "top": scoring.top_scores(point, timezone.localdate().year),
            "chain": _chain_panel(cached_chain_data(point.chain)),
        }

    return cache.get_or_set(f"screen:{point.pk}", compute, SCREEN_TTL)


def _chain_panel(data: dict) -> dict:
    """The screen's chain panel: each segment with this year's counts."""
    keys = ("name", "enterprises", "received", "resolved", "suggestions")
    return {"year": data["year"], "segments": [{key: row[key] for key in keys} for row in data["segments"]]}
