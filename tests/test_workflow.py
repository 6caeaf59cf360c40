import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from petitions import services
from petitions.actions import STEPS
from petitions.models import PetitionEvent, Satisfaction, Status
from petitions.workflow import ENTERPRISE_ACTOR, allowed_actions

from .factories import PetitionFactory

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = dt.datetime(2026, 11, 2, 10, 0, tzinfo=TZ)


def drive(petition, w, to):
    """Walk a request along the happy path until it reaches ``to``."""
    path = {
        Status.ACCEPTED: [lambda p: services.petition_accept(petition=p, actor=w.deputy)],
        Status.REJECTED: [lambda p: services.petition_reject(petition=p, actor=w.deputy, reason="不属于受理范围")],
        Status.DISPATCHED: [
            lambda p: services.petition_accept(petition=p, actor=w.deputy),
            lambda p: services.petition_dispatch(petition=p, actor=w.deputy, department=w.department),
        ],
        Status.IN_PROGRESS: [
            lambda p: services.petition_accept(petition=p, actor=w.deputy),
            lambda p: services.petition_dispatch(petition=p, actor=w.deputy, department=w.department),
            lambda p: services.petition_sign(petition=p, actor=w.handler),
        ],
        Status.RESOLVED: [
            lambda p: services.petition_accept(petition=p, actor=w.deputy),
            lambda p: services.petition_resolve_on_site(petition=p, actor=w.deputy, result="现场解答"),
        ],
        Status.CLOSED: [
            lambda p: services.petition_accept(petition=p, actor=w.deputy),
            lambda p: services.petition_resolve_on_site(petition=p, actor=w.deputy, result="现场解答"),
            lambda p: services.petition_confirm(petition=p, actor=w.deputy),
        ],
        Status.MERGED: [],
        Status.SUBMITTED: [],
    }[to]
    for step in path:
        petition = step(petition)
    if to == Status.MERGED:
        target = PetitionFactory(point=petition.point)
        petition = services.petition_merge(petition=petition, into=target, actor=w.deputy)
    assert petition.status == to
    return petition


def sample_input(action, petition, w) -> dict | None:
    """Valid form input for each step that takes any: the same forms the work desk, the API
    and the tracking page bind."""
    into = PetitionFactory(point=petition.point).number if action == "merge" else None
    return {
        "accept": {"urgency": "urgent"},
        "set_urgency": {"urgency": "critical"},
        "reject": {"reason": "不属于受理范围"},
        "merge": {"into": into},
        "resolve_on_site": {"result": "现场解答"},
        "dispatch": {"department": w.department.pk},
        "return": {"reason": "非本单位职责"},
        "reply": {"result": "已办结"},
        "confirm": {"text": ""},
        "rate": {"satisfaction": Satisfaction.SATISFIED, "comment": ""},
        "add_info": {"text": "补充材料"},
        "note": {"text": "内部备注"},
    }.get(action)


def attempt(action, petition, w, actor):
    """Take ``action`` as every caller does: bind the step's form, then perform the step."""
    step = STEPS[action]
    form = step.bind(petition, sample_input(action, petition, w))
    assert form is None or form.is_valid(), form.errors
    return step.perform(petition, actor, form.cleaned_data if form else {})


def actor_for(action, w):
    rights = STEPS[action].rights
    if action == "note":
        return w.deputy
    if "enterprise" in rights:
        return ENTERPRISE_ACTOR
    return w.handler if "handle" in rights else w.deputy


