"""Closing the loop: who hears of each step, by which channel, once; what the enterprise reads of
it; links that work where the portal runs. SMS is read from the test backend's outbox."""

import datetime as dt
import ipaddress
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from deputies.services import reception_days_generate, reception_reminders_scan
from liaison.core import lan, notifications, sms
from liaison.core.models import Notification
from petitions import escalation, services
from petitions.models import Petition, PetitionEvent, Satisfaction, Status
from petitions.workflow import ENTERPRISE_ACTOR
from points.models import GroupRobot

from .factories import DepartmentFactory, PersonFactory, PetitionFactory, UserFactory

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = dt.datetime(2026, 11, 2, 10, 0, tzinfo=TZ)
PHONE = "13812341234"
BASE = "https://liaison.example.gov.cn"


@pytest.fixture(autouse=True)
def outbox(settings):
    settings.PUBLIC_BASE_URL = BASE
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


def at(days=0, hours=0):
    return MONDAY + dt.timedelta(days=days, hours=hours)


def deliver(now):
    return notifications.deliver_due(now=now)


def to(phone):
    return [text for number, text in sms.outbox if number == phone]


def every_scan_twice(now):
    for _ in range(2):
        escalation.escalation_scan(now=now)
        escalation.weekly_digest_scan(now=now)
        deliver(now)


@pytest.mark.django_db
class TestTheEnterpriseIsTold:
    def test_a_full_life_sends_exactly_these_sms_each_with_the_link_and_none_twice(self, world):
        petition = PetitionFactory(point=world.point, contact_phone=PHONE, now=at())
        link = BASE + petition.get_tracking_url()
        services.petition_accept(petition=petition, actor=world.deputy, now=at(hours=1))
        services.petition_dispatch(petition=petition, actor=world.deputy, department=world.department, now=at(hours=2))
        reply_due = petition.reply_due  # gone once the request is reopened; the message keeps it
        services.petition_sign(petition=petition, actor=world.handler, now=at(hours=3))
        services.petition_reply(petition=petition, actor=world.handler, result="已协调用地指标", now=at(hours=4))
        services.petition_rate(
            petition=petition, actor=ENTERPRISE_ACTOR, satisfaction=Satisfaction.UNSATISFIED, now=at(hours=5)
        )
        services.petition_resolve_on_site(petition=petition, actor=world.deputy, result="现场答复", now=at(hours=6))
        services.petition_rate(
            petition=petition, actor=ENTERPRISE_ACTOR, satisfaction=Satisfaction.SATISFIED, now=at(hours=7)
        )
        petition.refresh_from_db()
        assert petition.status == Status.CLOSED
        every_scan_twice(at(hours=8))
        texts = to(PHONE)
        expected = ["已收到", "已受理", "已交办区交通局", "已答复", "重办", "已答复", "已办结"]
        assert len(texts) == len(expected), texts
        for text, words in zip(texts, expected, strict=True):
            assert words in text and link in text and petition.number in text, text
        assert "此前的答复作废" in texts[4]
        assert f"应于{reply_due:%Y-%m-%d}前答复" in texts[2]
        assert Notification.objects.filter(channel="sms", address=PHONE).count() == len(expected)
        # Every message of the life (staff's included) rendered and went out: none failed or waits.
        assert not Notification.objects.exclude(status="sent").exists()
        assert Notification.objects.filter(template="handler_dispatch", user=world.handler).exists()
        assert Notification.objects.filter(template="staff_unsatisfied", user=world.deputy).exists()

    def test_a_rating_of_a_closed_request_sends_nothing_more(self, world):
        petition = PetitionFactory(point=world.point, contact_phone=PHONE, now=at())
        services.petition_accept(petition=petition, actor=world.deputy, now=at(hours=1))
        services.petition_resolve_on_site(petition=petition, actor=world.deputy, result="现场答复", now=at(hours=2))
        services.petition_confirm(petition=petition, actor=world.deputy, now=at(hours=3))
        services.petition_rate(
            petition=petition, actor=ENTERPRISE_ACTOR, satisfaction=Satisfaction.SATISFIED, now=at(hours=4)
        )
        deliver(at(hours=5))
        assert len([t for t in to(PHONE) if "已办结关闭" in t]) == 1

    def test_rejection_carries_the_reason_and_merging_the_request_it_follows(self, world):
        rejected = PetitionFactory(point=world.point, contact_phone="13900001111", now=at())
        services.petition_reject(petition=rejected, actor=world.deputy, reason="属于司法程序事项", now=at(hours=1))
        kept = PetitionFactory(point=world.point, contact_phone="13900002222", now=at())
        merged = PetitionFactory(point=world.point, contact_phone="13900003333", now=at())
        services.petition_merge(petition=merged, into=kept, actor=world.deputy, now=at(hours=1))
        deliver(at(hours=2))
        assert "属于司法程序事项" in to("13900001111")[-1] and "未予受理" in to("13900001111")[-1]
        assert kept.number in to("13900003333")[-1] and "合并" in to("13900003333")[-1]

    def test_a_request_staff_enter_on_its_behalf_sends_the_link_to_the_number_given(self, world):
        petition = PetitionFactory.build(point=world.point, contact_phone="13700007777", channel="reception")
        petition, _ = services.petition_submit(petition=petition, actor=world.deputy, now=at())
        deliver(at(hours=1))
        (text,) = to("13700007777")
        assert BASE + petition.get_tracking_url() in text and petition.number in text


