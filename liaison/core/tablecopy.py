"""Small tables every request reads (the holiday calendar, the deadline rules) kept in each
process, with the version they were read at.

The version lives in the shared cache: a change in the admin (any process) sets a new one (the
table's save/delete signals call ``changed``), and every process reads it before using its copy,
so a change is seen at once everywhere for the price of one cache read instead of a query. No
version in the cache (emptied, evicted, Redis away): the table is read again.
"""

import logging
import uuid
from collections.abc import Callable

log = logging.getLogger(__name__)


class TableCopy:
    def __init__(self, version_key: str, load: Callable[[], object]):
        self.version_key = version_key
        self.load = load
        self.version = None
        self.value = None

    def get(self):
        from django.core.cache import cache

        try:
            version = cache.get(self.version_key)
            if version is None:
                cache.add(self.version_key, uuid.uuid4().hex, None)
                version = cache.get(self.version_key)
        except Exception:  # noqa: BLE001 — a cache away costs a query, never a wrong answer
            version = None  # read every time
        if version is None or version != self.version:
            self.value = self.load()
            self.version = version
        return self.value

    def changed(self, **kwargs) -> None:
        """A row was saved or deleted: drop this process's copy and give the table a new version
        now and again after commit (a process reading between the two may have read the table
        before the change)."""
        from django.core.cache import cache
        from django.db import transaction

        def bump():
            self.version = None
            try:
                cache.set(self.version_key, uuid.uuid4().hex, None)
            except Exception:  # noqa: BLE001 — without the cache every process reads the table anyway
                log.warning("%s not stored: the cache is away", self.version_key)

        bump()
        transaction.on_commit(bump)
