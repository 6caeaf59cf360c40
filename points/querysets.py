from django.db import models
from django.db.models import Q
from django.utils import timezone

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


class LiaisonPointQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def visible_to(self, user):
        """Points ``user`` works for: all below their organisations (office staff), or the
        points where they are stationed now (point heads, deputies, grid workers).

        Stations are matched through their reverse name so that this app needs no import of
        the deputies app, which depends on it.
        """
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        from .models import LiaisonPoint, Organisation

        today = timezone.localdate()
        stationed = LiaisonPoint.objects.filter(
            Q(stations__until__isnull=True) | Q(stations__until__gte=today),
            stations__person__user=user,
            stations__since__lte=today,
        ).values("id")
        orgs = Organisation.objects.run_by(user).values("id")
        return self.filter(Q(organisation_id__in=orgs) | Q(id__in=stationed))
