"""Statements compiled once per process and run on every request with new values.

Compiling a query through the ORM costs more Python than the database spends running a small
one, and the public path every enterprise takes (filing a request) runs the same few statements
on every request. A statement here is built once per process and key, from querysets whose
changing values are ``Bound(name, field)`` expressions, then run with each request's ``values``.

On PostgreSQL the values that never change are written into the statement as literals and the
``Bound`` ones sent as typed parameters, one per name (``$1``, ``$2``…), through a psycopg
``RawCursor`` that binds them on the server and leaves the statement as written (a statement
longer than 4 KB, as the new request's messages are, was otherwise parsed for placeholders on
every run). It is wrapped with the backend's ``make_cursor``/``make_debug_cursor``, as Django wraps
its own cursors. The connection prepares the statement after a few runs (``prepare_threshold``,
liaison/settings/base.py), and PostgreSQL no longer parses and plans it. Django's own queries stay
client-bound and are never prepared. tests/test_scheduling.py and tests/test_submission_cost.py
check what such statements write and read, and that the connection prepares them.
"""

import re

import psycopg
import psycopg.sql
from django.db import connections, router
from django.db.models import Expression


class Bound(Expression):
    """A value given each time a statement compiled once runs (``run``'s ``values``)."""

    def __init__(self, name: str, output_field):
        super().__init__(output_field=output_field)
        self.name = name

    def as_sql(self, compiler, connection):
        return "%s", [_Slot(self.name, self.output_field)]

    def as_postgresql(self, compiler, connection):
        # Typed: bound on the server, which must know each parameter's type.
        cast = self.output_field.cast_db_type(connection)
        return f"%s::{cast}", [_Slot(self.name, self.output_field, cast)]


class _Slot:
    def __init__(self, name, field, cast=None):
        self.name, self.field, self.cast = name, field, cast

    def bind(self, values, connection):
        return self.field.get_db_prep_value(values[self.name], connection, prepared=False)


_statements: dict = {}


def statement(key, using: str, build) -> tuple:
    """The ``(sql, params)`` that ``build()`` returns, built once per process, ``key`` and database.
    (``build`` may return a third item, kept with them: ``select`` keeps its converters.)"""
    connection = connections[using]
    full_key = (key, using, connection.vendor)
    if full_key not in _statements:
        sql, params, *extra = build()
        if connection.vendor == "postgresql":
            sql, params = _inline_constants(sql, params, connection)
        _statements[full_key] = (sql, params, *extra)
    return _statements[full_key]


def run(using: str, compiled: tuple, values: dict) -> list[tuple]:
    """Run a ``statement`` with this run's ``values`` (by ``Bound`` name); its rows."""
    connection = connections[using]
    sql, params, *_extra = compiled
    params = [p.bind(values, connection) if isinstance(p, _Slot) else p for p in params]
    with _cursor(connection) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def select(model, key, build, values: dict) -> list[tuple]:
    """The rows of the ``values_list`` queryset of ``model`` that ``build()`` returns, compiled
    once per ``key``, each value converted as the ORM converts it (``from_db_value``, and the
    backend's own: SQLite's dates and booleans)."""
    using = router.db_for_read(model)

    def compile_it():
        compiler = build().query.get_compiler(using)
        sql, params = compiler.as_sql()
        # The ORM's own (undocumented) steps: tests/test_submission_cost.py compares the rows
        # with the queryset's on both backends.
        converters = compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])
        return sql, params, list(converters.items())

    sql, params, converters = statement(key, using, compile_it)
    rows = run(using, (sql, params), values)
    if not converters:
        return rows
    connection = connections[using]
    converted = []
    for row in map(list, rows):
        for position, (functions, expression) in converters:
            for function in functions:
                row[position] = function(row[position], expression, connection)
        converted.append(tuple(row))
    return converted


def get(model, key, build, values: dict):
    """The one ``model`` instance the queryset ``build()`` returns (compiled once per ``key``),
    or None: every concrete field loaded, nothing related."""
    names = [field.attname for field in model._meta.concrete_fields]
    rows = select(model, key, lambda: build().values_list(*names), values)
    if len(rows) > 1:
        raise model.MultipleObjectsReturned(f"{key}: {len(rows)} rows")
    return model.from_db(router.db_for_read(model), names, rows[0]) if rows else None


def _cursor(connection):
    """Where a statement compiled once runs: on PostgreSQL, a cursor that binds on the server."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    raw = psycopg.RawCursor(connection.connection)
    return connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)


def _inline_constants(sql, params, connection):
    """The values that are the same on every run written into ``sql`` as literals, and each
    ``Bound`` name (with its type) made one numbered parameter, as the server binds them."""
    connection.ensure_connection()
    given = iter(params)
    numbers = {}
    slots = []

    def literal(match):
        if match.group() == "%%":
            return "%"
        value = next(given)
        if isinstance(value, _Slot):
            key = (value.name, value.cast)
            if key not in numbers:
                numbers[key] = len(slots) + 1
                slots.append(value)
            return f"${numbers[key]}"
        return psycopg.sql.Literal(value).as_string(connection.connection)

    return _PLACEHOLDER.sub(literal, sql), slots


_PLACEHOLDER = re.compile("%%|%s")
