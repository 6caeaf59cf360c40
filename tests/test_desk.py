"""我的待办: the work desk's home page tells each person what waits for them, and every count
opens a list with exactly that many requests."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from petitions import services
from petitions.desk import waiting_for
from petitions.models import Satisfaction

from .factories import PetitionFactory

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def desk(world):
    """One request in each situation at the world's point, and one at another point."""
    monday = dt.datetime(2026, 11, 2, 10, tzinfo=TZ)
    PetitionFactory(point=world.point, title="新诉求")
    PetitionFactory(point=world.other_point, title="他点新诉求")
    old = PetitionFactory(point=world.point, title="逾期诉求", now=monday - dt.timedelta(days=30))
    old.refresh_from_db()
    dispatched = PetitionFactory(point=world.point, title="已交办")
    services.petition_accept(petition=dispatched, actor=world.deputy)
    services.petition_dispatch(petition=dispatched, actor=world.deputy, department=world.department)
    answering = PetitionFactory(point=world.point, title="办理中")
    services.petition_accept(petition=answering, actor=world.deputy)
    services.petition_dispatch(petition=answering, actor=world.deputy, department=world.department)
    services.petition_sign(petition=answering, actor=world.handler)
    returned = PetitionFactory(point=world.point, title="被退回")
    services.petition_accept(petition=returned, actor=world.deputy)
    services.petition_dispatch(petition=returned, actor=world.deputy, department=world.department)
    services.petition_return(petition=returned, actor=world.handler, reason="非本单位职责")
    reopened = PetitionFactory(point=world.point, title="重办")
    services.petition_accept(petition=reopened, actor=world.deputy)
    services.petition_resolve_on_site(petition=reopened, actor=world.deputy, result="已答复")
    services.petition_rate(petition=reopened, actor=world.deputy, satisfaction=Satisfaction.UNSATISFIED)
    return world


def counts(user):
    return {row["key"]: row["count"] for row in waiting_for(user)}


@pytest.mark.django_db
def test_each_person_sees_what_waits_for_them(desk):
    deputy = counts(desk.deputy)
    assert (deputy["new"], deputy["overdue"], deputy["returned"], deputy["reopened"]) == (2, 1, 1, 1)
    assert "to_sign" not in deputy
    handler = counts(desk.handler)
    assert (handler["to_sign"], handler["to_answer"]) == (1, 1) and "new" not in handler
    assert counts(desk.other_handler)["to_sign"] == 0
    assert counts(desk.outsider_deputy)["new"] == 1  # the other point's, not ours
    assert counts(desk.grid) == {}  # grid workers enter requests; nothing waits for them


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["deputy", "head", "office", "handler"])
def test_every_count_opens_a_list_of_that_many(client, desk, role):
    user = getattr(desk, role)
    client.force_login(user)
    home = client.get("/admin/").content.decode()
    for row in waiting_for(user):
        assert f'data-waiting="{row["key"]}"' in home
        page = client.get(f"/admin/petitions/petition/?{row['query']}")
        assert page.status_code == 200, row
        shown = len(re.findall(r'<tr[^>]*>\s*<td class="action-checkbox">', page.content.decode()))
        shown = shown or page.content.decode().count('class="field-number"')
        assert shown == row["count"], row
