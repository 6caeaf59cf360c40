"""The work desk's doors beside the URLs, tried as a hostile staff member would: for every role
and every admin model, the rows of the list, each choice of the form and its inlines, each list
filter and the lookups the query string accepts all follow scope (``visible_to``)."""

import datetime as dt

import pytest
from django.contrib import admin
from django.forms import ModelChoiceField
from django.test import RequestFactory

from deputies.models import Activity, Person, ReceptionDay, Station, Suggestion
from deputies.services import reception_days_generate
from petitions import services
from petitions.models import Department
from points.admin_scope import scoped_choices
from points.models import Enterprise, LiaisonPoint

from .factories import DepartmentFactory, EnterpriseFactory, PersonFactory, PetitionFactory

ROLES = ["office", "head", "deputy", "grid", "handler", "outsider_deputy", "other_handler"]


@pytest.fixture
def both_sides(world):
    """Rows on the world's side and on the other point's side of every scoped model."""
    for point, tag in ((world.point, "本"), (world.other_point, "他")):
        Activity.objects.create(point=point, kind="inspection", title=f"{tag}视察", date=dt.date(2026, 5, 1))
        Suggestion.objects.create(point=point, title=f"{tag}建议", filed_on=dt.date(2026, 5, 1))
        PetitionFactory(point=point, title=f"{tag}诉求")
    reception_days_generate()
    stranger = PersonFactory(name="他区未安排人员", organisation=world.other_point.organisation)
    EnterpriseFactory(name="他区企业", organisation=world.other_point.organisation)
    DepartmentFactory(name="他区单位", organisation=world.other_point.organisation)
    return stranger


def request_as(user, path="/admin/", data=None):
    request = RequestFactory().get(path, data or {})
    request.user = user
    return request


def scoped_admins():
    for model, model_admin in admin.site._registry.items():
        if hasattr(model._default_manager, "visible_to"):
            yield model, model_admin


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_every_list_shows_exactly_the_rows_in_scope(world, both_sides, role):
    user = getattr(world, role)
    for model, model_admin in scoped_admins():
        request = request_as(user)
        if not model_admin.has_view_or_change_permission(request):
            continue
        rows = set(model_admin.get_queryset(request).values_list("pk", flat=True))
        assert rows == set(model._default_manager.visible_to(user).values_list("pk", flat=True)), model


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_every_choice_of_every_form_and_inline_is_in_scope(world, both_sides, role):
    user = getattr(world, role)
    checked = 0
    for model, model_admin in admin.site._registry.items():
        request = request_as(user)
        if not model_admin.has_view_or_change_permission(request):
            continue
        forms = [model_admin.get_form(request)]
        forms += [inline.get_formset(request).form for inline in model_admin.get_inline_instances(request)]
        for form in forms:
            for name, field in form.base_fields.items():
                if not isinstance(field, ModelChoiceField):
                    continue
                allowed = scoped_choices(field.queryset.model, user)
                if allowed is None:
                    continue  # shared reference data: chains, segments, rules
                offered = set(field.queryset.values_list("pk", flat=True))
                assert offered <= set(allowed.values_list("pk", flat=True)), (model, name)
                checked += 1
    if role == "office":
        assert checked >= 10  # the office's forms have many choices; make sure they were seen


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["office", "head", "handler", "outsider_deputy"])
def test_every_list_filter_offers_only_what_is_in_scope(world, both_sides, role):
    user = getattr(world, role)
    for model, model_admin in scoped_admins():
        request = request_as(user, f"/admin/{model._meta.app_label}/{model._meta.model_name}/")
        if not model_admin.has_view_or_change_permission(request):
            continue
        changelist = model_admin.get_changelist_instance(request)
        for spec in changelist.filter_specs:
            field = getattr(spec, "field", None)
            if field is None or not field.is_relation:
                continue
            allowed = scoped_choices(field.related_model, user)
            if allowed is None:
                continue
            offered = {pk for pk, _label in spec.lookup_choices}
            assert offered <= set(allowed.values_list("pk", flat=True)), (model, spec.title)


