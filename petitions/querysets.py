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
        LiaisonPoint = self.model.point.field.related_model
        Department = self.model.department.field.related_model
        # Ids as literal lists, not subqueries: PostgreSQL then reads the point and department
        # indexes (a bitmap OR) instead of testing a million rows against two subplans.
        points = list(LiaisonPoint.objects.visible_to(user).values_list("id", flat=True))
        departments = list(Department.objects.filter(handlers=user).values_list("id", flat=True))
        scope = Q(pk__in=[])
        if points:
            scope |= Q(point_id__in=points)
        if departments:
            scope |= Q(department_id__in=departments)
        return self.filter(scope)

    def open(self):
        return self.filter(status__in=self.model.OPEN_STATUSES)

    def overdue(self, today=None):
        """Open requests whose current stage passed its deadline before ``today``."""
        today = today or timezone.localdate()
        return self.open().filter(due_date__lt=today)
