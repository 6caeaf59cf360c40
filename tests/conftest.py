"""Named personas around one liaison point, and a second point nobody here works for."""

from dataclasses import dataclass

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from liaison.core import roles

from .factories import (
    DepartmentFactory,
    EnterpriseFactory,
    EnterpriseLinkFactory,
    OrganisationFactory,
    PersonFactory,
    PetitionFactory,
    PointFactory,
    StationFactory,
    UserFactory,
)


@dataclass
class World:
    point: object
    other_point: object
    enterprise: object
    department: object
    other_department: object
    office: object
    head: object
    deputy: object
    grid: object
    handler: object
    outsider_deputy: object
    other_handler: object


# Personas' people, by login name.
NAMES = {"head": "陈立群", "deputy": "李晓梅", "grid": "吴敏", "outsider": "王建平"}


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the portal's language: a request made in English (the language
    switch's cookie) leaves its thread in English, as Django's locale middleware does, and a
    test that reads a timeline after it would read English notes."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(db):
    district = OrganisationFactory(name="测试区人大办", kind="district")
    street = OrganisationFactory(parent=district)
    other_street = OrganisationFactory()
    point = PointFactory(organisation=street, code="byd", name="比亚迪璧山园区人大代表活动点")
    other_point = PointFactory(organisation=other_street, code="other", name="青山工业人大代表活动点")

    def person_at(p, username, group, role="member", kind="consultative"):
        user = UserFactory(username=username, groups=[group])
        person = PersonFactory(user=user, kind=kind, name=NAMES[username])
        StationFactory(person=person, point=p, role=role)
        return user, person

    head, head_person = person_at(point, "head", roles.POINT_HEAD, role="head", kind="deputy")
    deputy, deputy_person = person_at(point, "deputy", roles.DEPUTY)
    grid, _ = person_at(point, "grid", roles.GRID_WORKER, kind="grid_worker")
    outsider, _ = person_at(other_point, "outsider", roles.DEPUTY)
    enterprise = EnterpriseFactory(name="璧山智控电子有限公司")
    EnterpriseLinkFactory(person=deputy_person, enterprise=enterprise)

    office = UserFactory(username="office", groups=[roles.OFFICE_STAFF])
    district.staff.add(office)
    handler = UserFactory(username="handler", groups=[roles.DEPARTMENT_HANDLER])
    other_handler = UserFactory(username="other_handler", groups=[roles.DEPARTMENT_HANDLER])
    department = DepartmentFactory(name="区交通局", organisation=district)
    department.handlers.add(handler)
    other_department = DepartmentFactory(name="区教委", organisation=other_street)
    other_department.handlers.add(other_handler)
    return World(
        point,
        other_point,
        enterprise,
        department,
        other_department,
        office,
        head,
        deputy,
        grid,
        handler,
        outsider,
        other_handler,
    )


@pytest.fixture
def petition(world):
    return PetitionFactory(point=world.point)