@pytest.mark.django_db
class TestLookups:
    """Hidden fields cannot be probed through the query string."""

    @pytest.mark.parametrize(
        "query",
        [
            "contact_phone__startswith=1380",
            "access_token__regex=^a",
            "access_token__startswith=a",
            "number=BYD-2026-00001",
            "status__regex=.*",
            "department__handlers__username=handler",
            "point__organisation__staff__username=office",
            "title__contains=诉求",
        ],
    )
    def test_lookups_beside_the_lists_filters_are_refused(self, client, world, both_sides, query):
        petition = PetitionFactory(point=world.point)
        services.petition_accept(petition=petition, actor=world.deputy)
        services.petition_dispatch(petition=petition, actor=world.deputy, department=world.department)
        client.force_login(world.handler)
        response = client.get(f"/admin/petitions/petition/?{query}")
        assert response.status_code == 400

    @pytest.mark.parametrize(
        "query", ["status__exact=submitted", "point=1", "deadline=overdue", "department__id__exact=1", "point=abc"]
    )
    def test_the_lists_own_filters_work(self, client, world, both_sides, query):
        client.force_login(world.office)
        assert client.get(f"/admin/petitions/petition/?{query}").status_code == 200

    def test_a_year_out_of_range_in_the_date_drill_down_is_no_error(self, client, world, both_sides):
        client.force_login(world.office)
        response = client.get("/admin/deputies/activity/?date__year=99999")
        assert response.status_code in (200, 302, 400)

    def test_people_lists_refuse_lookups_on_phones(self, client, world, both_sides):
        client.force_login(world.office)
        assert client.get("/admin/deputies/person/?phone__startswith=13").status_code == 400


@pytest.mark.django_db
class TestOfficeStaffStayInTheirDistrict:
    def test_a_station_at_another_districts_point_is_refused(self, client, world, both_sides):
        person = Person.objects.get(user=world.deputy)
        client.force_login(world.office)
        url = f"/admin/deputies/person/{person.pk}/change/"
        page = client.get(url)
        assert page.status_code == 200
        data = {
            "name": person.name,
            "kind": person.kind,
            "level": "",
            "organisation": world.point.organisation.pk,
            "active": "on",
            "stations-TOTAL_FORMS": "1",
            "stations-INITIAL_FORMS": "0",
            "stations-0-point": world.other_point.pk,
            "stations-0-role": "head",
            "stations-0-since": "2026-01-01",
            "enterprise_links-TOTAL_FORMS": "0",
            "enterprise_links-INITIAL_FORMS": "0",
        }
        response = client.post(url, data)
        assert response.status_code == 200  # the form again, with the error
        assert not Station.objects.filter(person=person, point=world.other_point).exists()

    def test_people_placed_nowhere_are_seen_by_their_own_office_only(self, client, world, both_sides):
        stranger = both_sides
        client.force_login(world.office)
        assert client.get(f"/admin/deputies/person/{stranger.pk}/change/").status_code == 302  # "not found"
        assert stranger not in Person.objects.visible_to(world.office)
        mine = PersonFactory(name="本区未安排人员", organisation=world.point.organisation.parent)
        assert mine in Person.objects.visible_to(world.office)

    def test_another_districts_department_cannot_be_changed(self, client, world, both_sides):
        theirs = Department.objects.get(name="他区单位")
        mine = world.department
        client.force_login(world.office)
        assert theirs not in Department.objects.visible_to(world.office)
        url = f"/admin/petitions/department/{mine.pk}/change/"
        data = {
            "name": mine.name,
            "organisation": mine.organisation_id,
            "active": "on",
            "handlers": [world.other_handler.pk],
        }
        response = client.post(url, data)
        assert response.status_code == 200  # refused: that account is not the office's to pick
        assert list(mine.handlers.all()) == [world.handler]

    def test_handlers_list_is_kept_by_the_departments_office_only(self, client, world, both_sides):
        client.force_login(world.head)  # sees the department (it serves the point) but does not keep it
        assert world.department in Department.objects.visible_to(world.head)
        url = f"/admin/petitions/department/{world.department.pk}/change/"
        client.post(url, {"name": "改名", "organisation": world.department.organisation_id, "handlers": []})
        world.department.refresh_from_db()
        assert world.department.name == "区交通局" and list(world.department.handlers.all()) == [world.handler]

    def test_a_request_is_dispatched_only_to_departments_serving_its_point(self, world):
        petition = PetitionFactory(point=world.point)
        services.petition_accept(petition=petition, actor=world.deputy)
        with pytest.raises(services.TransitionRefused):
            services.petition_dispatch(petition=petition, actor=world.deputy, department=world.other_department)


