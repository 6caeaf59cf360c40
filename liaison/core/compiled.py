"""Statements compiled once per process and run on every request with new values.

Compiling a query through the ORM costs more Python than the database spends running a small
one, and the public path every enterprise takes (filing a request) runs the same few statements
on every request. A statement here is built once per process and key, from querysets whose
changing values are ``Bound(name, field)`` expressions, then run with each request's ``values``.

On PostgreSQL the values that never change are written into the statement as literals and the
``Bound`` ones sent as typed parameters, through a psycopg ``Cursor`` that binds them on the
server (wrapped with the backend's ``make_cursor``/``make_debug_cursor``, as Django wraps its
own cursors): the connection prepares the statement after a few runs (``prepare_threshold``,
liaison/settings/base.py), and PostgreSQL no longer parses and plans it. Django's own queries stay
client-bound and are never prepared. tests/test_scheduling.py and tests/test_submission_cost.py
check what such statements write and read, and that the connection prepares them.
"""

import re

import psycopg
import psycopg.sql
from django.db import connections, router
from django.db.models import Expression
from django.utils import timezone

AUTO_NOW = "__now__"  # the Bound name of auto_now fields' value in a compiled-once statement


class Bound(Expression):
    """A value given each time a statement compiled once runs (``run``'s ``values``)."""

    def __init__(self, name: str, output_field):
        super().__init__(output_field=output_field)
        self.name = name

    def as_sql(self, compiler, connection):
        return "%s", [_Slot(self.name, self.output_field)]

    def as_postgresql(self, compiler, connection):
        # Typed: bound on the server, which must know each parameter's type.
        return f"%s::{self.output_field.cast_db_type(connection)}", [_Slot(self.name, self.output_field)]


class _Slot:
    def __init__(self, name, field):
        self.name, self.field = name, field

    def bind(self, values, connection):
        return self.field.get_db_prep_value(values[self.name], connection, prepared=False)


_statements: dict = {}


def statement(key, using: str, build) -> tuple[str, list]:
    """The ``(sql, params)`` that ``build()`` returns, built once per process, ``key`` and database."""
    connection = connections[using]
    full_key = (key, using, connection.vendor)
    if full_key not in _statements:
        sql, params = build()
        if connection.vendor == "postgresql":
            sql, params = _inline_constants(sql, params, connection)
        _statements[full_key] = sql, params
    return _statements[full_key]


def run(using: str, compiled: tuple[str, list], values: dict) -> list[tuple]:
    """Run a ``statement`` with this run's ``values`` (by ``Bound`` name); its rows."""
    connection = connections[using]
    sql, params = compiled
    values = {AUTO_NOW: timezone.now(), **values}
    params = [p.bind(values, connection) if isinstance(p, _Slot) else p for p in params]
    with _cursor(connection) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def select(model, key, build, values: dict) -> list[tuple]:
    """The rows of the ``values_list`` queryset of ``model`` that ``build()`` returns, compiled
    once per ``key``: tuples of what the database returns (no field conversion)."""
    using = router.db_for_read(model)

    def compile_it():
        queryset = build().using(using)
        return queryset.query.get_compiler(using).as_sql()

    return run(using, statement(key, using, compile_it), values)


def _cursor(connection):
    """Where a statement compiled once runs: on PostgreSQL, a cursor that binds on the server."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    return connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)


def _inline_constants(sql, params, connection):
    """The values that are the same on every run written into ``sql`` as literals, so only the
    ``Bound`` ones are sent (typed, as the server binds them)."""
    connection.ensure_connection()
    given = iter(params)
    slots = []

    def literal(match):
        if match.group() == "%%":
            return "%%"
        value = next(given)
        if isinstance(value, _Slot):
            slots.append(value)
            return "%s"
        return psycopg.sql.Literal(value).as_string(connection.connection).replace("%", "%%")

    return _PLACEHOLDER.sub(literal, sql), slots


_PLACEHOLDER = re.compile("%%|%s")
