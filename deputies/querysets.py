"""Scope and current state of people and their work (see ``points.querysets``)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from points.models import LiaisonPoint, Organisation
from points.querysets import PointScopedQuerySet, _anonymous


class PersonQuerySet(models.QuerySet):
    def visible_to(self, user):
        """People kept by ``user``'s organisations, and people stationed (now or before) at the
        points ``user`` works for. Someone placed nowhere is seen only by their own office."""
        if _anonymous(user):
            return self.none()
        if user.is_superuser:
            return self.all()
        points = LiaisonPoint.objects.visible_to(user).values("id")
        stationed = self.model.stations.rel.related_model.objects.filter(point__in=points).values("person_id")
        return self.filter(Q(organisation_id__in=Organisation.objects.run_by(user).values("id")) | Q(pk__in=stationed))

    def accounts_visible_to(self, user):
        """Ids of the login accounts of the people ``user`` may see."""
        return self.visible_to(user).filter(user__isnull=False).values("user_id")


class StationQuerySet(PointScopedQuerySet):
    def current(self, day=None):
        """Stations that hold on ``day`` (today by default)."""
        day = day or timezone.localdate()
        return self.filter(Q(until__isnull=True) | Q(until__gte=day), since__lte=day)

    def points_of(self, user, day=None):
        """Ids of the points where ``user`` is stationed on ``day``: the membership that
        ``LiaisonPoint.objects.visible_to`` counts (registered in DeputiesConfig.ready)."""
        return self.current(day).filter(person__user=user).values("point_id")

    def heads(self, day=None):
        """The point heads (点长) of ``day``: the one definition every page, job and check uses."""
        return self.current(day).filter(role=self.model.Role.HEAD)


class EnterpriseLinkQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Links of the people ``user`` may see."""
        Person = self.model.person.field.related_model
        return self.filter(person__in=Person.objects.visible_to(user).values("id"))

    def enterprises_of(self, user):
        """Ids of the enterprises looked after by people stationed at ``user``'s points."""
        points = LiaisonPoint.objects.visible_to(user).values("id")
        return self.filter(person__stations__point__in=points).values("enterprise_id")


DutyQuerySet = PointScopedQuerySet.through("reception_day__point")


class PhotoQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Photos of the activities and reception days of the points ``user`` works for."""
        points = LiaisonPoint.objects.visible_to(user).values("id")
        return self.filter(Q(activity__point__in=points) | Q(reception_day__point__in=points))


class VisitQuerySet(PointScopedQuerySet):
    def visible_to(self, user):
        """Visits at the points ``user`` works for, and their own wherever made."""
        mine = self.filter(person__user=user) if getattr(user, "is_authenticated", False) else self.none()
        return super().visible_to(user) | mine

    def in_quarter(self, day):
        """Visits in the calendar quarter containing ``day``."""
        first = day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
        return self.filter(date__gte=first, date__lt=_next_quarter(first))


def _next_quarter(first):
    month = first.month + 3
    return first.replace(year=first.year + (month > 12), month=(month - 1) % 12 + 1)
