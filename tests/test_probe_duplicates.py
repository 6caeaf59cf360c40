"""Hostile checks of the possible-duplicates door: merging into a request that stopped being
open after the merge form read it, and the links that fill the step forms in."""

import pytest
from django.conf import settings

from petitions import services
from petitions.models import Petition, Status

from .factories import PetitionFactory

DO = "/admin/petitions/petition/{}/do/{}/"


@pytest.mark.django_db
class TestMergeTarget:
    def test_a_target_merged_meanwhile_is_refused_not_chained(self, world):
        """The merge form reads the target, then the step runs: if the target was merged (or
        closed) in between, by a second tab or a colleague, the merge must be refused, not
        leave a request merged into a merged one (or two requests merged into each other)."""
        first = PetitionFactory(point=world.point)
        second = PetitionFactory(point=world.point)
        target_as_read = Petition.objects.get(pk=second.pk)  # what the form of `first` holds
        services.petition_merge(petition=second, into=first, actor=world.head)
        with pytest.raises(services.TransitionRefused):
            services.petition_merge(petition=first, into=target_as_read, actor=world.deputy)
        first.refresh_from_db()
        second.refresh_from_db()
        assert first.status == Status.SUBMITTED and first.merged_into_id is None
        assert second.status == Status.MERGED and second.merged_into_id == first.pk

    def test_a_target_rejected_meanwhile_is_refused(self, world):
        first = PetitionFactory(point=world.point)
        second = PetitionFactory(point=world.point)
        target_as_read = Petition.objects.get(pk=second.pk)
        services.petition_reject(petition=second, actor=world.head, reason="无效")
        with pytest.raises(services.TransitionRefused):
            services.petition_merge(petition=first, into=target_as_read, actor=world.deputy)
        first.refresh_from_db()
        assert first.status == Status.SUBMITTED

    def test_the_merge_page_says_so_in_chinese(self, client, world, monkeypatch):
        """Through the admin step: the target is read by the form, then merged elsewhere before
        the step runs (simulated by merging it when the form validates)."""
        from petitions import forms

        first = PetitionFactory(point=world.point)
        second = PetitionFactory(point=world.point)
        original = forms.MergeForm.clean_into

        def clean_then_race(self):
            target = original(self)
            services.petition_merge(petition=second, into=first, actor=world.head)
            return target

        monkeypatch.setattr(forms.MergeForm, "clean_into", clean_then_race)
        client.force_login(world.deputy)
        response = client.post(DO.format(first.pk, "merge"), {"into": second.number}, follow=True)
        assert response.status_code == 200
        assert "只能合并到本活动点另一件未办结的诉求。" in response.content.decode()
        first.refresh_from_db()
        assert first.status == Status.SUBMITTED


@pytest.mark.django_db
class TestPrefilledStepForms:
    BAD = ["abc", "9" * 30, "-1", "<script>alert(1)</script>", "2026-13-45", " ", "a\u200bb"]
    FIELDS = ["department", "due", "instructions", "urgency", "into", "letters", "result"]

    def test_links_that_fill_a_step_form_in_never_crash_or_inject(self, client, world):
        submitted = PetitionFactory(point=world.point)
        accepted = services.petition_accept(petition=PetitionFactory(point=world.point), actor=world.deputy)
        client.force_login(world.deputy)
        for petition, steps in (
            (submitted, ["accept", "merge", "reject", "set_urgency"]),
            (accepted, ["dispatch", "resolve_on_site", "set_urgency"]),
        ):
            for step in steps:
                for value in self.BAD:  # every field of the link at once: each is read on its own
                    response = client.get(DO.format(petition.pk, step), dict.fromkeys(self.FIELDS, value))
                    assert response.status_code == 200, (step, value)
                    assert "<script>alert(1)" not in response.content.decode()
        submitted.refresh_from_db()
        accepted.refresh_from_db()
        assert submitted.status == Status.SUBMITTED and accepted.status == Status.ACCEPTED

    def test_a_prefilled_department_of_another_organisation_is_not_offered(self, client, world):
        accepted = services.petition_accept(petition=PetitionFactory(point=world.point), actor=world.deputy)
        client.force_login(world.deputy)
        body = client.get(DO.format(accepted.pk, "dispatch"), {"department": world.other_department.pk}).content
        assert world.other_department.name not in body.decode()
        response = client.post(DO.format(accepted.pk, "dispatch"), {"department": world.other_department.pk})
        assert response.status_code == 400
        accepted.refresh_from_db()
        assert accepted.status == Status.ACCEPTED and accepted.department_id is None


