"""INSERT … SELECT through the ORM: rows the database computes from a queryset without
loading them into Python. For set-based jobs that write thousands of rows at a time (the
escalation scan writes a timeline row and its messages for every overdue request).

Django has no public INSERT … SELECT, so this compiles one from parts that are Django's own
but not documented API (checked with Django 5.2): ``Query.get_compiler(using).as_sql()`` for the
SELECT, and the backend's ``ops.insert_statement(on_conflict=…)`` and
``ops.on_conflict_suffix_sql(fields, on_conflict, None, None)`` for ``INSERT [OR IGNORE] INTO`` and
``ON CONFLICT DO NOTHING``. tests/test_scheduling.py pins the result against the ORM writing the
same rows one by one, on SQLite and on PostgreSQL (CI): an upgrade that changes them fails there.
The row-by-row alternative costs ~2.5× the escalation scan's time (docs/performance.md).

With a ``cache_key``, the statement is compiled once per process and run as
``liaison.core.compiled`` runs its statements (prepared on PostgreSQL)."""

from django.db import connections, router
from django.db.models import Value
from django.db.models.constants import OnConflict
from django.db.models.functions import Cast
from django.utils import timezone

from . import compiled
from .compiled import Bound

AUTO_NOW = "__now__"  # the Bound name of auto_now fields' value in a statement compiled once


def insert_select(model, queryset, *, ignore_conflicts=False, **columns) -> int:
    """Insert one ``model`` row for each row of ``queryset`` and return how many were inserted.

    Each keyword names a field of ``model`` and gives an expression over the queryset's rows
    (``F("id")``, ``Concat(…)``, ``JSONObject(…)``) or a plain value; other fields get their
    default (``auto_now``/``auto_now_add`` fields: now). With ``ignore_conflicts``, rows that
    would break a unique constraint are skipped, as with ``bulk_create``.
    """
    with _insert(model, [(queryset, columns)], ignore_conflicts, ()) as cursor:
        return cursor.rowcount


def insert_select_all(
    model, parts, *, ignore_conflicts=False, returning=("id",), cache_key=None, values=None
) -> list[tuple]:
    """``insert_select`` of several querysets in one statement (``INSERT … SELECT … UNION ALL
    SELECT …``): ``parts`` is a list of ``(queryset, columns)``, each as ``insert_select``'s
    arguments. Returns the ``returning`` fields of the rows inserted (``RETURNING``: PostgreSQL,
    SQLite 3.35 or newer). For a write that concerns a few rows of several kinds at once (the
    messages of a new request), where one round trip matters more than the rows.

    With a ``cache_key``, ``parts`` is a function returning them, called once per process (and
    key): what changes between runs is given as ``Bound(name, field)`` expressions, and their
    values as ``values`` on every call."""
    if cache_key is None:
        with _insert(model, parts, ignore_conflicts, returning) as cursor:
            return cursor.fetchall()
    using = router.db_for_write(model)
    once = compiled.statement(
        ("insert_select_all", model._meta.label, cache_key),
        using,
        lambda: _compile(model, parts(), ignore_conflicts, returning, using, cached=True),
    )
    return compiled.run(using, once, {AUTO_NOW: timezone.now(), **(values or {})})


def _insert(model, parts, ignore_conflicts, returning):
    using = router.db_for_write(model)
    statement, params = _compile(model, parts, ignore_conflicts, returning, using)
    cursor = connections[using].cursor()
    cursor.execute(statement, params)
    return cursor


def _compile(model, parts, ignore_conflicts, returning, using, cached=False):
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    connection = connections[using]
    selects, params = [], []
    for queryset, columns in parts:
        sql, part_params = _select(model, fields, queryset, columns, using, cached)
        selects.append(sql)
        params.extend(part_params)
    on_conflict = OnConflict.IGNORE if ignore_conflicts else None
    quote = connection.ops.quote_name
    statement = " ".join(
        [
            connection.ops.insert_statement(on_conflict=on_conflict),
            quote(model._meta.db_table),
            "(" + ", ".join(quote(field.column) for field in fields) + ")",
            " UNION ALL ".join(selects),
            connection.ops.on_conflict_suffix_sql(fields, on_conflict, None, None) or "",
            ("RETURNING " + ", ".join(quote(model._meta.get_field(name).column) for name in returning))
            if returning
            else "",
        ]
    )
    return statement, params


def _select(model, fields, queryset, columns, using, cached=False):
    known = {name for field in fields for name in (field.name, field.attname)}
    if unknown := set(columns) - known:
        raise TypeError(f"{model.__name__} has no field {', '.join(sorted(unknown))}")
    select = {}
    for field in fields:
        given = [columns[name] for name in (field.name, field.attname) if name in columns]
        if given:
            value = given[0]
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = Bound(AUTO_NOW, field) if cached else timezone.now()
        else:
            value = field.get_default()
        if value is None:  # typed: in a UNION, PostgreSQL reads a bare NULL as text
            value = Cast(Value(None), output_field=field)
        elif not hasattr(value, "resolve_expression"):
            value = Value(value, output_field=field)
        select[f"insert_{field.attname}"] = value  # aliases that cannot clash with the queryset's fields
    # Annotations keep the order they were given in, so the SELECT lines up with the column list.
    query = queryset.order_by().values(**select).query
    return query.get_compiler(using).as_sql()
