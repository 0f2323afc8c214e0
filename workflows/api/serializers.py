from django.core.validators import URLValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers

from chat import services as chat_services
from core.api.serializers import CharField, ModelSerializer
from organizations import services as organizations
from workflows import definition, scheduler
from workflows.models import Provider, UserIntegration, Workflow, WorkflowExecution, WorkflowVersion


@extend_schema_field(definition.OPENAPI_SCHEMA)
class DefinitionField(serializers.JSONField):
    """A workflow definition: the compiled JSON Schema, then the graph checks; field errors keyed by
    the step's place (`definition.steps[1].needs`)."""

    def to_internal_value(self, data):
        data = super().to_internal_value(data)
        try:
            return definition.validate(data)
        except definition.DefinitionInvalid as exc:
            raise serializers.ValidationError(exc.fields) from None


@extend_schema_field({"type": "object", "additionalProperties": {}})
class JSONObjectField(serializers.JSONField):
    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError("A JSON object is required.")
        return super().to_internal_value(data)


class WorkflowSerializer(ModelSerializer):
    definition = DefinitionField()
    webhook_enabled = serializers.SerializerMethodField()

    class Meta:
        model = Workflow
        fields = ["id", "organization", "name", "description", "definition", "is_active", "version", "schedule", "webhook_enabled",
                  "created_at", "updated_at"]
        read_only_fields = ["version", "organization"]

    def get_webhook_enabled(self, obj) -> bool:
        return bool(obj.webhook_token_hash)

    def validate_schedule(self, value):
        value = " ".join(value.split())
        if value and not scheduler.is_valid(value):
            raise serializers.ValidationError("A cron expression of five fields (minute hour day month weekday, UTC).")
        return value


class WorkflowVersionSerializer(ModelSerializer):
    class Meta:
        model = WorkflowVersion
        fields = ["id", "workflow", "version", "definition", "created_at"]


class StepResultSerializer(serializers.Serializer):
    status = serializers.ChoiceField(["running", "waiting", "retrying", "succeeded", "failed", "skipped"])
    attempts = serializers.IntegerField(required=False)
    started_at = serializers.CharField(required=False, allow_null=True)
    completed_at = serializers.CharField(required=False, allow_null=True)
    not_before = serializers.CharField(required=False, allow_null=True)
    output = serializers.JSONField(required=False, allow_null=True)
    error = serializers.CharField(required=False, allow_blank=True)


class ExecutionSerializer(ModelSerializer):
    steps = serializers.DictField(child=StepResultSerializer(), read_only=True)

    class Meta:
        model = WorkflowExecution
        fields = ["id", "workflow", "workflow_version", "status", "trigger", "input", "output", "error", "steps", "retries",
                  "started_at", "completed_at", "created_at", "updated_at"]
        read_only_fields = fields


class CancelSerializer(serializers.Serializer):
    status = serializers.ChoiceField(["cancelled"], help_text="The one change an execution takes.")


class RunSerializer(serializers.Serializer):
    input = JSONObjectField(required=False, default=dict)


class WebhookSerializer(serializers.Serializer):
    url = serializers.CharField(read_only=True)
    secret = serializers.CharField(read_only=True)
    signature_header = serializers.CharField(read_only=True)


class IntegrationConfigSerializer(serializers.Serializer):
    url = serializers.CharField(required=False, max_length=2000, validators=[URLValidator(schemes=["http", "https"])])
    headers = serializers.DictField(child=CharField(max_length=2000), required=False)
    signing_secret = CharField(required=False, max_length=500, write_only=True)


class IntegrationSerializer(ModelSerializer):
    """`config` is write-only: the answer shows `config_summary` (host, whether a secret is set,
    header names), never the URL's path, the header values or the secret."""

    config = IntegrationConfigSerializer(write_only=True, required=False)
    config_summary = serializers.DictField(read_only=True)
    organization = serializers.UUIDField(source="organization_id", required=False, allow_null=True,
                                         help_text="Share with this organization (you must be a writer there).")
    ga4_credential = serializers.UUIDField(source="ga4_credential_id", required=False, allow_null=True,
                                           help_text="provider ga4: one of your GA4 credentials (ignored for other providers).")

    class Meta:
        model = UserIntegration
        fields = ["id", "provider", "name", "config", "config_summary", "ga4_credential", "organization", "is_active", "last_sync_at",
                  "last_test", "created_at", "updated_at"]
        read_only_fields = ["last_sync_at", "last_test"]

    def validate_organization(self, value):
        """Shared only with an organization where the caller may write: another organization is not
        found (404), a viewer's is refused (403)."""
        if value is not None:
            role = organizations.role_of(self.context["request"].user, value)
            if role is None:
                raise exceptions.NotFound("No such organization.")
            if not organizations.can_write(role):
                raise exceptions.PermissionDenied("Your role in this organization does not allow this.")
        return value

    def validate(self, attrs):
        provider = attrs.get("provider", getattr(self.instance, "provider", None))
        if self.instance is not None and "provider" in attrs and attrs["provider"] != self.instance.provider:
            raise serializers.ValidationError({"provider": ["The provider of an integration cannot change."]})
        config = attrs.get("config")
        if provider == Provider.GA4:
            credential_id = attrs.get("ga4_credential_id", getattr(self.instance, "ga4_credential_id", None))
            if credential_id is None:
                raise serializers.ValidationError({"ga4_credential": ["A ga4 integration links one of your GA4 credentials."]})
            try:
                chat_services.credential_for(self.context["request"].user, credential_id)
            except chat_services.CredentialNotYours:
                raise exceptions.NotFound("No such GA4 credential.") from None
            attrs["config"] = {}
        else:
            attrs["ga4_credential_id"] = None
            if self.instance is None and not (config or {}).get("url"):
                raise serializers.ValidationError({"config": {"url": ["This field is required."]}})
            if config is not None and self.instance is not None:  # a partial config keeps what it does not name
                attrs["config"] = {**(self.instance.config or {}), **config}
        return attrs


class IntegrationTestSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    status_code = serializers.IntegerField(required=False)
    message = serializers.CharField()
    tested_at = serializers.CharField()
