"""Routing suggestion: the departments that answered this category at this organisation, first."""

import datetime as dt

import pytest
from django.utils import timezone

from petitions import routing, services
from petitions.forms import DispatchForm
from petitions.models import Category, Petition, Status

from .factories import DepartmentFactory, PetitionFactory, PointFactory

DAY = dt.timedelta(days=1)


def answered(point, department, *, days_ago, category=Category.POLICY, count=1, status=Status.CLOSED):
    """Past requests ``department`` answered (set directly: only their outcome matters here)."""
    for _ in range(count):
        petition = PetitionFactory(point=point, category=category)
        when = timezone.now() - days_ago * DAY
        Petition.objects.filter(pk=petition.pk).update(
            status=status, department=department, resolved_at=when, dispatched_at=when - DAY
        )


@pytest.fixture
def history(world):
    """Departments of the district with different pasts at the world's street."""
    district = world.department.organisation
    recent = DepartmentFactory(name="区经信委", organisation=district)
    old = DepartmentFactory(name="区规自局", organisation=district)
    other_category = DepartmentFactory(name="区人社局", organisation=district)
    elsewhere = DepartmentFactory(name="区住建委", organisation=district)
    sister_point = PointFactory(organisation=PointFactory(organisation__parent=district).organisation)
    answered(world.point, recent, days_ago=30)  # once, last month: weight 3
    answered(world.point, old, days_ago=400, count=2)  # twice, over a year ago: weight 1 + 1
    answered(world.point, world.department, days_ago=200, status=Status.RESOLVED)  # weight 2, 1 answer
    answered(world.point, other_category, days_ago=10, count=5, category=Category.LABOUR)
    answered(sister_point, elsewhere, days_ago=10, count=5)  # another street of the district
    answered(world.point, elsewhere, days_ago=900, count=5)  # beyond the window
    petition = PetitionFactory(point=world.point, category=Category.POLICY)
    petition = services.petition_accept(petition=petition, actor=world.deputy)
    return petition, {"recent": recent, "old": old, "other_category": other_category, "elsewhere": elsewhere}


@pytest.mark.django_db
class TestRouting:
    def test_recent_and_frequent_answers_of_the_category_at_the_organisation_come_first(self, world, history):
        petition, d = history
        ranked = routing.suggestions(petition)
        assert [(s.department_id, s.handled, s.score) for s in ranked] == [
            (d["recent"].pk, 1, 3),
            (d["old"].pk, 2, 2),
            (world.department.pk, 1, 2),
        ]

    def test_the_dispatch_form_orders_and_marks_them(self, world, history, django_assert_max_num_queries):
        petition, d = history
        form = DispatchForm(petition=petition)
        with django_assert_max_num_queries(3):  # the suggestion, its check against scope, the choices
            choices = [label for value, label in form.fields["department"].choices if value]
        assert choices[0] == "【建议】区经信委（已办理同类诉求 1 件）"
        assert choices[1] == "【建议】区规自局（已办理同类诉求 2 件）"
        assert choices[2].startswith("【建议】区交通局")
        assert set(choices[3:]) == {"区人社局", "区住建委"}

    def test_a_returned_request_does_not_count_for_the_department(self, world, history):
        petition, d = history
        other = services.petition_accept(petition=PetitionFactory(point=world.point), actor=world.deputy)
        other = services.petition_dispatch(petition=other, actor=world.deputy, department=world.department)
        services.petition_return(petition=other, actor=world.handler, reason="非本单位职责")
        assert [s.department_id for s in routing.suggestions(petition)][-1] == world.department.pk

    def test_nothing_to_suggest_leaves_the_departments_by_name(self, world):
        petition = services.petition_accept(
            petition=PetitionFactory(point=world.point, category=Category.EDUCATION), actor=world.deputy
        )
        form = DispatchForm(petition=petition)
        labels = [label for value, label in form.fields["department"].choices if value]
        assert labels == sorted(labels) and not any("建议" in label for label in labels)

    def test_the_suggestion_is_one_query(self, world, history, django_assert_num_queries):
        petition, _ = history
        with django_assert_num_queries(1):
            routing.suggestions(petition)

    def test_the_api_lists_departments_suggested_first(self, client, world, history):
        petition, d = history
        client.force_login(world.deputy)
        rows = client.get(f"/api/v1/requests/{petition.pk}/departments/").json()
        assert [r["name"] for r in rows[:3]] == ["区经信委", "区规自局", "区交通局"]
        assert [r["suggested_for"] for r in rows] == [1, 2, 1, 0, 0]
        client.force_login(world.other_handler)  # a department that never saw it
        assert client.get(f"/api/v1/requests/{petition.pk}/departments/").status_code == 404

    def test_the_admin_step_page_shows_the_suggestion(self, client, world, history):
        petition, _ = history
        client.force_login(world.deputy)
        body = client.get(f"/admin/petitions/petition/{petition.pk}/do/dispatch/").content.decode()
        assert body.index("【建议】区经信委") < body.index("区人社局")
