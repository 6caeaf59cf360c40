"""Deputies' state machines: reception days (and, below, suggestions and activities) — every
state × every step, the date rules, and the scans."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from deputies import services
from deputies.models import Activity, DutyAssignment, ReceptionDay, Suggestion
from deputies.services import RECEPTION, SCAN_ACTOR, reception
from liaison.core import notifications
from liaison.core.steps import StepRefused

TZ = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 12, 15)  # a Tuesday: the December reception day of the world's point


def at(y, m, d, h=9, mi=5):
    return dt.datetime(y, m, d, h, mi, tzinfo=TZ)


@pytest.fixture
def day(world):
    services.reception_days_generate(today=dt.date(2026, 12, 1), months=1)
    return ReceptionDay.objects.get(point=world.point, month=dt.date(2026, 12, 1))


def reach(day, state, w):
    """Bring ``day`` to ``state`` through the services."""
    if state == ReceptionDay.Status.HELD:
        services.reception_day_hold(day=day, actor=w.head, summary="企业反映用工问题", now=at(2026, 12, 15, 16))
    elif state == ReceptionDay.Status.CANCELLED:
        services.reception_day_cancel(day=day, actor=w.head, reason="与区人代会冲突", now=at(2026, 12, 10))
    elif state == ReceptionDay.Status.MISSED:
        services.reception_day_miss(day=day, actor=SCAN_ACTOR, now=at(2026, 12, 17))
    day.refresh_from_db()
    assert day.status == state
    return day


# What each step needs to succeed when its state allows it: actor, input, time.
def take(name, day, w):
    return {
        "sign_in": lambda: services.reception_day_sign_in(day=day, actor=w.head, now=at(2026, 12, 15, 9)),
        "hold": lambda: services.reception_day_hold(day=day, actor=w.head, summary="纪要", now=at(2026, 12, 15, 17)),
        "record": lambda: services.reception_day_record(
            day=day, actor=w.head, summary="补充纪要", now=at(2026, 12, 16)
        ),
        "cancel": lambda: services.reception_day_cancel(day=day, actor=w.head, reason="暴雨停工", now=at(2026, 12, 14)),
        "miss": lambda: services.reception_day_miss(day=day, actor=SCAN_ACTOR, now=at(2026, 12, 17)),
    }[name]()


@pytest.mark.django_db
@pytest.mark.parametrize("state", ReceptionDay.Status.values)
@pytest.mark.parametrize("name", ["sign_in", "hold", "record", "cancel", "miss"])
def test_every_state_and_every_step(world, day, state, name):
    day = reach(day, state, world)
    step = RECEPTION.steps[name]
    if state in step.sources:
        take(name, day, world)
        day.refresh_from_db()
        assert day.status == (step.target or state)
    else:
        with pytest.raises(StepRefused):
            take(name, day, world)
        day.refresh_from_db()
        assert day.status == state


def test_every_step_is_in_the_table():
    assert list(RECEPTION.steps) == ["sign_in", "hold", "record", "cancel", "miss"]


@pytest.mark.django_db
class TestReceptionDayRules:
    def test_not_held_before_the_day(self, world, day):
        with pytest.raises(StepRefused, match="2026-12-15"):
            services.reception_day_hold(day=day, actor=world.head, summary="纪要", now=at(2026, 12, 14, 23, 59))
        day.refresh_from_db()
        assert day.status == ReceptionDay.Status.PLANNED and not day.summary

    def test_held_needs_a_record_and_cancelling_a_reason(self, world, day):
        with pytest.raises(StepRefused):
            services.reception_day_hold(day=day, actor=world.head, summary="  ", now=at(2026, 12, 15, 17))
        with pytest.raises(StepRefused):
            services.reception_day_cancel(day=day, actor=world.head, reason=" ", now=at(2026, 12, 10))

    def test_someone_of_another_point_may_not(self, world, day):
        with pytest.raises(StepRefused):
            services.reception_day_hold(day=day, actor=world.outsider_deputy, summary="纪要", now=at(2026, 12, 15, 17))
        with pytest.raises(StepRefused):  # people are not the scan
            services.reception_day_miss(day=day, actor=world.head, now=at(2026, 12, 17))

    @pytest.mark.parametrize(
        "when",
        [at(2026, 12, 14, 10), at(2027, 1, 15, 10), at(2026, 12, 16, 9), at(2026, 12, 15, 6, 59), at(2026, 12, 15, 20)],
    )
    def test_sign_in_only_on_the_day_within_the_hours(self, world, day, when):
        with pytest.raises(StepRefused):
            services.reception_day_sign_in(day=day, actor=world.head, now=when)
        assert not DutyAssignment.objects.filter(reception_day=day, signed_in_at__isnull=False).exists()

    def test_sign_in_keeps_the_first_time(self, world, day):
        services.reception_day_sign_in(day=day, actor=world.head, now=at(2026, 12, 15, 8, 50))
        assignment = services.reception_day_sign_in(day=day, actor=world.head, now=at(2026, 12, 15, 9, 30))
        assert assignment.attended and assignment.signed_in_at == at(2026, 12, 15, 8, 50)

    def test_someone_not_on_the_roster_cannot_sign_in(self, world, day):
        day.assignments.filter(person__user=world.deputy).delete()
        with pytest.raises(StepRefused):
            services.reception_day_sign_in(day=day, actor=world.deputy, now=at(2026, 12, 15, 9))


@pytest.mark.django_db
class TestGeneration:
    def test_the_current_month_is_generated_even_when_its_day_has_passed(self, world):
        created = services.reception_days_generate(today=dt.date(2026, 11, 20), months=3)
        dates = sorted(ReceptionDay.objects.filter(point=world.point).values_list("date", flat=True))
        assert dates == [dt.date(2026, 11, 16), dt.date(2026, 12, 15), dt.date(2027, 1, 15)]
        assert created == 6
        assert services.reception_days_generate(today=dt.date(2026, 11, 20), months=3) == 0


@pytest.mark.django_db
class TestMissedScan:
    def test_missed_after_the_grace_day_once(self, world, day):
        assert services.reception_days_missed_scan(now=at(2026, 12, 16, 23)) == 0  # the record can still come
        assert services.reception_days_missed_scan(now=at(2026, 12, 17, 1)) == 2  # both points' days
        assert services.reception_days_missed_scan(now=at(2026, 12, 17, 2)) == 0
        day.refresh_from_db()
        assert day.status == ReceptionDay.Status.MISSED

    def test_a_day_someone_signed_in_to_or_held_is_not_missed(self, world, day):
        services.reception_day_sign_in(day=day, actor=world.head, now=at(2026, 12, 15, 9))
        other = ReceptionDay.objects.exclude(pk=day.pk).get()
        services.reception_days_missed_scan(now=at(2026, 12, 20))
        day.refresh_from_db()
        other.refresh_from_db()
        assert day.status == ReceptionDay.Status.PLANNED
        assert other.status == ReceptionDay.Status.MISSED

    def test_one_bad_row_does_not_stop_the_others(self, world, day, monkeypatch):
        real = services.process_one_missed
        other = ReceptionDay.objects.exclude(pk=day.pk).get()

        def broken(pk, *, now):
            if pk == day.pk:
                raise RuntimeError("bad row")
            return real(pk, now=now)

        monkeypatch.setattr(reception, "process_one_missed", broken)
        assert services.reception_days_missed_scan(now=at(2026, 12, 20)) == 1
        other.refresh_from_db()
        assert other.status == ReceptionDay.Status.MISSED


@pytest.mark.django_db
class TestReminderDays:
    def test_a_late_reminder_says_the_days_really_left(self, world, day):
        from liaison.core.models import Notification

        # The 3-day occasion was due on the 12th at 09:00; the worker only runs on the 13th.
        services.reception_reminders_scan(now=at(2026, 12, 13, 8, 0))
        rows = Notification.objects.filter(key__contains=f"reception:{day.pk}:")
        assert rows.exists() and {r.context["days_before"] for r in rows} == {2}
        with time_machine.travel(at(2026, 12, 13, 8, 1)):
            subject, _text, _html = notifications.render(rows.filter(channel="in_app").first())
        assert "2" in subject and "3" not in subject, subject

    def test_one_bad_day_does_not_stop_the_reminders_of_the_others(self, world, day, monkeypatch):
        from liaison.core.models import Notification

        real = services.process_one_reminder

        def broken(pk, *, now):
            if pk == day.pk:
                raise RuntimeError("bad row")
            return real(pk, now=now)

        monkeypatch.setattr(reception, "process_one_reminder", broken)
        assert services.reception_reminders_scan(now=at(2026, 12, 14)) == 1
        assert not Notification.objects.filter(key__contains=f"reception:{day.pk}:").exists()
        assert Notification.objects.filter(key__startswith="reception:").exists()

    def test_no_reminders_for_a_cancelled_day(self, world, day):
        from liaison.core.models import Notification

        reach(day, ReceptionDay.Status.CANCELLED, world)
        services.reception_reminders_scan(now=at(2026, 12, 14))
        assert not Notification.objects.filter(key__contains=f"reception:{day.pk}:").exists()


@pytest.mark.django_db
class TestAdminSteps:
    def test_the_head_cancels_with_a_reason_through_the_admin(self, client, world, day):
        client.force_login(world.head)
        page = client.get(f"/admin/deputies/receptionday/{day.pk}/change/")
        assert 'data-action="cancel"' in page.content.decode() and 'data-action="miss"' not in page.content.decode()
        url = f"/admin/deputies/receptionday/{day.pk}/do/cancel/"
        assert client.post(url, {"reason": ""}).status_code == 400
        assert client.post(url, {"reason": "与区人代会冲突"}).status_code == 302
        day.refresh_from_db()
        assert day.status == ReceptionDay.Status.CANCELLED and day.cancel_reason == "与区人代会冲突"

    def test_a_day_of_another_point_is_a_404(self, client, world, day):
        client.force_login(world.outsider_deputy)
        assert client.post(f"/admin/deputies/receptionday/{day.pk}/do/cancel/", {"reason": "x"}).status_code == 404
        day.refresh_from_db()
        assert day.status == ReceptionDay.Status.PLANNED


# Suggestions ---------------------------------------------------------------------------------

LETTER = b"%PDF-1.4"


def letter():
    from django.core.files.base import ContentFile

    return ContentFile(LETTER, name="letter.pdf")


@pytest.fixture
def suggestion(world):
    s = Suggestion.objects.create(point=world.point, title="关于加快“充储泊配”设施建设的建议")
    s.authors.set([world.deputy.person])
    return s


SUGGESTION_PATH = ["submit", "assign", "answer", "rate", "close"]


def take_suggestion(name, s, w):
    return {
        "submit": lambda: services.suggestion_submit(
            suggestion=s, actor=w.deputy, addressed_unit="市住建委", filed_on=dt.date(2026, 3, 1), now=at(2026, 3, 1)
        ),
        "assign": lambda: services.suggestion_assign(
            suggestion=s, actor=w.head, handling_unit="市住建委", now=at(2026, 3, 2)
        ),
        "answer": lambda: services.suggestion_answer(
            suggestion=s,
            actor=w.head,
            answered_on=dt.date(2026, 5, 1),
            response="已纳入规划",
            answer_letter=letter(),
            now=at(2026, 5, 2),
        ),
        "rate": lambda: services.suggestion_rate(suggestion=s, actor=w.deputy, rating="satisfied", now=at(2026, 5, 3)),
        "close": lambda: services.suggestion_close(suggestion=s, actor=w.head, now=at(2026, 5, 4)),
    }[name]()


def reach_suggestion(s, state, w):
    order = Suggestion.Status.values
    for name in SUGGESTION_PATH[: order.index(state)]:
        take_suggestion(name, s, w)
    s.refresh_from_db()
    assert s.status == state
    return s


@pytest.mark.django_db
@pytest.mark.parametrize("state", Suggestion.Status.values)
@pytest.mark.parametrize("name", SUGGESTION_PATH)
def test_every_suggestion_state_and_every_step(world, suggestion, state, name):
    s = reach_suggestion(suggestion, state, world)
    step = services.SUGGESTION.steps[name]
    if state in step.sources:
        take_suggestion(name, s, world)
        s.refresh_from_db()
        assert s.status == step.target
    else:
        with pytest.raises(StepRefused):
            take_suggestion(name, s, world)
        s.refresh_from_db()
        assert s.status == state


@pytest.mark.django_db
class TestSuggestionRules:
    def test_an_answer_before_the_submission_is_refused_and_loses_nothing(self, world, suggestion):
        s = reach_suggestion(suggestion, Suggestion.Status.ASSIGNED, world)
        with pytest.raises(StepRefused, match="2026-03-01"):
            services.suggestion_answer(
                suggestion=s,
                actor=world.head,
                answered_on=dt.date(2026, 2, 28),
                response="答复",
                answer_letter=letter(),
                now=at(2026, 5, 2),
            )
        s.refresh_from_db()
        assert s.status == Suggestion.Status.ASSIGNED and not s.response and s.answered_on is None

    def test_the_answer_form_wants_text_letter_and_a_date_not_before_submission(self, world, suggestion):
        from django.core.files.uploadedfile import SimpleUploadedFile

        s = reach_suggestion(suggestion, Suggestion.Status.ASSIGNED, world)
        step = services.SUGGESTION.steps["answer"]
        form = step.bind(s, {"answered_on": "2026-02-01", "response": ""}, {})
        assert not form.is_valid()
        assert set(form.errors) == {"answered_on", "response", "answer_letter"}
        script = SimpleUploadedFile("a.pdf", b"%PDF-1.4\n1 0 obj<</JS (app.alert(1))>>endobj trailer<</Root 1 0 R>>")
        form = step.bind(s, {"answered_on": "2026-04-01", "response": "答复"}, {"answer_letter": script})
        assert not form.is_valid() and "answer_letter" in form.errors

    def test_a_future_submission_date_is_refused(self, world, suggestion):
        with pytest.raises(StepRefused):
            services.suggestion_submit(
                suggestion=suggestion,
                actor=world.deputy,
                addressed_unit="市住建委",
                filed_on=dt.date(2026, 3, 2),
                now=at(2026, 3, 1),
            )

    def test_only_an_author_rates(self, world, suggestion):
        s = reach_suggestion(suggestion, Suggestion.Status.ANSWERED, world)
        with pytest.raises(StepRefused):
            services.suggestion_rate(suggestion=s, actor=world.head, rating="satisfied")
        with pytest.raises(StepRefused):
            services.suggestion_submit(
                suggestion=Suggestion.objects.create(point=world.point, title="另一条"),
                actor=world.outsider_deputy,
                addressed_unit="x",
                filed_on=dt.date(2026, 3, 1),
                now=at(2026, 3, 1),
            )


# Activities ----------------------------------------------------------------------------------


@pytest.fixture
def inspection(world):
    a = Activity.objects.create(point=world.point, kind="inspection", title="集中视察", date=dt.date(2026, 4, 1))
    a.participants.set([world.deputy.person, world.head.person])
    return a


def take_activity(name, a, w):
    return {
        "hold": lambda: services.activity_hold(
            activity=a,
            actor=w.head,
            attendees=[w.head.person],
            findings="用工紧张",
            enterprises=[w.enterprise],
            now=at(2026, 4, 1, 17),
        ),
        "record": lambda: services.activity_record(
            activity=a, actor=w.head, attendees=[w.deputy.person], findings="补充", now=at(2026, 4, 2)
        ),
        "cancel": lambda: services.activity_cancel(activity=a, actor=w.head, reason="天气原因", now=at(2026, 3, 30)),
    }[name]()


@pytest.mark.django_db
@pytest.mark.parametrize("state", Activity.Status.values)
@pytest.mark.parametrize("name", ["hold", "record", "cancel"])
def test_every_activity_state_and_every_step(world, inspection, state, name):
    if state != Activity.Status.PLANNED:
        take_activity({"held": "hold", "cancelled": "cancel"}[state], inspection, world)
    inspection.refresh_from_db()
    assert inspection.status == state
    step = services.ACTIVITY.steps[name]
    if state in step.sources:
        take_activity(name, inspection, world)
        inspection.refresh_from_db()
        assert inspection.status == (step.target or state)
    else:
        with pytest.raises(StepRefused):
            take_activity(name, inspection, world)


@pytest.mark.django_db
class TestActivityRules:
    def test_not_held_before_its_date_nor_without_findings_or_attendees(self, world, inspection):
        for kwargs in (
            {"attendees": [world.head.person], "findings": "x", "now": at(2026, 3, 31, 23)},
            {"attendees": [world.head.person], "findings": " ", "now": at(2026, 4, 1, 17)},
            {"attendees": [], "findings": "x", "now": at(2026, 4, 1, 17)},
        ):
            with pytest.raises(StepRefused):
                services.activity_hold(activity=inspection, actor=world.head, **kwargs)
        inspection.refresh_from_db()
        assert inspection.status == Activity.Status.PLANNED and not inspection.attendees.exists()

    def test_only_held_activities_count_on_the_point_page(self, world, inspection):
        from deputies.selectors import point_year_counts

        assert point_year_counts(world.point, 2026)["activities"] == 0  # planned
        take_activity("hold", inspection, world)
        assert point_year_counts(world.point, 2026)["activities"] == 1

    def test_photos_are_kept_re_encoded(self, world, inspection):
        import io

        from django.core.files.uploadedfile import SimpleUploadedFile
        from PIL import Image

        buffer = io.BytesIO()
        Image.new("RGB", (40, 30), "red").save(buffer, "PNG")
        step = services.ACTIVITY.steps["hold"]
        form = step.bind(
            inspection,
            {"attendees": [world.head.person.pk], "findings": "企业用工紧张", "enterprises": [world.enterprise.pk]},
            {"photos": [SimpleUploadedFile("p.png", buffer.getvalue(), "image/png")]},
        )
        assert form.is_valid(), form.errors
        with time_machine.travel(at(2026, 4, 1, 17)):
            step.perform(inspection, world.head, form.cleaned_data)
        photo = inspection.photos.get()
        assert photo.image.name.endswith(".jpg") and photo.taken_on == dt.date(2026, 4, 1)
        assert list(inspection.enterprises.all()) == [world.enterprise]


# Visits (包挂) -------------------------------------------------------------------------------


@pytest.fixture
def visiting(world):
    """Grid workers and deputies may record visits (the roles table grants this; see report)."""
    from django.contrib.auth.models import Group, Permission

    from liaison.core import roles

    perms = Permission.objects.filter(content_type__app_label="deputies", codename__in=["view_visit", "add_visit"])
    for name in (roles.GRID_WORKER, roles.DEPUTY, roles.POINT_HEAD, roles.OFFICE_STAFF):
        Group.objects.get(name=name).permissions.add(*perms)
    return world


@pytest.mark.django_db
class TestVisits:
    def test_a_visit_to_an_enterprise_one_looks_after(self, visiting):
        from deputies.selectors import my_enterprises, visit_coverage

        w = visiting
        person = w.deputy.person
        visit = services.visit_record(
            person=person,
            enterprise=w.enterprise,
            date=dt.date(2026, 11, 20),
            raised="招工难",
            actor=w.deputy,
            now=at(2026, 11, 21),
        )
        assert visit.point == w.point
        [row] = my_enterprises(person, today=dt.date(2026, 11, 25))
        assert row["last_visit"] == dt.date(2026, 11, 20) and row["this_quarter"] == 1
        coverage = {r["point"]: r for r in visit_coverage([w.point, w.other_point], today=dt.date(2026, 11, 25))}
        assert coverage[w.point]["visited"] == 1 and coverage[w.point]["linked"] == 1
        assert coverage[w.point]["percent"] == 100 and coverage[w.other_point]["linked"] == 0
        # Next quarter the visit no longer counts.
        assert visit_coverage([w.point], today=dt.date(2027, 1, 2))[0]["visited"] == 0

    @pytest.mark.parametrize(
        "change",
        [
            {"date": dt.date(2026, 11, 22)},  # tomorrow
            {"enterprise": "other"},  # not looked after
            {"actor": "outsider"},  # someone of another point
        ],
    )
    def test_refused_visits_record_nothing(self, visiting, change):
        from deputies.models import Visit
        from tests.factories import EnterpriseFactory

        w = visiting
        kwargs = {
            "person": w.deputy.person,
            "enterprise": w.enterprise,
            "date": dt.date(2026, 11, 20),
            "actor": w.deputy,
            "now": at(2026, 11, 21),
        }
        if change.get("enterprise") == "other":
            kwargs["enterprise"] = EnterpriseFactory()
        elif change.get("actor") == "outsider":
            kwargs["actor"] = w.outsider_deputy
        else:
            kwargs.update(change)
        with pytest.raises(StepRefused):
            services.visit_record(**kwargs)
        assert not Visit.objects.exists()

    def test_the_admin_form_says_why_in_chinese_and_records_through_the_service(self, visiting, client):
        from deputies.models import Visit
        from tests.factories import EnterpriseFactory, EnterpriseLinkFactory

        w = visiting
        client.force_login(w.deputy)
        other = EnterpriseFactory()  # the head's, so the deputy may pick it, but not the deputy's
        EnterpriseLinkFactory(person=w.head.person, enterprise=other)
        data = {"person": w.deputy.person.pk, "enterprise": other.pk, "date": "2026-11-20", "raised": "用工"}
        with time_machine.travel(at(2026, 11, 21)):
            page = client.post("/admin/deputies/visit/add/", data)
            assert page.status_code == 200 and "包挂" in page.content.decode()
            assert client.post("/admin/deputies/visit/add/", {**data, "enterprise": w.enterprise.pk}).status_code == 302
            assert Visit.objects.get().point == w.point
            mine = client.get("/admin/deputies/visit/mine/").content.decode()
            assert w.enterprise.name in mine and "2026-11-20" in mine
            listing = client.get("/admin/deputies/visit/").content.decode()
            assert 'data-testid="visit-coverage"' in listing

    def test_visits_score(self, visiting):
        from scoring.models import ScoreEvent
        from scoring.services import score_sync

        w = visiting
        services.visit_record(
            person=w.deputy.person,
            enterprise=w.enterprise,
            date=dt.date(2026, 11, 20),
            actor=w.deputy,
            now=at(2026, 11, 21),
        )
        score_sync()
        assert list(ScoreEvent.objects.values_list("rule__code", "points")) == [("enterprise_visited", 1)]


@pytest.mark.django_db
class TestPrintedSheets:
    def test_sign_in_sheet_before_and_record_after(self, client, world, day):
        client.force_login(world.head)
        url = f"/admin/deputies/receptionday/{day.pk}/print/"
        sheet = client.get(url).content.decode()
        for text in ("签到表", "序号", "姓名", "签到时间", "签名", world.head.person.name):
            assert text in sheet, text
        assert 'data-testid="reception-record"' not in sheet
        services.reception_day_hold(day=day, actor=world.head, summary="企业反映用工问题", now=at(2026, 12, 15, 17))
        record = client.get(url).content.decode()
        assert "接待记录" in record and "企业反映用工问题" in record and 'data-testid="reception-record"' in record
        page = client.get(f"/admin/deputies/receptionday/{day.pk}/change/").content.decode()
        assert 'data-testid="print-link"' in page

    def test_another_points_sheet_is_a_404(self, client, world, day):
        client.force_login(world.outsider_deputy)
        assert client.get(f"/admin/deputies/receptionday/{day.pk}/print/").status_code == 404


@pytest.mark.django_db
def test_a_reminder_delivered_a_day_late_still_counts_the_days_right(world, day):
    from liaison.core.models import Notification

    services.reception_reminders_scan(now=at(2026, 12, 12, 9, 30))  # the 3-day reminder, on time
    row = Notification.objects.filter(key__contains=f"reception:{day.pk}:", channel="in_app").first()
    with time_machine.travel(at(2026, 12, 12, 10)):
        assert "3" in notifications.render(row)[0]
    with time_machine.travel(at(2026, 12, 13, 10)):  # the worker was down: sent a day late
        subject = notifications.render(row)[0]
    assert "2" in subject and "3" not in subject, subject
