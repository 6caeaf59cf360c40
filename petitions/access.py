"""The one way to fetch a request for someone: staff by scope, the enterprise by secret link."""

import hmac

from django.http import Http404
from django.shortcuts import get_object_or_404

from .models import Petition


def access_petition(user, pk) -> Petition:
    """The request ``pk`` if ``user`` may see it; 404 otherwise (its existence is not revealed)."""
    if not str(pk).isdigit():
        raise Http404("No such request")
    return get_object_or_404(Petition.objects.visible_to(user).select_related("point"), pk=pk)


def access_petition_by_token(number: str, token: str) -> Petition:
    """The request with this tracking number, if ``token`` is its secret; 404 otherwise.

    The token is compared in constant time; a number alone opens nothing.
    """
    petition = Petition.objects.select_related("point").filter(number=number).first()
    # Compare even when the number is unknown, so timing does not tell which numbers exist.
    expected = petition.access_token if petition else "x" * 32
    if not hmac.compare_digest(expected.encode(), (token or "").encode()) or petition is None:
        raise Http404("No such request")
    return petition
