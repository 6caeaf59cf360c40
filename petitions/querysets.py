import re

from django.apps import apps
from django.db import connections, models
from django.db.models import Q
from django.utils import timezone

from liaison.core import lookups  # noqa: F401 — registers field__any_of
from liaison.core.workdays import end_of_day
from points.models import LiaisonPoint, Organisation
from points.querysets import _anonymous


def urgency_rank():
    """The order of the desk's lists: 0 for critical, 1 for urgent, 2 for normal, and 3 for
    requests that wait for nobody (no deadline: finished ones), whatever their urgency."""
    return models.Case(
        models.When(due_at__isnull=True, then=3),
        models.When(urgency="critical", then=0),
        models.When(urgency="urgent", then=1),
        default=2,
        output_field=models.PositiveSmallIntegerField(),
    )


class PetitionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Requests ``user`` may see: those of the points they work for (office staff, point
        heads, deputies, grid workers) and those dispatched to their department (handlers).
        The public sees none; enterprises reach their own through the secret link only."""
        if _anonymous(user):
            return self.none()
        if user.is_superuser:
            return self.all()
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

    def overdue(self, now=None):
        """Open requests whose current stage passed its deadline before ``now``."""
        return self.open().filter(due_at__lt=now or timezone.now())

    def due_today(self, now=None):
        """Open requests whose current stage is due later on ``now``'s day."""
        now = now or timezone.now()
        return self.open().filter(due_at__gte=now, due_at__lte=end_of_day(timezone.localdate(now)))

    def by_urgency(self):
        """Most urgent first, then the nearest deadline; requests without one last, newest first."""
        return self.order_by(urgency_rank().asc(), models.F("due_at").asc(nulls_last=True), "-submitted_at", "-id")

    def search(self, text: str):
        """Requests whose number, title, enterprise name or content contains ``text`` (any
        case), for the work desk's and the API's search box.

        On PostgreSQL one ``LIKE`` over ``SearchText``, which a trigram GIN index serves when
        ``text`` holds a run of three letters or digits (a Chinese word of three characters);
        elsewhere one ``icontains`` per field. Shorter text has no trigram to look up: the index
        would be read whole, and reading every request of a province office is no better, so
        it is matched among the newest ``SHORT_SEARCH_LIMIT`` requests of this queryset only
        (the search box says so), in one query of its own."""
        text = " ".join((text or "").split())
        if not text:
            return self
        any_field = Q()
        for field in ("number", "title", "enterprise_name", "content"):
            any_field |= Q(**{f"{field}__icontains": text})
        if is_short_search(text):
            # Matched here, to ids: PostgreSQL cannot estimate four LIKEs and planned the page
            # and its joins as if one row matched (1.4 s at a city's 100,000 requests).
            newest = self.order_by("-submitted_at", "-id").values("pk")[:SHORT_SEARCH_LIMIT]
            ids = self.model.objects.filter(pk__in=newest).filter(any_field).values_list("pk", flat=True)
            return self.filter(pk__any_of=list(ids))
        if connections[self.db].vendor == "postgresql":
            return self.alias(search_text=SearchText()).filter(search_text__contains=text.upper())
        return self.filter(any_field)


SHORT_SEARCH_LIMIT = 2000
_WORD = re.compile(r"[^\W_]+")


def is_short_search(text: str) -> bool:
    """No run of three letters or digits in ``text``: pg_trgm finds no trigram to look up."""
    return max((len(w) for w in _WORD.findall(text)), default=0) < 3


class SearchText(models.Func):
    """Number, title, enterprise name and content as one upper-cased text: what the search reads
    on PostgreSQL and, in the same SQL, what its trigram index holds (migration 0012). The four
    columns are never NULL, so no COALESCE (which ``Concat`` adds) hides the expression."""

    template = "UPPER(%(expressions)s)"
    arg_joiner = " || ' ' || "
    output_field = models.TextField()

    def __init__(self):
        super().__init__("number", "title", "enterprise_name", "content")


class ByPetitionQuerySet(models.QuerySet):
    """Rows of a request (timeline entries, attachments): visible where the request is."""

    def visible_to(self, user):
        Petition = apps.get_model("petitions", "Petition")
        return self.filter(petition__in=Petition.objects.visible_to(user).values("id"))


class DepartmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Departments ``user`` may see: their own (handlers), those of their organisations and
        the ones above them (office staff), and those serving their points (deputies)."""
        if _anonymous(user):
            return self.none()
        if user.is_superuser:
            return self.all()
        points = LiaisonPoint.objects.visible_to(user)
        return self.filter(
            Q(handlers=user)
            | Q(organisation__in=Organisation.objects.run_by(user).values("id"))
            | self._serving_q(points)
        ).distinct()

    def managed_by(self, user):
        """Departments whose record (name, handlers, platform) ``user`` may change: those of the
        organisations they run as office staff."""
        if _anonymous(user):
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(organisation__in=Organisation.objects.run_by(user).values("id"))

    def serving(self, point):
        """Active departments a request of ``point`` may be dispatched to: those of the point's
        organisation and the organisations above it (a district's bureaus serve its streets)."""
        return self.filter(active=True, organisation__in=Organisation.objects.above(point.organisation).values("id"))

    def _serving_q(self, points):
        # An organisation above one of the points: the points' organisations up to four levels.
        orgs = points.values("organisation_id")
        paths = ["id", "children__id", "children__children__id", "children__children__children__id"]
        q = Q()
        for path in paths:
            q |= Q(**{f"organisation__{path}__in": orgs})
        return q
