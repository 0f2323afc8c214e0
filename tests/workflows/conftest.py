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


# Rows of one owner, as the isolation matrix and the query-count contract make them.
DEFINITION = {"steps": [{"id": "pause", "kind": "wait", "params": {"seconds": 0}}]}
CHANGED = {"steps": [{"id": "changed", "kind": "wait", "params": {"seconds": 1}}]}


def _workflow(owner):
    return services.save(Workflow(user=owner, name=f"{owner.email}'s workflow", definition=DEFINITION), definition_changed=True)


def _execution(owner):
    return services.start(_workflow(owner), {"secret": f"{owner.email}'s input"})


def _integration(owner):
    return UserIntegration.objects.create(user=owner, provider="webhook", name=f"{owner.email}'s hook",
                                          config={"url": "https://hooks.example/in", "signing_secret": "s"})
