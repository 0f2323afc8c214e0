"""The chat API: my chat sessions, their messages, asking a question, and the Server-Sent Events
stream of an answer (`chat.stream`)."""

import re

from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, filters, mixins, status, viewsets
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import tenancy
from chat import services, stream
from chat.api.serializers import ChatMessageSerializer, ChatSessionSerializer, ExchangeSerializer, QuestionSerializer
from chat.models import ChatMessage, ChatSession
from core.api.errors import Conflict
from core.api.filters import FilterSet, SearchFilter, TrueOrFalseFilter
from core.api.pagination import CursorPagination
from core.api.views import UUID_PATTERN, OwnedModelViewSet, RLSMixin
from core.parents import ParentFromURLMixin


class ChatSessionFilter(FilterSet):
    archived = TrueOrFalseFilter()

    class Meta:
        model = ChatSession
        fields = ["persona", "archived"]


def active_tenant(request):
    """The organization an API request acts in (`accounts.tenancy.tenant_for`): `X-Organization-Id`,
    else the personal one; a malformed id is a 400, an organization the caller is not a member of 404."""
    try:
        return tenancy.tenant_for(request.user, request)
    except tenancy.NotATenant:
        raise exceptions.NotFound("No such organization.") from None
    except tenancy.MalformedTenant as exc:
        raise exceptions.ValidationError({exc.field or "organization": [str(exc)]}) from None


class ChatSessionViewSet(OwnedModelViewSet):
    """My chat sessions, most recent conversation first. The list shows my chats in the organization I
    act in, and a new chat is created there: the one named by `X-Organization-Id` (a member's only:
    404 otherwise, and nothing is created), else my personal organization. `tenant_id` is always
    derived on the server (a `tenant_id` in the body is ignored). A chat is reached by its id whichever
    organization is active, and stays mine alone. `credential` must be one of my GA4 credentials."""

    queryset = ChatSession.objects.all()
    serializer_class = ChatSessionSerializer
    filterset_class = ChatSessionFilter
    filter_backends = OwnedModelViewSet.filter_backends + [SearchFilter]
    search_fields = ["title"]
    ordering_fields = ["last_message_at", "created_at", "updated_at", "title"]

    def caller_identified(self, request):
        super().caller_identified(request)
        if self.action in ("list", "create"):  # before the body is read: a refused organization changes nothing
            self.tenant_id = active_tenant(request)

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list" and not getattr(self, "swagger_fake_view", False):
            queryset = queryset.filter(tenant_id=self.tenant_id)  # served by (tenant_id, user_id, last_message_at DESC)
        return queryset

    def perform_create(self, serializer):
        serializer.save(user=self.request.user, tenant_id=self.tenant_id)


class MessageCursorPagination(CursorPagination):
    """Oldest first, 50 a page."""

    ordering = ("created_at", "id")
    page_size = 50
    max_page_size = 200


SESSION_ID = OpenApiParameter("session_pk", OpenApiTypes.UUID, OpenApiParameter.PATH, description="Chat session id")
AFTER = OpenApiParameter(
    "after",
    OpenApiTypes.STR,
    description="Only messages after this one: a message id of the session, or an ISO 8601 time stamp (messages created after it).",
)
MESSAGE_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="Message id")


