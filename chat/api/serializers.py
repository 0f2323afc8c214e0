"""Chat sessions and messages over the API. A message's `content` is checked by the one schema of
`chat.content` (compiled), which is also what OpenAPI publishes for it."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers

from chat import content as content_schema
from chat import services
from chat.models import ChatMessage, ChatSession, GA4Credential
from core.api import serializers as api_serializers

# A message has no content while its answer is being made (pending, streaming) or when it failed.
EMPTY_CONTENT_SCHEMA = {
    "type": "object",
    "title": "NoContent",
    "description": "No content yet (pending, streaming) or none (error).",
    "maxProperties": 0,
}


@extend_schema_field({"oneOf": [content_schema.USER_CONTENT_SCHEMA, content_schema.AI_CONTENT_SCHEMA, EMPTY_CONTENT_SCHEMA]})
class ContentField(serializers.JSONField):
    pass


@extend_schema_field(content_schema.USER_CONTENT_SCHEMA)
class QuestionContentField(serializers.JSONField):
    """What a client may post: a question (`{"type": "user", "text": ...}`)."""

    def to_internal_value(self, data):
        try:
            return content_schema.validate(data, kinds=("user",))
        except content_schema.ContentInvalid as exc:
            raise serializers.ValidationError(exc.fields) from exc


class CredentialField(serializers.PrimaryKeyRelatedField):
    """One of the caller's GA4 credentials (another user's id is "does not exist", as is an unknown one)."""

    def run_validation(self, data=serializers.empty):
        if data == "":  # DRF would read it as null: the schema says a UUID or null
            raise serializers.ValidationError("A credential id (UUID), or null.")
        return super().run_validation(data)

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if "does_not_exist" in getattr(exc, "get_codes", lambda: [])():
                # A well-formed id that is not one of my credentials: the object is not found (as
                # another user's object always is), not a malformed request.
                raise exceptions.NotFound("You have no GA4 credential with the id given in `credential`.", code="credential_not_found") from exc
            raise

    def get_queryset(self):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return GA4Credential.objects.for_user(user) if user is not None else GA4Credential.objects.none()


class ChatSessionSerializer(api_serializers.ModelSerializer):
    title = api_serializers.CharField(max_length=200, required=False, default=services.DEFAULT_TITLE)
    credential = CredentialField(required=False, allow_null=True, help_text="One of your GA4 credentials (`/api/v1/chat/credentials/`), or null.")

    class Meta:
        model = ChatSession
        fields = ["id", "tenant_id", "title", "persona", "credential", "archived", "last_message_at", "created_at", "updated_at"]
        read_only_fields = ["id", "tenant_id", "last_message_at", "created_at", "updated_at"]


class ChatMessageSerializer(api_serializers.ModelSerializer):
    content = ContentField(read_only=True)

    class Meta:
        model = ChatMessage
        fields = ["id", "session", "role", "content", "status", "error", "created_at", "updated_at"]
        read_only_fields = fields


class QuestionSerializer(serializers.Serializer):
    content = QuestionContentField()


class ExchangeSerializer(serializers.Serializer):
    """A question and the pending answer to it."""

    user_message = ChatMessageSerializer()
    assistant_message = ChatMessageSerializer()
    stream_url = serializers.CharField(help_text="Server-Sent Events of the answer as it is made.")
