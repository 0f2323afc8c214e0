"""Every user-owned resource, declared once. A new user-owned endpoint or page joins the isolation
matrix (tests/isolation/test_matrix.py) by adding one `Owned(...)` here."""

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

from audit.models import AnalysisRun, ApiCall, AuditLog, DataStorage, FileUpload, UserActivity
from chat.models import ChatMessage, ChatSession, GA4Credential
from partners.models import ApiKey, DailyUsage, IngestionEvent, Insight, Partner, RequestLog
from sessions_app.models import AnalysisSession, DraftFile, ResearchSession
from sessions_app.storage import SessionStorage
from tests.isolation.resources_business import OWNED_READS  # noqa: F401  (test_owned_reads.py)
from tests.isolation.resources_organizations import ORG_RESOURCES  # noqa: F401  (the membership dimension)


@dataclass(frozen=True)
class Owned:
    name: str
    make: Callable  # make(owner) -> an object owned by `owner`
    api_collection: Callable  # api_collection(obj) -> the list/create URL that holds obj
    create: dict  # a valid body for POST to the collection
    update: dict  # a valid body for PATCH/PUT of the object
    page_detail: Callable | None = None  # page_detail(obj) -> URL
    page_edit: Callable | None = None
    page_delete: Callable | None = None
    page_create: Callable | None = None  # page_create(obj) -> the "new" page of obj's parent (nested only)
    page_form: dict = field(default_factory=dict)  # a valid POST body for the edit page
    nested: bool = False  # its collection lives under a parent object that is owned too

    def api_detail(self, obj):
        return f"{self.api_collection(obj)}{obj.pk}/"

    def snapshot(self, obj):
        """The row as the connection role sees it (RLS does not apply), or None when gone."""
        row = type(obj)._base_manager.filter(pk=obj.pk).values().first()
        return row and {k: v for k, v in row.items()}


@dataclass(frozen=True)
class OwnedSeedPath(Owned):
    """An owned resource at the seeds' paths, without trailing slashes (`/api/v1/ga4/credentials/{id}`)."""

    def api_detail(self, obj):
        return f"{self.api_collection(obj)}/{obj.pk}"


def _ga4_credential(owner):
    return GA4Credential.objects.create(
        user=owner, property_id="123456789", property_name=f"{owner.email}'s property",
        refresh_token=f"1//{owner.email}-refresh", access_token=f"ya29.{owner.email}-access",
    )


@dataclass(frozen=True)
class OwnedByKey(Owned):
    """A stored value, addressed by its session and key (`.../storage/{key}`, written by PUT)."""

    def api_detail(self, obj):
        return f"{self.api_collection(obj)}{quote(obj.storage_key, safe='')}"


def _chat_session(owner):
    return ChatSession.objects.create(user=owner, title=f"{owner.email}'s chat", persona="po")


def _chat_message(owner):
    return ChatMessage.objects.create(session=_chat_session(owner), role="user", content={"type": "user", "text": f"{owner.email}'s question"})


def _analysis_session(owner):
    return AnalysisSession.objects.create(user=owner, name=f"{owner.email}'s analysis", metadata={"owner": owner.email})


def _stored_value(owner):
    session = _analysis_session(owner)
    SessionStorage(session).set("result key", {"secret": f"{owner.email}'s result"})
    return session.stored_values.get()


def _session(owner):
    return ResearchSession.objects.create(user=owner, title=f"{owner.email}'s study")


def _draft(owner):
    return DraftFile.objects.create(session=_session(owner), file_name="notes.md", content=f"{owner.email}'s secret")


