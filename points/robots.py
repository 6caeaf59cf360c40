"""Messages to the staff group chats' robots (see ``GroupRobot``)."""

from liaison.core.models import Notification
from liaison.core.notifications import notify

from .models import GroupRobot, LiaisonPoint


def notify_robots(*, point: LiaisonPoint, event: str, key: str, template: str, context: dict, link="", now=None):
    """Record one message for each active robot that takes ``event`` (a ``GroupRobot.Event``) at
    ``point``: the point's own robots and those of its organisation and the organisations above.

    ``key`` names the occasion (``new-request:<request id>``); ``:robot:<robot id>`` is appended,
    so calling it again for the same occasion records nothing twice. ``template`` and ``context``
    are a message's as for ``notify``; ``link`` is a path in the portal (made absolute with
    PUBLIC_BASE_URL when sent). Call it inside the transaction of the change it reports: the
    messages are queued after commit and sent (and retried) like every other. Returns how many
    were recorded now.
    """
    created = 0
    for robot in GroupRobot.objects.for_event(point, event):
        created += bool(
            notify(
                key=f"{key}:robot:{robot.pk}",
                template=template,
                context={**context, "robot": robot},
                channel=Notification.Channel.ROBOT,
                address=f"#{robot.pk} {robot.name}"[:200],
                link=link,
                now=now,
            )
        )
    return created
