"""Every owned model is in the isolation matrix, or exempt with a reason: a new user-owned table cannot
ship without the cross-tenant tests."""

import pytest
from django.apps import apps

from organizations.models import Membership, Organization, Role
from tests.isolation.resources import (
    AUDIT_FEEDS,
    EXEMPT,
    ORG_RESOURCES,
    OWNED_READS,
    PARTNER_TABLES,
    PRIVACY_TABLES,
    RESOURCES,
)

AUTH_USERS = '"auth"."users"'


def owned_models():
    """Managed models that declare an owner (`owner_path`) or hold a foreign key to auth.users."""
    return {
        model._meta.label
        for model in apps.get_models()
        if model._meta.managed and (
            getattr(model, "owner_path", None)
            or any(f.is_relation and f.related_model and f.related_model._meta.db_table == AUTH_USERS
                   for f in model._meta.local_fields)
        )
    }


@pytest.mark.django_db
def test_every_owned_model_is_in_the_matrix_or_exempt(user_a):
    covered = {type(resource.make(user_a))._meta.label for resource in RESOURCES}
    covered |= {model._meta.label for model in PARTNER_TABLES}
    covered |= {feed.model._meta.label for feed in AUDIT_FEEDS}
    organization = Organization.objects.create(name="Coverage", slug="coverage")
    Membership.objects.create(organization=organization, user=user_a, role=Role.OWNER)
    covered |= {type(resource.make(organization, user_a))._meta.label for resource in ORG_RESOURCES}
    covered |= {model._meta.label for model in PRIVACY_TABLES}
    covered |= {type(read.make(user_a))._meta.label for read in OWNED_READS}
    missing = owned_models() - covered - set(EXEMPT)
    assert not missing, f"declare {sorted(missing)} in tests/isolation/resources.py (or in EXEMPT, with a reason)"


def test_exemptions_are_owned_models_with_a_reason():
    assert set(EXEMPT) <= owned_models()
    assert all(reason.strip() for reason in EXEMPT.values())