@pytest.mark.django_db
class TestStaffAreTold:
    def test_the_departments_handlers_hear_of_a_dispatch_in_the_desk_and_by_sms(self, world):
        PersonFactory(user=world.handler, name="赵办理", phone="13611112222")
        petition = PetitionFactory(point=world.point, now=at())
        services.petition_accept(petition=petition, actor=world.deputy, now=at(hours=1))
        services.petition_dispatch(petition=petition, actor=world.deputy, department=world.department, now=at(hours=2))
        rows = Notification.objects.filter(template="handler_dispatch", user=world.handler)
        assert set(rows.values_list("channel", flat=True)) == {"in_app", "sms"} | (
            {"email"} if world.handler.email else set()
        )
        every_scan_twice(at(hours=3))
        (text,) = to("13611112222")
        assert petition.number in text and "区交通局" in text and str(petition.reply_due) in text
        assert not petition.events.filter(action="note").exists()  # a department with handlers is not flagged

    def test_a_department_without_handler_accounts_gets_an_sms_and_is_flagged(self, world):
        lonely = DepartmentFactory(
            name="区规划和自然资源局", organisation=world.point.organisation, phone="13500001234"
        )
        petition = PetitionFactory(point=world.point, now=at())
        services.petition_accept(petition=petition, actor=world.deputy, now=at(hours=1))
        services.petition_dispatch(petition=petition, actor=world.deputy, department=lonely, now=at(hours=2))
        deliver(at(hours=3))
        (text,) = to("13500001234")
        assert petition.number in text
        flag = petition.events.get(action="note")
        assert not flag.public and "13500001234" in flag.text and "区规划和自然资源局" in flag.text

    def test_the_handling_deputy_hears_of_a_return_and_of_an_unsatisfied_rating(self, world):
        petition = PetitionFactory(point=world.point, now=at())
        services.petition_accept(petition=petition, actor=world.deputy, now=at(hours=1))
        services.petition_dispatch(petition=petition, actor=world.deputy, department=world.department, now=at(hours=2))
        services.petition_return(petition=petition, actor=world.handler, reason="不属于本单位职责", now=at(hours=3))
        returned = Notification.objects.get(template="staff_returned", user=world.deputy, channel="in_app")
        assert "不属于本单位职责" in notifications.render(returned)[1]
        services.petition_resolve_on_site(petition=petition, actor=world.deputy, result="现场答复", now=at(hours=4))
        services.petition_rate(
            petition=petition,
            actor=ENTERPRISE_ACTOR,
            satisfaction=Satisfaction.UNSATISFIED,
            comment="没解决",
            now=at(hours=5),
        )
        unsatisfied = Notification.objects.get(template="staff_unsatisfied", user=world.deputy, channel="in_app")
        assert "没解决" in notifications.render(unsatisfied)[1]
        assert unsatisfied.link == f"/admin/petitions/petition/{petition.pk}/change/"