RESOURCES = [
    Owned(
        name="research-session",
        make=_session,
        api_collection=lambda obj: "/api/v1/research-sessions/",
        create={"title": "Planted"},
        update={"title": "Changed by someone else", "status": "failed"},
        page_detail=lambda obj: f"/research/{obj.pk}/",
        page_edit=lambda obj: f"/research/{obj.pk}/edit/",
        page_delete=lambda obj: f"/research/{obj.pk}/delete/",
        page_form={"title": "Changed by someone else", "status": "failed", "stage": "4_writing"},
    ),
    Owned(
        name="draft-file",
        make=_draft,
        api_collection=lambda obj: f"/api/v1/research-sessions/{obj.session_id}/draft-files/",
        create={"file_name": "planted.md", "content": "planted"},
        update={"file_name": "changed.md", "content": "changed by someone else"},
        page_detail=lambda obj: f"/research/{obj.session_id}/files/{obj.pk}/",
        page_edit=lambda obj: f"/research/{obj.session_id}/files/{obj.pk}/",
        page_delete=lambda obj: f"/research/{obj.session_id}/files/{obj.pk}/delete/",
        page_create=lambda obj: f"/research/{obj.session_id}/files/new/",
        page_form={"file_name": "changed.md", "content": "changed by someone else"},
        nested=True,
    ),
    Owned(
        name="analysis-session",
        make=_analysis_session,
        api_collection=lambda obj: "/api/v1/analysis-sessions/",
        create={"name": "Planted"},
        update={"name": "Changed by someone else", "status": "completed", "metadata": {"planted": True}},
        page_detail=lambda obj: f"/analysis/{obj.pk}/",
        page_edit=lambda obj: f"/analysis/{obj.pk}/edit/",
        page_delete=lambda obj: f"/analysis/{obj.pk}/delete/",
        page_form={"name": "Changed by someone else", "analysis_type": "x", "status": "completed"},
    ),
    OwnedByKey(
        name="stored-value",
        make=_stored_value,
        api_collection=lambda obj: f"/api/v1/analysis-sessions/{obj.session_id}/storage/",
        create={"type": "json", "value": "planted"},
        update={"type": "json", "value": "changed by someone else"},
        page_detail=lambda obj: f"/analysis/{obj.session_id}/values/{quote(obj.storage_key)}/",
        # Values are stored (and replaced) from the session page's form.
        page_edit=lambda obj: f"/analysis/{obj.session_id}/values/",
        page_delete=lambda obj: f"/analysis/{obj.session_id}/values/{quote(obj.storage_key)}/delete/",
        page_create=lambda obj: f"/analysis/{obj.session_id}/values/",
        page_form={"key": "result key", "value_type": "text", "value": "changed by someone else"},
        nested=True,
    ),
    OwnedSeedPath(
        name="ga4-credential",
        make=_ga4_credential,
        api_collection=lambda obj: "/api/v1/ga4/credentials",
        create={"property_id": "123456789", "refresh_token": "1//planted"},
        update={"property_name": "Changed by someone else"},
        page_detail=lambda obj: f"/chat/ga4/{obj.pk}/reconnect/",
        page_edit=lambda obj: f"/chat/ga4/{obj.pk}/reconnect/",
        page_delete=lambda obj: f"/chat/ga4/{obj.pk}/revoke/",
    ),
    Owned(
        name="chat-session",
        make=_chat_session,
        api_collection=lambda obj: "/api/v1/chat/sessions/",
        create={"title": "Planted", "tenant_id": "00000000-0000-0000-0000-000000000000"},
        update={"title": "Changed by someone else", "persona": "mgr", "archived": True},
        page_detail=lambda obj: f"/chat/{obj.pk}/",
        page_edit=lambda obj: f"/chat/{obj.pk}/edit/",
        page_delete=lambda obj: f"/chat/{obj.pk}/delete/",
        page_form={"title": "Changed by someone else", "persona": "mgr", "credential": ""},
    ),
    Owned(
        name="chat-message",
        make=_chat_message,
        api_collection=lambda obj: f"/api/v1/chat/sessions/{obj.session_id}/messages/",
        create={"content": {"type": "user", "text": "planted"}},
        update={"content": {"type": "user", "text": "changed by someone else"}},
        # A message's pages: its answer stream (read), asking in its chat (write) and retry (write).
        page_detail=lambda obj: f"/chat/messages/{obj.pk}/stream/",
        page_edit=lambda obj: f"/chat/{obj.session_id}/ask/",
        page_delete=lambda obj: f"/chat/messages/{obj.pk}/retry/",
        page_create=lambda obj: f"/chat/{obj.session_id}/ask/",
        page_form={"text": "planted"},
        nested=True,
    ),
]


