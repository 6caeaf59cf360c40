"""Pages whose count stops at a ceiling, for searches over large tables.

Counting every match of a broad search ("企业" in a province's requests) reads every match; the
first pages need only the newest. ``CappedPaginator`` counts at most ``CAP`` rows (``SELECT
count(*) FROM (… LIMIT CAP)``), so a search costs the same whether 1,000 or 100,000 requests
match; pages past the ceiling are not offered. The work desk and the API use it for searches
only: plain lists count exactly, from indexes.
"""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

CAP = 1_000


class CappedPaginator(Paginator):
    cap = CAP

    @cached_property
    def count(self) -> int:
        """The number of rows, or ``cap`` if there are at least as many."""
        return self.object_list[: self.cap].count()