@extend_schema_view(
    list=extend_schema(parameters=[SESSION_ID, AFTER]),
    retrieve=extend_schema(parameters=[SESSION_ID, MESSAGE_ID]),
    create=extend_schema(
        parameters=[SESSION_ID],
        request=QuestionSerializer,
        responses={201: ExchangeSerializer},
        description="Ask a question: stores it and a `pending` answer, which a background job makes; follow it "
        "on the answer's stream (`GET /api/v1/chat/messages/{id}/stream`).",
    ),
    update=extend_schema(
        parameters=[SESSION_ID, MESSAGE_ID],
        request=QuestionSerializer,
        responses={200: ChatMessageSerializer},
        description="Edit a question: its answer (the next assistant message) goes back to `pending` and is made "
        "again by a background job. Only questions can be edited (409), and not while their answer is being made (409).",
    ),
    partial_update=extend_schema(parameters=[SESSION_ID, MESSAGE_ID], request=QuestionSerializer, responses={200: ChatMessageSerializer},
                                 description="The same as PUT (the body has one field)."),
    destroy=extend_schema(parameters=[SESSION_ID, MESSAGE_ID], description="Delete a message from the conversation."),
)
class ChatMessageViewSet(
    ParentFromURLMixin,
    RLSMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Messages of one of my chat sessions, oldest first (cursor pagination); `?ordering=-created_at`
    lists the newest first."""

    queryset = ChatMessage.objects.all()
    serializer_class = ChatMessageSerializer
    pagination_class = MessageCursorPagination
    filter_backends = [filters.OrderingFilter]
    ordering_fields = ["created_at"]
    ordering = ("created_at", "id")
    lookup_value_regex = UUID_PATTERN
    parent_model = ChatSession

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ChatMessage.objects.none()
        # Scoped by the session, which is the caller's (found through for_user()); the index
        # (tenant_id, session_id, created_at, id) serves every order and `after`. `chunks` is the
        # stream's, not the list's.
        session = self.get_parent()
        queryset = ChatMessage.objects.filter(tenant_id=session.tenant_id, session=session).defer("chunks")
        after = self.request.query_params.get("after") if self.action == "list" else None
        if after is not None:
            queryset = queryset.filter(**self._after(after))
        return queryset

    def _after(self, value: str) -> dict:
        if re.fullmatch(UUID_PATTERN, value):
            anchor = ChatMessage.objects.filter(session=self.get_parent(), pk=value).values("created_at").first()
            if anchor is None:
                raise exceptions.ValidationError({"after": ["No message of this session has this id."]})
            return {"created_at__gt": anchor["created_at"]}
        try:
            moment = parse_datetime(value)
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise exceptions.ValidationError({"after": ["A message id, or an ISO 8601 time stamp with its offset."]})
        return {"created_at__gt": moment}

    def create(self, request, *args, **kwargs):
        question = QuestionSerializer(data=request.data)
        question.is_valid(raise_exception=True)
        user_message, assistant_message = services.ask(self.get_parent(), question.validated_data["content"]["text"])
        body = {
            "user_message": ChatMessageSerializer(user_message).data,
            "assistant_message": ChatMessageSerializer(assistant_message).data,
            "stream_url": f"/api/v1/chat/messages/{assistant_message.pk}/stream",
        }
        return Response(body, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        message = self.get_object()
        question = QuestionSerializer(data=request.data)
        question.is_valid(raise_exception=True)
        try:
            services.edit_question(message, question.validated_data["content"]["text"])
        except services.NotEditable as exc:
            raise Conflict(str(exc), code="not_editable") from exc
        return Response(ChatMessageSerializer(message).data)


LAST_EVENT_ID = OpenApiParameter(
    "Last-Event-ID",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    description="Resume: send only the events after this id (EventSource sends it when it reconnects).",
)
LAST_EVENT_ID_QUERY = OpenApiParameter(
    "last_event_id", OpenApiTypes.INT, description="The same as the `Last-Event-ID` header, for clients that cannot set headers."
)
EVENTS_DESCRIPTION = """Server-Sent Events of one message, numbered by `id:`:

- `event: streaming`, `data: {"message", "status": "streaming", "text"}` — a step of progress (event k is the k-th);
- then `event: complete`, `data: {"message", "status": "complete", "content"}` with the final content,
  or `event: error`, `data: {"message", "status": "error", "error"}`.

The stream ends after the final event (close the EventSource then), or after about 20 s without it
(reconnect with `Last-Event-ID` to resume). A background job makes the answer; the stream only follows
it. A finished message replays its final event whatever `Last-Event-ID` says."""


class MessageStreamView(RLSMixin, APIView):
    """The Server-Sent Events stream of a message (see `chat.stream`)."""

    @extend_schema(
        operation_id="chat_messages_stream",
        parameters=[MESSAGE_ID, LAST_EVENT_ID, LAST_EVENT_ID_QUERY],
        responses={(200, stream.MEDIA_TYPE): OpenApiResponse(response=OpenApiTypes.STR, description=EVENTS_DESCRIPTION)},
    )
    def get(self, request, id):
        message = get_object_or_404(ChatMessage.objects.for_user(request.user).only("id"), pk=id)
        last_event_id = _last_event_id(request)
        body = stream.stream(message.pk, claims=dict(request.auth), last_event_id=last_event_id)
        return event_stream_response(body)

    def perform_content_negotiation(self, request, force=False):
        # The stream itself is not rendered by DRF; its errors are JSON whatever the client accepts
        # (an EventSource sends `Accept: text/event-stream`).
        return JSONRenderer(), JSONRenderer.media_type


class MessageRetryView(RLSMixin, APIView):
    """Make a failed answer again: the message goes back to `pending` and a background job runs the
    assistant once more (e.g. after reconnecting GA4)."""

    @extend_schema(
        operation_id="chat_messages_retry",
        parameters=[MESSAGE_ID],
        request=None,
        responses={200: ChatMessageSerializer},
    )
    def post(self, request, id):
        message = get_object_or_404(ChatMessage.objects.for_user(request.user), pk=id)
        if not services.retry(message):
            raise Conflict("Only an assistant message that failed can be made again.", code="not_failed")
        return Response(ChatMessageSerializer(message).data)


def _last_event_id(request) -> int:
    try:
        return stream.last_event_id(request.META.get("HTTP_LAST_EVENT_ID", request.query_params.get("last_event_id")))
    except ValueError:
        raise exceptions.ValidationError({"last_event_id": ["The last event id is a whole number."]}) from None


def event_stream_response(body) -> StreamingHttpResponse:
    response = StreamingHttpResponse(body, content_type=stream.MEDIA_TYPE)
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass events on as they come
    return response