@dataclass(frozen=True)
class Singleton:
    """An endpoint or page that acts on the caller's own partner, found from the caller's identity
    (no id in the URL): user B calling it must neither see nor change anything of user A's partner."""

    method: str
    path: str
    body: dict | None = None
    page: bool = False  # a server-rendered page (session cookie) rather than the API (token)


PARTNER_SINGLETONS = [
    Singleton("get", "/api/v1/partner/profile"),
    Singleton("patch", "/api/v1/partner/profile", {"name": "Taken over"}),
    Singleton("delete", "/api/v1/partner/profile"),
    Singleton("get", "/api/v1/partner/api-key"),
    Singleton("delete", "/api/v1/partner/api-key"),
    Singleton("post", "/api/v1/partner/api-key/regenerate"),
    Singleton("get", "/api/v1/partner/events"),
    Singleton("post", "/api/v1/ingest/events", {"event_type": "planted", "data": {}, "source": "b", "version": "1"}),
    Singleton("get", "/api/v1/partner/insights"),
    Singleton("post", "/api/v1/partner/insights/generate", {}),
    Singleton("get", "/api/v1/partner/logs"),
    Singleton("get", "/api/v1/partner/usage"),
    Singleton("get", "/partner/", page=True),
    Singleton("post", "/partner/", {"name": "Planted", "email": "b@bob.example"}, page=True),
    Singleton("post", "/partner/profile/", {"name": "Taken over", "email": "b@bob.example"}, page=True),
    Singleton("post", "/partner/key/regenerate/", page=True),
    Singleton("post", "/partner/key/revoke/", page=True),
    Singleton("post", "/partner/insights/generate/", page=True),
]


# The partner's tables, reached only through the singletons above (test_partner_matrix.py).
PARTNER_TABLES = [Partner, ApiKey, IngestionEvent, Insight, RequestLog, DailyUsage]


@dataclass(frozen=True)
class OwnedFeed:
    """A read-only list of owned rows (no detail, no writes): user B's API list and page must not
    show user A's row."""

    model: type
    fields: dict  # what make() writes besides the owner
    api_list: str
    page_list: str

    @property
    def name(self):
        return self.model._meta.db_table

    def make(self, owner):
        return self.model.objects.create(user=owner, **self.fields)


AUDIT_FEEDS = [
    OwnedFeed(AuditLog, {"action": "export", "resource_type": "report"}, "/api/v1/audit/activity/?table=audit_logs", "/activity/?tab=changes"),
    OwnedFeed(UserActivity, {"activity_type": "login"}, "/api/v1/audit/activity/?table=audit_user_activities", "/activity/?tab=logins"),
    OwnedFeed(FileUpload, {"file_name": "a.csv", "status": "stored"}, "/api/v1/audit/activity/?table=audit_file_uploads", "/activity/?tab=uploads"),
    OwnedFeed(AnalysisRun, {"analysis_type": "forecast"}, "/api/v1/audit/activity/?table=audit_analysis_runs", "/activity/?tab=runs"),
    OwnedFeed(ApiCall, {"service": "ga4", "endpoint": "https://x.example/", "method": "GET"}, "/api/v1/audit/activity/?table=audit_api_calls", "/activity/?tab=calls"),
    OwnedFeed(DataStorage, {"operation": "set", "storage_key": "frame"}, "/api/v1/audit/activity/?table=audit_data_storage", "/activity/?tab=storage"),
]

from tests.isolation.resources_privacy import PRIVACY_FEEDS, PRIVACY_RESOURCES, PRIVACY_TABLES  # noqa: E402, F401 (re-exported)

RESOURCES += PRIVACY_RESOURCES

# Models with an owner that no endpoint or page of an end user reaches, and why.
EXEMPT = {
    "partners.SecurityEvent": "staff only: RLS on with no policy, read in the admin; no end-user endpoint or page",
}

from tests.isolation import resources_workflows  # noqa: E402 - each app declares its resources in its own file

RESOURCES += resources_workflows.RESOURCES
EXEMPT |= resources_workflows.EXEMPT
# Growth: analytics events have a matrix of their own (test_growth_matrix.py); touches and cohorts are staff-only.
from tests.isolation.resources_growth import GROWTH_EXEMPT  # noqa: E402

EXEMPT |= GROWTH_EXEMPT
