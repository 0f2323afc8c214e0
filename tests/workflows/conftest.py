import pytest

from tests.workflows.loopback import Endpoint
from workflows import services
from workflows.models import UserIntegration, Workflow

SECRET = "whsec-loopback-signing-secret"


@pytest.fixture
def endpoint():
    served = Endpoint()
    yield served
    served.close()


def make_workflow(user, steps, name="Nightly report", **fields) -> Workflow:
    return services.save(Workflow(user=user, name=name, definition={"steps": steps}, **fields), definition_changed=True)


def make_integration(user, url, name="Loopback hook", provider="webhook", **config) -> UserIntegration:
    return UserIntegration.objects.create(user=user, provider=provider, name=name,
                                          config={"url": url, "signing_secret": SECRET, "headers": {"X-Api-Token": "hdr-secret"}, **config})
