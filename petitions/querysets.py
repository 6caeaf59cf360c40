from django.db import models
from django.db.models import Q
from django.utils import timezone


class PetitionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Requests ``user`` may see: those of the points they work for (office staff, point
        heads, deputies, grid workers) and those dispatched to their department (handlers).
        The public sees none; enterprises reach their own through the secret link only."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        from points.models import LiaisonPoint

        from .models import Department

        points = LiaisonPoint.objects.visible_to(user).values("id")
        departments = Department.objects.filter(handlers=user).values("id")
        return self.filter(Q(point_id__in=points) | Q(department_id__in=departments))

    def open(self):
        from .models import OPEN_STATUSES

        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, today=None):
        """Open requests whose current stage passed its deadline before ``today``."""
        today = today or timezone.localdate()
        return self.open().filter(due_date__lt=today)