@pytest.mark.django_db
class TestPublicAndInternal:
    def _returned(self, world):
        petition = PetitionFactory(point=world.point, now=at())
        services.petition_accept(petition=petition, actor=world.deputy, now=at(hours=1))
        services.petition_dispatch(petition=petition, actor=world.deputy, department=world.department, now=at(hours=2))
        services.petition_return(petition=petition, actor=world.handler, reason="不属于本单位职责ZZ", now=at(hours=3))
        services.petition_note(petition=petition, actor=world.deputy, text="内部备注YY", now=at(hours=4))
        return petition

    def test_the_tracking_page_shows_status_texts_not_the_return_reason_or_notes(self, world):
        petition = self._returned(world)
        page = Client().get(petition.get_tracking_url()).content.decode()
        assert "不属于本单位职责ZZ" not in page and "内部备注YY" not in page
        assert "正在重新确定承办单位" in page and "已交办承办单位" in page
        assert petition.events.get(action="return").text == "不属于本单位职责ZZ"  # kept for staff

    def test_the_public_api_shows_the_same(self, world):
        petition = self._returned(world)
        data = APIClient().get(f"/api/v1/public/requests/{petition.number}/{petition.access_token}/").json()
        body = str(data)
        assert "不属于本单位职责ZZ" not in body and "内部备注YY" not in body
        labels = [event["action_label"] for event in data["events"]]
        assert labels[:4] == ["已收到", "已受理，正在办理", "已交办承办单位", "正在重新确定承办单位"]
        assert data["tracking_url"] == BASE + petition.get_tracking_url()

    def test_the_status_text_follows_the_readers_language(self, world):
        petition = self._returned(world)
        client = Client()
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        page = client.get(petition.get_tracking_url()).content.decode()
        assert "Being assigned to the right department" in page and "正在重新确定承办单位" not in page
        assert PetitionEvent.objects.filter(petition=petition, action="return", public=False).exists()


@pytest.mark.django_db
class TestLinks:
    def test_qr_poster_and_api_follow_public_base_url(self, world, settings):  # noqa: F811
        settings.PUBLIC_BASE_URL = "http://192.168.1.23:8080"
        assert world.point.qr_url == f"http://192.168.1.23:8080/s/{world.point.qr_token}/"
        api = APIClient().get("/api/v1/points/byd/").json()
        assert api["submit_url"] == world.point.qr_url
        petition = PetitionFactory(point=world.point, contact_phone=PHONE, now=at())
        deliver(at(hours=1))
        assert f"http://192.168.1.23:8080{petition.get_tracking_url()}" in to(PHONE)[0]

    def test_admin_links_are_reversed(self, world):
        assert notifications.admin_link(Petition, 7) == "/admin/petitions/petition/7/change/"
        assert notifications.admin_link(Petition) == "/admin/petitions/petition/"


def escalated_to(petition, level):
    return set(
        Notification.objects.filter(key__startswith=f"escalation:{petition.pk}:{level}:").values_list(
            "user__username", flat=True
        )
    )


