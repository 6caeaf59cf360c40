"""Schemathesis generates requests from the OpenAPI schema; none may meet a server error."""

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token

from .factories import PetitionFactory, UserFactory

# The schema view needs no database, so the schema is read once at collection.
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", WSGIHandler())


@pytest.fixture
def keep_connection():
    """Like Django's test client: a request must not close the test's database connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(world, keep_connection):
    PetitionFactory(point=world.point)
    return Token.objects.create(user=UserFactory(username="fuzz", is_superuser=True)).key


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error(case, token):
    response = case.call(headers={"Authorization": f"Token {token}"})
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
