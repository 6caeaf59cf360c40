"""Message channels: plain-text rendering, SMS backends and providers, group robots, the work
desk's message list. Providers and robots are played by HTTP servers on 127.0.0.1."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from liaison.core import notifications
from liaison.core.models import Notification
from petitions.models import Petition

from .factories import PetitionFactory

TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 23, 9, 5, tzinfo=TZ)
TRICKY = 'A<B & "C"'


def deliver_all(now=NOW):
    return notifications.deliver_due(now=now)


@pytest.mark.django_db
class TestPlainText:
    def test_text_parts_show_the_title_as_typed_and_html_stays_escaped(self, world):
        world.head.email = "head@example.cn"
        world.head.save()
        petition = PetitionFactory(point=world.point, title=TRICKY, now=NOW)
        Petition.objects.filter(pk=petition.pk).update(enterprise_name="<甲&乙>")
        notifications.notify_user(
            world.head, key="t", template="new_request", context={"petition": petition, "person": None}, now=NOW
        )
        deliver_all()
        row = Notification.objects.get(key="t:in_app")
        assert TRICKY in row.body and "<甲&乙>" in row.body
        assert "&lt;" not in row.body + row.subject and "&quot;" not in row.body and "&amp;" not in row.body
        assert "A&lt;B &amp; &quot;C&quot;" in row.html  # the HTML part is still escaped
        emails = [m for m in mail.outbox if m.to == ["head@example.cn"]]
        assert emails and all(TRICKY in m.body and "&lt;" not in m.body + m.subject for m in emails)

    def test_every_text_template_is_rendered_without_escaping(self, world):
        context = {"point": {"name": "<点>"}, "person": {"name": '"张"'}, "figures": {}, "week": 1}
        subject = notifications.render_part("notifications/weekly_digest/subject.txt", context)
        body = notifications.render_part("notifications/weekly_digest/body.txt", context)
        assert subject.startswith("<点>") and '"张"' in body
