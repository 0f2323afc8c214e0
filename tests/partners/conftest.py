import pytest
from rest_framework.test import APIClient

from partners import services
from partners.models import Partner


@pytest.fixture
def partner_a(user_a):
    return Partner.objects.create(user=user_a, name="Acme", email="data@acme.example")


@pytest.fixture
def partner_b(user_b):
    return Partner.objects.create(user=user_b, name="Bobcorp", email="data@bob.example")


def key_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@pytest.fixture
def key_a(partner_a):
    return services.regenerate_key(partner_a)[1]


@pytest.fixture
def key_b(partner_b):
    return services.regenerate_key(partner_b)[1]


def event(**overrides):
    body = {"event_type": "page_view", "data": {"path": "/"}, "source": "web", "version": "1.0"}
    body.update(overrides)
    return body
