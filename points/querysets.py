from collections.abc import Callable

from django.db import models
from django.db.models import Q

# Organisations nest province → city → district → street: four levels at most.
_ORG_DEPTH = 4


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


# Who works at which point is kept by the apps that station people (deputies registers its
# current stations when it loads), so this, the bottom app, needs to know none of them. Each
# entry maps a user to a queryset of point ids.
_MEMBERSHIPS: list[Callable] = []


def register_membership(points_of: Callable) -> Callable:
    """Count the points ``points_of(user)`` returns (a ``values("point_id")`` queryset) as
    points ``user`` works for."""
    if points_of not in _MEMBERSHIPS:
        _MEMBERSHIPS.append(points_of)
    return points_of


class LiaisonPointQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def visible_to(self, user):
        """Points ``user`` works for: all below their organisations (office staff), and the
        points the registered memberships give them (where they are stationed now: point
        heads, deputies, grid workers)."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        Organisation = self.model.organisation.field.related_model
        scope = Q(organisation_id__in=Organisation.objects.run_by(user).values("id"))
        for points_of in _MEMBERSHIPS:
            scope |= Q(id__in=points_of(user))
        return self.filter(scope)
