"""One admin mixin for scope: rows, choices, list filters and query-string lookups of every
model admin and inline follow the models' ``visible_to(user)`` (``points.querysets``).

A hostile staff member gets nothing from the doors beside the URLs: a list filter offers only
what they may see, a form field only what they may choose, and the query string accepts only the
lookups the list's own filters use (``?contact_phone__startswith=…`` or
``?access_token__regex=…`` are refused with 400, not answered row by row).
"""

from django.contrib import admin
from django.contrib.auth import get_user_model

from liaison.core.text import CleanTextModelForm

from .querysets import users_visible_to

# What the admin's own filters and date drill-down put in the query string after a field.
FILTER_SUFFIXES = frozenset(
    {"exact", "isnull", "id__exact", "pk__exact", "in", "gte", "gt", "lt", "lte", "year", "month", "day"}
)


def scoped_choices(model, user, method: str = "visible_to"):
    """The rows of ``model`` that ``user`` may choose, or None for shared reference data
    (chains, segments, rules) that has no scope."""
    if model is get_user_model():
        return users_visible_to(user)
    manager = model._default_manager
    return getattr(manager, method)(user) if hasattr(manager, method) else None


class ScopedRelatedFilter(admin.RelatedFieldListFilter):
    """A foreign-key filter that lists only the related rows the user may see."""

    def field_choices(self, field, request, model_admin):
        rows = scoped_choices(field.related_model, request.user)
        if rows is None:
            return super().field_choices(field, request, model_admin)
        return [(row.pk, str(row)) for row in rows]


class ScopedChoicesMixin:
    """Every foreign key and many-to-many of the form offers only what the user may use: the
    related model's ``visible_to(user)``, or the queryset method named in ``choice_scopes``."""

    choice_scopes: dict[str, str] = {}

    def _choices(self, db_field, request, kwargs):
        if "queryset" not in kwargs:
            method = self.choice_scopes.get(db_field.name, "visible_to")
            rows = scoped_choices(db_field.remote_field.model, request.user, method)
            if rows is not None:
                kwargs["queryset"] = rows
        return kwargs

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return super().formfield_for_foreignkey(db_field, request, **self._choices(db_field, request, kwargs))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return super().formfield_for_manytomany(db_field, request, **self._choices(db_field, request, kwargs))


class ScopedAdmin(ScopedChoicesMixin, admin.ModelAdmin):
    """A model admin whose rows, choices, filters and lookups follow scope, and whose text
    input is cleaned of control characters like every other form's."""

    form = CleanTextModelForm

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def get_list_filter(self, request):
        filters = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str) and self._is_relation(entry):
                entry = (entry, ScopedRelatedFilter)
            filters.append(entry)
        return filters

    def _is_relation(self, path: str) -> bool:
        model, field = self.model, None
        for part in path.split("__"):
            field = model._meta.get_field(part)
            model = field.related_model or model
        return bool(field and field.is_relation)

    def lookup_allowed(self, lookup, value, request=None):
        """Only the lookups the list's own filters and date drill-down make."""
        fields, params = set(), set()
        for entry in self.get_list_filter(request):
            if isinstance(entry, str):
                fields.add(entry)
            elif isinstance(entry, tuple | list):
                fields.add(entry[0])
            else:
                params.add(getattr(entry, "parameter_name", None))
        if self.date_hierarchy:
            fields.add(self.date_hierarchy)
        if lookup in params:
            return True
        return any(
            lookup == field or (lookup.startswith(f"{field}__") and lookup[len(field) + 2 :] in FILTER_SUFFIXES)
            for field in fields
        )


class ScopedInline(ScopedChoicesMixin):
    """An inline whose rows and choices follow scope (mix in before TabularInline)."""

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)
