"""The request's page puts the decision first, and every step either posts at once (when it can
be taken back) or opens a page that says what cannot be undone, and lands where the actor may
still look."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from petitions import services
from petitions.models import Status
from petitions.workflow import STEPS, TABLE

from .factories import PetitionFactory

CHANGE = "/admin/petitions/petition/{}/change/"
DO = "/admin/petitions/petition/{}/do/{}/"
LIST = "/admin/petitions/petition/"

pytestmark = pytest.mark.django_db


def dispatched(world, petition):
    services.petition_accept(petition=petition, actor=world.deputy)
    services.petition_dispatch(petition=petition, actor=world.deputy, department=world.department)
    return petition


def test_summary_and_steps_come_before_the_full_record_and_the_timeline(client, world, petition):
    client.force_login(world.deputy)
    body = client.get(CHANGE.format(petition.pk)).content.decode()
    summary = body.index('data-testid="summary"')
    steps = body.index('data-action="accept"')
    record = body.index("完整记录")
    timeline = body.index('id="events-group"')
    assert summary < steps < record < timeline
    facts = body[summary:steps]
    for shown in (
        petition.enterprise_name,
        petition.get_category_display(),
        world.point.name,
        petition.contact_phone[-4:],
        "时限",
    ):
        assert shown in facts
    assert 'id="triage-aids"' in body  # where the duplicates and urgency panels go


def test_the_summary_shows_overdue_and_escalation(client, world, petition):
    due = dt.datetime(2020, 1, 2, 23, 59, 59, 999999, tzinfo=ZoneInfo("Asia/Shanghai"))  # the end of that day
    type(petition).objects.filter(pk=petition.pk).update(due_at=due, due_date="2020-01-02", escalation_level=2)
    client.force_login(world.deputy)
    facts = client.get(CHANGE.format(petition.pk)).content.decode()
    assert "2020-01-02 已超期" in facts and "2 级" in facts


def test_images_are_thumbnails_in_the_summary(client, world, petition, tmp_path, settings):
    from django.core.files.base import ContentFile

    settings.MEDIA_ROOT = tmp_path
    petition.attachments.create(file=ContentFile(b"x", "a.jpg"), kind="image", original_name="现场.jpg", size=1)
    petition.attachments.create(file=ContentFile(b"x", "b.pdf"), kind="pdf", original_name="说明.pdf", size=1)
    client.force_login(world.deputy)
    body = client.get(CHANGE.format(petition.pk)).content.decode()
    assert body.count('<img src="/admin/petitions/petition/attachment/') == 1
    assert 'alt="现场.jpg"' in body and "说明.pdf" in body


def test_steps_without_a_form_post_at_once_the_others_open_their_page(client, world, petition):
    client.force_login(world.deputy)
    body = client.get(CHANGE.format(petition.pk)).content.decode()
    # 受理 asks for the urgency; 退回 and 合并 cannot be undone: each opens its own page.
    for name in ("accept", "reject", "merge"):
        assert f'<a class="button" href="{DO.format(petition.pk, name)}" data-action="{name}">' in body
    services.petition_accept(petition=petition, actor=world.deputy)
    services.petition_dispatch(petition=petition, actor=world.deputy, department=world.department)
    client.force_login(world.handler)
    body = client.get(CHANGE.format(petition.pk)).content.decode()
    # 签收 asks nothing and can be followed by 退回: one button.
    assert '<button type="submit" class="button default" formaction="' in body.split('data-action="sign"')[0]
    assert f'<a class="button" href="{DO.format(petition.pk, "return")}" data-action="return">' in body


@pytest.mark.parametrize("name", ["reject", "merge", "dispatch", "return", "confirm", "reply", "resolve_on_site"])
def test_irreversible_steps_say_what_cannot_be_undone_in_chinese(name):
    warning = TABLE.warning(name)
    assert warning and not any("a" <= c.lower() <= "z" for c in warning)


def test_the_confirmation_page_says_what_cannot_be_undone_and_changes_nothing(client, world, petition):
    services.petition_accept(petition=petition, actor=world.deputy)
    client.force_login(world.deputy)
    page = client.get(DO.format(petition.pk, "dispatch"))
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="cannot-undo"' in body and str(TABLE.warning("dispatch")) in body
    assert 'value="确认交办承办单位"' in body or "确认" in body
    assert f'href="{CHANGE.format(petition.pk)}"' in body  # the way back
    petition.refresh_from_db()
    assert petition.status == Status.ACCEPTED


def test_form_errors_are_announced(client, world, petition):
    client.force_login(world.deputy)
    response = client.post(DO.format(petition.pk, "reject"), {"reason": "   "})
    body = response.content.decode()
    assert response.status_code == 400
    assert 'role="alert"' in body and "请更正下列错误" in body
    assert 'aria-invalid="true"' in body


def test_a_step_not_open_to_the_actor_is_said_on_the_request_page(client, world, petition):
    client.force_login(world.deputy)
    response = client.get(DO.format(petition.pk, "return"), follow=True)
    assert response.redirect_chain[-1][0] == CHANGE.format(petition.pk)
    assert "不能" in response.content.decode() or "不可" in response.content.decode()


def test_a_handler_who_returns_lands_on_the_list_with_the_message_not_a_404(client, world, petition):
    dispatched(world, petition)
    client.force_login(world.handler)
    response = client.post(DO.format(petition.pk, "return"), {"reason": "非本单位职责"}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [(LIST, 302)]
    assert "退回（交办有误）：已完成" in response.content.decode() or "已完成" in response.content.decode()
    petition.refresh_from_db()
    assert petition.status == Status.ACCEPTED


def test_a_handler_who_signs_stays_on_the_request(client, world, petition):
    dispatched(world, petition)
    client.force_login(world.handler)
    response = client.post(DO.format(petition.pk, "sign"), follow=True)
    assert response.redirect_chain == [(CHANGE.format(petition.pk), 302)]
    assert "已完成" in response.content.decode()


def test_another_offices_staff_and_handlers_get_no_page(client, world, petition):
    dispatched(world, petition)
    for user in (world.outsider_deputy, world.other_handler):
        client.force_login(user)
        assert client.get(CHANGE.format(petition.pk)).status_code == 404
        assert client.get(DO.format(petition.pk, "return")).status_code == 404
        assert client.post(DO.format(petition.pk, "return"), {"reason": "x"}).status_code == 404
    petition.refresh_from_db()
    assert petition.status == Status.DISPATCHED


def test_an_unknown_step_is_refused_not_a_500(client, world, petition):
    client.force_login(world.deputy)
    assert client.get(DO.format(petition.pk, "explode")).status_code == 403
    assert "explode" not in STEPS


def test_the_request_page_costs_a_bounded_number_of_queries(client, world):
    client.force_login(world.deputy)
    few = PetitionFactory(point=world.point)
    client.get(CHANGE.format(few.pk))
    with CaptureQueriesContext(connection) as one:
        client.get(CHANGE.format(few.pk))
    many = PetitionFactory(point=world.point)
    for _ in range(5):
        services.petition_note(petition=many, actor=world.deputy, text="跟进")
    with CaptureQueriesContext(connection) as six:
        client.get(CHANGE.format(many.pk))
    assert len(six) <= len(one) + 1


def test_the_link_back_to_the_list_is_not_mistaken_for_closing_the_request(client, world, petition):
    from deputies.services.suggestions import SUGGESTION

    client.force_login(world.deputy)
    body = client.get(CHANGE.format(petition.pk)).content.decode()
    assert 'class="closelink">关闭</a>' in body and ">办结</a>" not in body
    assert str(SUGGESTION.steps["close"].label) == "办结"  # closing a suggestion still reads 办结


def test_empty_choices_prompt_in_chinese(client, world):
    client.force_login(world.deputy)
    body = client.get("/admin/petitions/petition/add/").content.decode()
    assert "---------" not in body and '<option value="" selected>请选择</option>' in body


def test_system_notes_are_read_in_the_readers_language(client, world, petition):
    """The dispatch note is written by the portal in one language and read in each reader's."""
    from django.utils import translation

    with translation.override("zh-hans"):
        services.petition_accept(petition=petition, actor=world.deputy)
        services.petition_dispatch(petition=petition, actor=world.deputy, department=world.department)
    event = petition.events.get(action="dispatch")
    assert event.note["msgid"] == "To %(department)s, reply due %(due)s"
    with translation.override("en"):
        assert event.shown_text.startswith(f"To {world.department.name}, reply due ")
    with translation.override("zh-hans"):
        assert event.shown_text.startswith(f"交办{world.department.name}")

    from django.conf import settings

    client.force_login(world.deputy)
    chinese = client.get(CHANGE.format(petition.pk)).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(CHANGE.format(petition.pk)).content.decode()
    assert f"To {world.department.name}, reply due" in english and f"交办{world.department.name}" not in english
    assert f"交办{world.department.name}" in chinese
    # The enterprise's tracking page reads it in the language it chose too.
    tracked = client.get(petition.get_tracking_url()).content.decode()
    assert f"To {world.department.name}, reply due" in tracked