@pytest.mark.django_db
class TestPointHeads:
    def test_a_head_cannot_move_rename_recode_or_close_their_point(self, client, world):
        point = world.point
        client.force_login(world.head)
        url = f"/admin/points/liaisonpoint/{point.pk}/change/"
        assert client.get(url).status_code == 200
        data = {
            "name": "改名",
            "code": "moved",
            "organisation": world.other_point.organisation_id,
            "chain": point.chain_id,
            "address": point.address,
            "opened_on": "2023-06-15",
            "reception_day": 15,
            "reception_rule": "next_workday",
            "rules": "新制度",
            "reception_process": "",
        }
        response = client.post(url, data)
        assert response.status_code == 302, response.content.decode()[:500]
        point.refresh_from_db()
        assert (point.name, point.code, point.organisation_id, point.active) == (
            "比亚迪璧山园区人大代表活动点",
            "byd",
            world.point.organisation_id,
            True,
        )
        assert point.rules == "新制度"  # what a head keeps, they may change

    def test_office_staff_may(self, client, world):
        client.force_login(world.office)
        form = admin.site._registry[LiaisonPoint].get_form(request_as(world.office), world.point)
        assert {"name", "code", "organisation", "active"} <= set(form.base_fields)


@pytest.mark.django_db
def test_enterprises_of_another_district_are_not_visible(world, both_sides):
    assert not Enterprise.objects.visible_to(world.office).filter(name="他区企业").exists()
    assert Enterprise.objects.visible_to(world.deputy).filter(pk=world.enterprise.pk).exists()  # 包挂


@pytest.mark.django_db
def test_reception_days_and_stations_follow_the_points(world, both_sides):
    for model in (ReceptionDay, Station):
        points = set(model.objects.visible_to(world.outsider_deputy).values_list("point_id", flat=True))
        assert points == {world.other_point.pk}, model


@pytest.mark.django_db
def test_a_refused_lookup_answers_in_chinese(client, world):
    client.force_login(world.handler)
    response = client.get("/admin/petitions/petition/?contact_phone__startswith=1")
    assert response.status_code == 400 and "无法处理" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/admin/deputies/activity/?date__year=99999",
        "/admin/deputies/activity/?date__year=99999&date__month=13",
        "/admin/deputies/activity/?date__year=abc",
        "/admin/deputies/activity/?point__id__exact=abc",
        "/admin/deputies/activity/?point__id__exact=99999999999999999999999",
        "/admin/deputies/activity/?kind__exact=%00",
        "/admin/petitions/petition/?escalation_level__exact=abc",
        "/admin/petitions/petition/?status__in=a,b",
        "/admin/petitions/petition/?waiting=zzz",
        "/admin/petitions/petition/?point=abc",
        "/admin/petitions/petition/?title__regex=(",
    ],
)
def test_malformed_filter_values_are_no_error(client, world, url):
    """A broken value in a list's own filter is an empty list, Django's "wrong parameters" page
    or a 400, never a 500 — on SQLite and PostgreSQL alike."""
    client.force_login(world.office)
    assert client.get(url).status_code in (200, 302, 400)
