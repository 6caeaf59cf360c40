"""Each role sees only its own, in querysets, the admin and the access helper alike."""

import pytest
from django.http import Http404

from petitions import services
from petitions.access import access_petition
from petitions.models import Petition
from points.models import LiaisonPoint

from .factories import OrganisationFactory, PetitionFactory, PointFactory, UserFactory


@pytest.fixture
def two_requests(world):
    mine = PetitionFactory(point=world.point, title="本点诉求")
    theirs = PetitionFactory(point=world.other_point, title="他点诉求")
    return mine, theirs


def visible(user):
    return set(Petition.objects.visible_to(user).values_list("title", flat=True))


@pytest.mark.django_db
class TestQuerysetScope:
    def test_deputies_heads_and_grid_workers_see_their_points(self, world, two_requests):
        for user in (world.deputy, world.head, world.grid):
            assert visible(user) == {"本点诉求"}
        assert visible(world.outsider_deputy) == {"他点诉求"}

    def test_office_staff_see_their_organisation_and_below(self, world, two_requests):
        assert visible(world.office) == {"本点诉求"}
        assert set(LiaisonPoint.objects.visible_to(world.office)) == {world.point}

    def test_each_level_of_the_organisation_tree_sees_what_is_below_it(self, db):
        province = OrganisationFactory(name="省人大办", kind="province")
        city = OrganisationFactory(name="市人大办", kind="city", parent=province)
        district = OrganisationFactory(name="区人大办", kind="district", parent=city)
        street = OrganisationFactory(name="街道工委", kind="street", parent=district)
        other_city = OrganisationFactory(name="另一市", kind="city", parent=province)
        points = {org: PointFactory(organisation=org) for org in (province, city, district, street, other_city)}
        below = {
            province: set(points.values()),
            city: {points[city], points[district], points[street]},
            district: {points[district], points[street]},
            street: {points[street]},
        }
        for org, expected in below.items():
            staff = UserFactory()
            org.staff.add(staff)
            assert set(LiaisonPoint.objects.visible_to(staff)) == expected, org.name

    def test_handlers_see_only_what_was_dispatched_to_them(self, world, two_requests):
        mine, _ = two_requests
        assert visible(world.handler) == set()
        services.petition_accept(petition=mine, actor=world.deputy)
        services.petition_dispatch(petition=mine, actor=world.deputy, department=world.department)
        assert visible(world.handler) == {"本点诉求"}
        assert visible(world.other_handler) == set()

    def test_a_user_with_no_role_or_anonymous_sees_nothing(self, world, two_requests):
        from django.contrib.auth.models import AnonymousUser

        assert visible(UserFactory()) == set()
        assert visible(AnonymousUser()) == set()

    def test_an_ended_station_ends_the_scope(self, world, two_requests):
        import datetime as dt

        station = world.deputy.person.stations.get()
        station.until = dt.date(2024, 6, 30)
        station.save()
        assert visible(world.deputy) == set()

    def test_access_helper_hides_other_points(self, world, two_requests):
        _, theirs = two_requests
        with pytest.raises(Http404):
            access_petition(world.deputy, theirs.pk)


@pytest.mark.django_db
class TestAdminScope:
    def test_changelist_shows_only_the_users_requests(self, client, world, two_requests):
        client.force_login(world.deputy)
        body = client.get("/admin/petitions/petition/").content.decode()
        assert "本点诉求" in body and "他点诉求" not in body

    def test_another_points_request_is_not_found_in_the_admin(self, client, world, two_requests):
        _, theirs = two_requests
        client.force_login(world.deputy)
        assert client.get(f"/admin/petitions/petition/{theirs.pk}/change/").status_code in (302, 404)
        response = client.post(f"/admin/petitions/petition/{theirs.pk}/do/accept/")
        assert response.status_code == 404
        theirs.refresh_from_db()
        assert theirs.status == "submitted"

    def test_phones_are_masked_in_lists_and_for_handlers(self, client, world, two_requests):
        mine, _ = two_requests
        client.force_login(world.deputy)
        listing = client.get("/admin/petitions/petition/").content.decode()
        assert "138****1234" in listing and "13812341234" not in listing
        detail = client.get(f"/admin/petitions/petition/{mine.pk}/change/").content.decode()
        assert "13812341234" in detail
        services.petition_accept(petition=mine, actor=world.deputy)
        services.petition_dispatch(petition=mine, actor=world.deputy, department=world.department)
        client.force_login(world.handler)
        detail = client.get(f"/admin/petitions/petition/{mine.pk}/change/").content.decode()
        assert "138****1234" in detail and "13812341234" not in detail

    def test_public_pages_show_no_private_data(self, client, world, two_requests):
        body = client.get(f"/p/{world.point.code}/").content.decode()
        assert "13812341234" not in body and "138****" not in body
        assert "本点诉求" not in body
