from django.conf import settings


def site(request):
    return {"SITE_TITLE": settings.SITE_TITLE}


def unread_messages(request):
    """``unread_messages``: the signed-in user's unread work-desk messages, counted with one
    query, and only when a template shows it (the work desk's header)."""
    from .models import Notification

    def count() -> int:
        user = getattr(request, "user", None)
        if not (user and user.is_authenticated and user.is_staff):
            return 0
        return Notification.objects.filter(user=user, channel=Notification.Channel.IN_APP, read_at__isnull=True).count()

    return {"unread_messages": count}
