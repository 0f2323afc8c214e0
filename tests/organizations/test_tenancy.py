"""Tenants are organizations: tenant_for() without a request names the personal organization, and chat
migration 0005 moves rows of another tenant to their owner's personal organization with the composite
key intact. The request's active organization: tests/chat/test_organizations.py."""

import importlib
import uuid

import pytest
from django.db import IntegrityError, connection, transaction

from accounts.tenancy import tenant_for
from chat.models import ChatMessage, ChatSession, GA4Credential
from organizations.models import Organization

pytestmark = pytest.mark.django_db

MOVE = importlib.import_module("chat.migrations.0005_tenant_is_personal_organization").MOVE


def test_tenant_for_is_the_personal_organization(user_a):
    assert Organization.objects.get(pk=tenant_for(user_a)).personal_for_id == user_a.pk


def test_rows_of_another_tenant_move_to_their_owners_personal_organization(user_a):
    session = ChatSession.objects.create(user=user_a, title="old")
    message = ChatMessage.objects.create(session=session, role="user", content={"type": "user", "text": "hi"})
    credential = GA4Credential.objects.create(user=user_a, property_id="1")
    elsewhere = uuid.uuid4()
    with connection.cursor() as cursor:  # as before organizations: a tenant that is not the personal one
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE ga4_credentials DROP CONSTRAINT ga4_credentials_tenant_personal")  # chat 0006's
        cursor.execute("ALTER TABLE chat_messages DROP CONSTRAINT chat_messages_session_tenant_fkey")
        cursor.execute("UPDATE chat_sessions SET tenant_id = %s WHERE id = %s", [elsewhere, session.pk])
        cursor.execute("UPDATE chat_messages SET tenant_id = %s WHERE id = %s", [elsewhere, message.pk])
        cursor.execute("UPDATE ga4_credentials SET tenant_id = %s WHERE id = %s", [elsewhere, credential.pk])
        cursor.execute("""ALTER TABLE chat_messages ADD CONSTRAINT chat_messages_session_tenant_fkey
                          FOREIGN KEY (session_id, tenant_id) REFERENCES chat_sessions (id, tenant_id) ON DELETE CASCADE""")
        cursor.execute(MOVE)
        cursor.execute("ALTER TABLE ga4_credentials ADD CONSTRAINT ga4_credentials_tenant_personal CHECK (tenant_id = user_id)")
    for model, obj in ((ChatSession, session), (ChatMessage, message), (GA4Credential, credential)):
        assert model.objects.get(pk=obj.pk).tenant_id == user_a.pk
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE chat_messages SET tenant_id = %s WHERE id = %s", [elsewhere, message.pk])


def test_a_user_made_elsewhere_gets_a_personal_organization_at_sign_in(user_a):
    from accounts import services as accounts_services
    from tests.conftest import PASSWORD

    Organization.objects.filter(pk=user_a.pk).delete()
    accounts_services.sign_in(user_a.email, PASSWORD, "127.0.0.1")
    assert Organization.objects.get(pk=user_a.pk).members.get().user_id == user_a.pk