def test_every_record_with_steps_confirms_what_cannot_be_undone(client, world):
    """The same table entry serves the other records' steps: cancelling a reception day."""
    import datetime as dt

    from deputies import services as deputy_services
    from deputies.models import ReceptionDay

    deputy_services.reception_days_generate(today=dt.date(2026, 12, 1), months=1)
    day = ReceptionDay.objects.get(point=world.point, month=dt.date(2026, 12, 1))
    client.force_login(world.head)
    page = client.get(f"/admin/deputies/receptionday/{day.pk}/change/").content.decode()
    assert f'<a class="button" href="/admin/deputies/receptionday/{day.pk}/do/cancel/" data-action="cancel">' in page
    step = client.get(f"/admin/deputies/receptionday/{day.pk}/do/cancel/").content.decode()
    assert "接待日取消后无法恢复" in step and 'value="确认取消"' in step
    day.refresh_from_db()
    assert day.status == ReceptionDay.Status.PLANNED


def test_a_note_with_a_sentence_chosen_by_the_case_is_read_in_the_readers_language(world, petition):
    """'Nobody at this department sees it': one sentence nested in another, both translated."""
    from django.utils import translation

    from .factories import DepartmentFactory

    nobody = DepartmentFactory(name="区档案馆", organisation=world.department.organisation, phone="02312345678")
    with translation.override("zh-hans"):
        services.petition_accept(petition=petition, actor=world.deputy)
        services.petition_dispatch(petition=petition, actor=world.deputy, department=nobody)
    note = petition.events.get(action="note")
    with translation.override("en"):
        assert note.shown_text == (
            "区档案馆 has no handler account and no platform: nobody there sees it in the portal. "
            "An SMS went to its office phone 02312345678. Please follow it up by phone."
        )
    with translation.override("zh-hans"):
        assert note.shown_text.startswith("区档案馆") and "02312345678" in note.shown_text
        assert not any("a" <= c <= "z" for c in note.shown_text)
        assert note.text == note.shown_text  # the writer's rendering is kept as well