@pytest.mark.django_db
class TestEscalationReachesAPerson:
    """The world's street working committee has no accounts; the district office above it has."""

    def test_level_two_with_no_street_accounts_reaches_the_district_and_the_timeline_says_so(self, world):
        petition = PetitionFactory(point=world.point, now=at())  # due 3 November
        escalation.escalation_scan(now=at(days=2))
        escalation.escalation_scan(now=at(days=7))  # 3 working days late: level 2
        assert escalated_to(petition, 2) == {"office", "head"}
        text = petition.events.filter(action="escalate").latest("id").text
        assert text.startswith("级别 2") and "测试区人大办" in text and "本级机关无可用账号" in text

    def test_a_street_account_is_used_when_there_is_one(self, world):
        street_staff = UserFactory(username="street")
        world.point.organisation.staff.add(street_staff)
        petition = PetitionFactory(point=world.point, now=at())
        escalation.escalation_scan(now=at(days=7))
        assert escalated_to(petition, 2) == {"street", "head"}
        assert "本级机关无可用账号" not in petition.events.get(action="escalate").text

    def test_a_request_that_jumps_levels_tells_the_levels_it_skipped_once_each(self, world):
        petition = PetitionFactory(point=world.point, now=at(days=-60))
        services.petition_accept(petition=petition, actor=world.deputy, now=at(days=-60))
        for _ in range(2):
            assert escalation.escalation_scan(now=at()) in ({3: 1, 2: 0, 1: 0}, {3: 0, 2: 0, 1: 0})
        assert escalated_to(petition, 1) == {"deputy"}  # before dispatch: the handling deputy
        assert escalated_to(petition, 2) == {"office"}  # the street has nobody: the district
        assert escalated_to(petition, 3) == {"office", "head"}  # the head hears of the level reached
        assert petition.events.filter(action="escalate").count() == 1
        assert Notification.objects.filter(key__startswith=f"escalation:{petition.pk}:", user=world.office).count() == (
            2 * len(notifications.user_channels(world.office.email))
        )

    def test_the_group_chat_gets_one_summary_per_point_per_run(self, world):
        GroupRobot.objects.create(
            name="代表工作群", kind="wecom", webhook_url="http://127.0.0.1:9/x", point=world.point
        )
        for _ in range(3):
            PetitionFactory(point=world.point, now=at(days=-60))
        PetitionFactory(point=world.point, now=at())
        for _ in range(2):
            escalation.escalation_scan(now=at(days=2))
        rows = Notification.objects.filter(channel="robot", template="robot_escalation")
        assert rows.count() == 1
        subject, body, _html = notifications.render(rows.get())
        assert "三级（区人大办督办）3件" in body and "一级（提醒）1件" in body and world.point.name in subject
        escalation.escalation_scan(now=at(days=7))  # the fourth reaches level 2: a new run, a new summary
        assert rows.count() == 2


@pytest.mark.django_db
def test_the_group_chat_hears_of_the_reception_day_once_per_reminder(world):
    GroupRobot.objects.create(
        name="代表工作群",
        kind="wecom",
        webhook_url="http://127.0.0.1:9/x",
        point=world.point,
        on_reception_reminder=True,
    )
    reception_days_generate(today=dt.date(2026, 12, 1), months=1)
    for _ in range(2):
        reception_reminders_scan(now=dt.datetime(2026, 12, 14, 9, 5, tzinfo=TZ))
    rows = Notification.objects.filter(channel="robot", template="robot_reception_reminder")
    assert rows.count() == 1 and world.point.name in notifications.render(rows.get())[0]


class TestLanAddress:
    def test_every_interface_means_the_machines_lan_address_found_without_traffic(self):
        address = lan.lan_address()
        assert ipaddress.ip_address(address)  # an address, whichever this machine has
        assert lan.public_base_url("0.0.0.0", "8080") == f"http://{address}:8080"  # noqa: S104
        assert lan.public_base_url("127.0.0.1", 8000) == "http://127.0.0.1:8000"


@pytest.mark.django_db
def test_after_a_reopening_the_superseded_answer_is_no_longer_the_result(client, world):
    petition = PetitionFactory(point=world.point)
    services.petition_accept(petition=petition, actor=world.deputy)
    services.petition_resolve_on_site(
        petition=petition, actor=world.deputy, result="旧的答复内容", public_summary="某企业问题已解决"
    )
    services.petition_rate(petition=petition, actor=ENTERPRISE_ACTOR, satisfaction=Satisfaction.UNSATISFIED)
    petition.refresh_from_db()
    assert petition.resolution == "" and petition.public_summary == ""
    page = client.get(petition.get_tracking_url()).content.decode()
    assert page.count("旧的答复内容") == 1 and "不满意" in page  # only the timeline still tells it