# Every (state, action) pair: allowed ones succeed and write one event; the rest are refused.
@pytest.mark.django_db
@pytest.mark.parametrize("state", list(Status))
@pytest.mark.parametrize("action", list(STEPS))
def test_every_step_from_every_state(world, state, action):
    petition = drive(PetitionFactory(point=world.point), world, state)
    actor = actor_for(action, world)
    events_before = PetitionEvent.objects.filter(petition=petition).count()
    rule = STEPS[action]
    if state in rule.sources:
        result = attempt(action, petition, world, actor)
        assert PetitionEvent.objects.filter(petition=petition).count() == events_before + 1
        if rule.target:
            assert result.status == rule.target
        last = PetitionEvent.objects.filter(petition=petition).last()
        assert last.action == action and last.from_status == state and last.to_status == result.status
    else:
        with pytest.raises(services.TransitionRefused):
            attempt(action, petition, world, actor)
        petition.refresh_from_db()
        assert petition.status == state
        assert PetitionEvent.objects.filter(petition=petition).count() == events_before


@pytest.mark.django_db
class TestRights:
    def test_accept_twice_is_refused(self, world, petition):
        services.petition_accept(petition=petition, actor=world.deputy)
        with pytest.raises(services.TransitionRefused):
            services.petition_accept(petition=petition, actor=world.deputy)

    def test_a_deputy_of_another_point_cannot_accept(self, world, petition):
        with pytest.raises(services.TransitionRefused):
            services.petition_accept(petition=petition, actor=world.outsider_deputy)

    def test_handlers_cannot_triage_and_deputies_cannot_sign(self, world, petition):
        with pytest.raises(services.TransitionRefused):
            services.petition_accept(petition=petition, actor=world.handler)
        petition = drive(petition, world, Status.DISPATCHED)
        with pytest.raises(services.TransitionRefused):
            services.petition_sign(petition=petition, actor=world.deputy)

    def test_another_departments_handler_cannot_sign(self, world, petition):
        petition = drive(petition, world, Status.DISPATCHED)
        with pytest.raises(services.TransitionRefused):
            services.petition_sign(petition=petition, actor=world.other_handler)

    def test_grid_workers_enter_but_do_not_triage(self, world, petition):
        with pytest.raises(services.TransitionRefused):
            services.petition_accept(petition=petition, actor=world.grid)

    def test_the_enterprise_cannot_accept(self, world, petition):
        with pytest.raises(services.TransitionRefused):
            services.petition_accept(petition=petition, actor=ENTERPRISE_ACTOR)

    def test_office_staff_triage_points_of_their_organisation(self, world, petition):
        services.petition_accept(petition=petition, actor=world.office)
        other = PetitionFactory(point=world.other_point)
        with pytest.raises(services.TransitionRefused):
            services.petition_accept(petition=other, actor=world.office)

    def test_admin_buttons_follow_the_table(self, world, petition):
        assert allowed_actions(petition, world.deputy) == ["accept", "set_urgency", "reject", "merge", "note"]
        assert allowed_actions(petition, world.handler) == []
        petition = drive(petition, world, Status.DISPATCHED)
        assert allowed_actions(petition, world.handler) == ["sign", "return", "note"]

    def test_empty_reason_is_refused(self, world, petition):
        with pytest.raises(services.TransitionRefused):
            services.petition_reject(petition=petition, actor=world.deputy, reason="   ")


