"""Scope: what a user may see, one ``visible_to(user)`` per model, every one rooted in the
points a user works for. Admin lists and choices, filters, API views, exports and pages all
use these; nothing re-derives scope by hand.

Who works where is kept by the apps that station people: they register their answer here when
they load (``register_scope``), so this, the bottom app, needs to know none of them.
"""

from collections.abc import Callable

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q

# Organisations nest province → city → district → street: four levels at most.
_ORG_DEPTH = 4

# kind → functions mapping a user to a queryset of ids: "points" (where they are stationed),
# "enterprises" (those their points look after), "users" (the accounts of the people and
# departments they keep).
_SCOPES: dict[str, list[Callable]] = {"points": [], "enterprises": [], "users": []}


def register_scope(kind: str, ids_of: Callable) -> Callable:
    """Count the ids ``ids_of(user)`` returns (a ``values(…)`` queryset) as rows of ``kind``
    that ``user`` may see, besides those their organisations own."""
    if ids_of not in _SCOPES[kind]:
        _SCOPES[kind].append(ids_of)
    return ids_of


def _anonymous(user) -> bool:
    return not getattr(user, "is_authenticated", False) or not user.is_active


def is_office_staff(user) -> bool:
    """Whether ``user`` staffs an organisation's office (街道工委 / 人大办公室)."""
    Organisation = apps.get_model("points", "Organisation")
    return not _anonymous(user) and Organisation.staff.through.objects.filter(user=user).exists()


class OrganisationQuerySet(models.QuerySet):
    def run_by(self, user):
        """Organisations where ``user`` is office staff, with every organisation below them."""
        # Matched against the few organisations the user staffs (a small subquery), not by
        # joining the staff table once per level: that plan took longer to make than to run.
        own = self.model.staff.through.objects.filter(user=user).values("organisation_id")
        paths = ["id", *("parent__" * up + "parent_id" for up in range(_ORG_DEPTH - 1))]
        q = Q()
        for path in paths:
            q |= Q(**{f"{path}__in": own})
        return self.filter(q)

    def visible_to(self, user):
        """The organisations ``user`` runs as office staff (all for administrators)."""
        if _anonymous(user):
            return self.none()
        return self.all() if user.is_superuser else self.run_by(user)

    def above(self, organisation):
        """``organisation`` and the organisations above it (a street's district, city…)."""
        ids, current = [], organisation
        while current is not None and len(ids) < _ORG_DEPTH:
            ids.append(current.pk)
            current = current.parent
        return self.filter(pk__in=ids)


class LiaisonPointQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def visible_to(self, user):
        """Points ``user`` works for: all below their organisations (office staff), and the
        points where they are stationed now (point heads, deputies, grid workers)."""
        if _anonymous(user):
            return self.none()
        if user.is_superuser:
            return self.all()
        Organisation = self.model.organisation.field.related_model
        scope = Q(organisation_id__in=Organisation.objects.run_by(user).values("id"))
        for points_of in _SCOPES["points"]:
            scope |= Q(id__in=points_of(user))
        return self.filter(scope)


class EnterpriseQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Enterprises registered by ``user``'s organisations, hosting one of their points, or
        looked after (包挂) by the people of their points."""
        if _anonymous(user):
            return self.none()
        if user.is_superuser:
            return self.all()
        Organisation = self.model.organisation.field.related_model
        points = apps.get_model("points", "LiaisonPoint").objects.visible_to(user)
        scope = Q(organisation_id__in=Organisation.objects.run_by(user).values("id")) | Q(
            pk__in=points.filter(host_enterprise__isnull=False).values("host_enterprise_id")
        )
        for enterprises_of in _SCOPES["enterprises"]:
            scope |= Q(pk__in=enterprises_of(user))
        return self.filter(scope)


class EnterpriseRelationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Relations of which ``user`` may see either enterprise: the office that keeps a
        supplier sees who leads it, the office that keeps the leader sees whom it leads."""
        if _anonymous(user):
            return self.none()
        if user.is_superuser:
            return self.all()
        enterprises = apps.get_model("points", "Enterprise").objects.visible_to(user).values("id")
        return self.filter(Q(source__in=enterprises) | Q(target__in=enterprises))


class GroupRobotQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Robots of the points ``user`` works for and of the organisations they run (with those
        below them)."""
        if _anonymous(user):
            return self.none()
        if user.is_superuser:
            return self.all()
        points = apps.get_model("points", "LiaisonPoint").objects.visible_to(user)
        organisations = apps.get_model("points", "Organisation").objects.run_by(user)
        return self.filter(Q(point__in=points.values("id")) | Q(organisation__in=organisations.values("id")))

    def for_event(self, point, event: str):
        """Active robots that take ``event``, of ``point`` and of its organisation and those above
        (the organisation's three levels up read in the same query, as subqueries)."""
        field = self.model.EVENT_FIELDS[event]
        own = apps.get_model("points", "Organisation").objects.filter(pk=point.organisation_id)
        return self.filter(active=True, **{field: True}).filter(
            Q(point=point.pk)
            | Q(organisation=point.organisation_id)
            | Q(organisation__in=own.values("parent_id"))
            | Q(organisation__in=own.values("parent__parent_id"))
            | Q(organisation__in=own.values("parent__parent__parent_id"))
        )


class PointScopedQuerySet(models.QuerySet):
    """Rows that belong to a point (through ``point_path``): visible where the point is."""

    point_path = "point"

    def visible_to(self, user):
        if _anonymous(user):
            return self.none()
        if user.is_superuser:
            return self.all()
        points = apps.get_model("points", "LiaisonPoint").objects.visible_to(user)
        return self.filter(**{f"{self.point_path}__in": points.values("id")})

    @classmethod
    def through(cls, path: str) -> type["PointScopedQuerySet"]:
        """The same scope for a model that reaches its point through ``path``."""
        return type(f"{cls.__name__}Through{path.title().replace('_', '')}", (cls,), {"point_path": path})


def users_visible_to(user):
    """Accounts ``user`` may pick (as a person's login, a department's handler, an office's
    staff): their own, their organisations' staff, and the accounts the apps register (people
    they may see, handlers of departments they keep). Administrators: all."""
    User = get_user_model()
    if _anonymous(user):
        return User.objects.none()
    if user.is_superuser:
        return User.objects.all()
    Organisation = apps.get_model("points", "Organisation")
    scope = Q(pk=user.pk) | Q(organisations__in=Organisation.objects.run_by(user).values("id"))
    for users_of in _SCOPES["users"]:
        scope |= Q(pk__in=users_of(user))
    return User.objects.filter(scope).distinct()