@pytest.mark.postgres
@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="row-lock races need PostgreSQL: set DATABASE_URL=postgres://…",
)
@pytest.mark.django_db(transaction=True)
def test_two_requests_merged_into_each_other_at_once_one_wins(world):
    from .test_concurrency import run_together

    first = PetitionFactory(point=world.point)
    second = PetitionFactory(point=world.point)
    pairs = [(first, second), (second, first)]
    users = [world.deputy, world.head]

    def merge(n):
        source, target = (Petition.objects.get(pk=p.pk) for p in pairs[n])
        return services.petition_merge(petition=source, into=target, actor=users[n])

    results, errors = run_together(2, merge)
    assert len(results) == 1
    assert len(errors) == 1 and isinstance(errors[0], services.TransitionRefused)
    statuses = sorted(Petition.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True))
    assert statuses == sorted([Status.MERGED, Status.SUBMITTED])


@pytest.mark.django_db
def test_the_panel_never_says_more_than_100_percent_alike(client, world):
    """The same enterprise's bonus ranks its request first; the panel's "alike" column is a
    share of the text and must not read 110 % for a word-for-word copy."""
    text = {"title": "园区门口停车难", "content": "我公司员工上下班在园区门口停车非常困难，希望增加停车位。"}
    new = PetitionFactory(point=world.point, enterprise_name="甲公司", **text)
    PetitionFactory(point=world.point, enterprise_name="甲公司", **text)
    client.force_login(world.deputy)
    body = client.get(f"/admin/petitions/petition/{new.pk}/change/").content.decode()
    assert 'data-testid="duplicates"' in body
    assert "110%" not in body and "100%" in body


@pytest.mark.django_db
def test_filers_of_a_duplicate_merged_on_are_told_when_the_last_request_is_answered(world):
    """C was merged into A, then A into B: when B is answered the filers of A and of C are told,
    each on their own link; C's filer is not left waiting on a request that will never move."""
    from liaison.core.models import Notification

    main = PetitionFactory(point=world.point, contact_phone="13900000001")
    middle = PetitionFactory(point=world.point, contact_phone="13900000002")
    first = PetitionFactory(point=world.point, contact_phone="13900000003")
    services.petition_merge(petition=first, into=middle, actor=world.deputy)
    services.petition_merge(petition=middle, into=main, actor=world.deputy)
    services.petition_accept(petition=main, actor=world.deputy)
    services.petition_resolve_on_site(petition=main, actor=world.deputy, result="已增设停车位")
    told = Notification.objects.filter(template="enterprise_duplicate_answered")
    assert sorted(told.values_list("address", flat=True)) == ["13900000002", "13900000003"]
    assert first.access_token in told.get(address="13900000003").link


@pytest.mark.django_db
def test_a_handler_is_not_shown_the_duplicates_merged_into_their_request(client, world):
    """The requests merged into one are the point's, never dispatched to the department: their
    numbers and titles stay out of the handler's panel as their other lookalikes do (the link
    would be a 404 for them anyway). The point's deputy still sees them."""
    main = PetitionFactory(point=world.point)
    duplicate = PetitionFactory(point=world.point, title="某某公司法人手机号一并反映")
    services.petition_merge(petition=duplicate, into=main, actor=world.deputy)
    services.petition_accept(petition=main, actor=world.deputy)
    services.petition_dispatch(petition=main, actor=world.deputy, department=world.department)
    change = f"/admin/petitions/petition/{main.pk}/change/"
    client.force_login(world.handler)
    body = client.get(change).content.decode()
    assert duplicate.number not in body and duplicate.title not in body
    assert client.get(f"/admin/petitions/petition/{duplicate.pk}/change/").status_code in (302, 404)
    client.force_login(world.deputy)
    body = client.get(change).content.decode()
    assert duplicate.number in body and duplicate.title in body


@pytest.mark.django_db
class TestPrefillAllowList:
    """Only what the portal's own links fill in (the merge target) may come from the address: a
    link from outside must not pre-write the text sent to the enterprise, shown on the display
    screen or given to the department, for a hurried deputy to confirm."""

    SCAM = "请添加微信scam888办理"

    def test_texts_sent_to_the_enterprise_or_the_screen_are_never_prefilled(self, client, world):
        submitted = PetitionFactory(point=world.point)
        accepted = services.petition_accept(petition=PetitionFactory(point=world.point), actor=world.deputy)
        client.force_login(world.deputy)
        for petition, step, field in (
            (submitted, "reject", "reason"),
            (accepted, "resolve_on_site", "result"),
            (accepted, "resolve_on_site", "public_summary"),
            (accepted, "dispatch", "instructions"),
        ):
            body = client.get(DO.format(petition.pk, step), {field: self.SCAM}).content.decode()
            assert self.SCAM not in body, (step, field)

    def test_the_merge_link_still_fills_in_its_target(self, client, world):
        first = PetitionFactory(point=world.point)
        second = PetitionFactory(point=world.point)
        client.force_login(world.deputy)
        body = client.get(DO.format(first.pk, "merge"), {"into": second.number}).content.decode()
        assert f'value="{second.number}"' in body