@pytest.mark.django_db
class TestLifecycle:
    def test_full_dispatch_path_sets_deadlines_in_working_days(self, world):
        petition = PetitionFactory(point=world.point, now=MONDAY)
        assert petition.due_date == dt.date(2026, 11, 3)
        petition = services.petition_accept(petition=petition, actor=world.deputy, now=MONDAY)
        assert petition.deputy.user == world.deputy
        petition = services.petition_dispatch(
            petition=petition, actor=world.deputy, department=world.department, now=MONDAY
        )
        assert petition.due_date == dt.date(2026, 11, 3)
        assert petition.reply_due == dt.date(2026, 11, 16)
        petition = services.petition_sign(petition=petition, actor=world.handler, now=MONDAY)
        assert petition.status == Status.IN_PROGRESS and petition.due_date == dt.date(2026, 11, 16)
        petition = services.petition_reply(petition=petition, actor=world.handler, result="已增开班次", now=MONDAY)
        assert petition.status == Status.RESOLVED and petition.resolution == "已增开班次" and petition.due_date is None
        petition = services.petition_confirm(petition=petition, actor=world.deputy)
        petition = services.petition_rate(
            petition=petition, actor=ENTERPRISE_ACTOR, satisfaction=Satisfaction.SATISFIED
        )
        assert petition.status == Status.CLOSED and petition.satisfaction == Satisfaction.SATISFIED
        actions = list(petition.events.values_list("action", flat=True))
        assert actions == ["submit", "accept", "dispatch", "sign", "reply", "confirm", "rate"]

    def test_unsatisfied_reopens_for_re_handling(self, world, petition):
        petition = drive(petition, world, Status.RESOLVED)
        petition = services.petition_rate(
            petition=petition, actor=ENTERPRISE_ACTOR, satisfaction=Satisfaction.UNSATISFIED, comment="没解决"
        )
        assert petition.status == Status.ACCEPTED
        assert petition.reopen_count == 1
        assert petition.resolved_at is None and petition.due_date is not None
        assert petition.events.last().text.endswith("没解决")

    def test_rating_twice_is_refused(self, world, petition):
        petition = drive(petition, world, Status.RESOLVED)
        services.petition_rate(petition=petition, actor=ENTERPRISE_ACTOR, satisfaction=Satisfaction.BASIC)
        with pytest.raises(services.TransitionRefused):
            services.petition_rate(petition=petition, actor=ENTERPRISE_ACTOR, satisfaction=Satisfaction.SATISFIED)

    def test_return_sends_it_back_to_triage(self, world, petition):
        petition = drive(petition, world, Status.IN_PROGRESS)
        petition = services.petition_return(petition=petition, actor=world.handler, reason="应由区教委办理")
        assert petition.status == Status.ACCEPTED and petition.department is None and petition.reply_due is None

    def test_merge_only_into_an_open_request_of_the_same_point(self, world, petition):
        elsewhere = PetitionFactory(point=world.other_point)
        with pytest.raises(services.TransitionRefused):
            services.petition_merge(petition=petition, into=elsewhere, actor=world.deputy)
        with pytest.raises(services.TransitionRefused):
            services.petition_merge(petition=petition, into=petition, actor=world.deputy)

    def test_dispatch_deadline_must_be_in_the_future(self, world, petition):
        petition = drive(petition, world, Status.ACCEPTED)
        with pytest.raises(services.TransitionRefused):
            services.petition_dispatch(
                petition=petition, actor=world.deputy, department=world.department, due=dt.date(2020, 1, 1)
            )

    def test_timeline_rows_are_immutable(self, petition):
        event = petition.events.first()
        event.text = "篡改"
        with pytest.raises(ValueError):
            event.save()
        with pytest.raises(ValueError):
            event.delete()

    def test_numbers_are_consecutive_per_point_and_year(self, world):
        first = PetitionFactory(point=world.point, now=MONDAY)
        second = PetitionFactory(point=world.point, now=MONDAY)
        assert first.number == "BYD-2026-00001"
        assert second.number == "BYD-2026-00002"
        assert first.access_token != second.access_token and len(first.access_token) >= 32


class TestOneSpecPerStep:
    def test_every_step_has_its_timeline_label(self):
        assert set(STEPS) <= set(PetitionEvent.Action.values)

    def test_a_step_is_declared_once(self):
        from petitions.workflow import step

        with pytest.raises(ValueError):
            step("accept", "again", [], None)(lambda **kw: None)

    @pytest.mark.django_db
    @pytest.mark.parametrize("action", [name for name, s in STEPS.items() if s.form])
    def test_every_input_is_validated_by_its_form(self, world, petition, action):
        form = STEPS[action].bind(petition, {})
        required = [name for name, field in form.fields.items() if field.required]
        assert form.is_valid() == (not required)
        assert set(form.errors) == set(required)

    def test_each_step_is_declared_on_its_own_service(self):
        for name, declared in STEPS.items():
            assert declared.service.__name__ == f"petition_{name}"
