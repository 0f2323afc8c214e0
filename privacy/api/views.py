"""The privacy API: the user's switches, allowlist, toggles and device tokens (every change
logged), their telemetry and file activity, the transparency log and its verification, the
guardian's health, and the agent's batch ingestion. Every request runs under RLS as the user; when
the user's preferences require MFA, a Supabase session must be at `aal2` (device tokens are
machine credentials, made at `aal2` then)."""

from django.db import DatabaseError, IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, mixins, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import SupabaseJWTAuthentication
from core import rls
from core.api import errors
from core.api.pagination import CursorPagination
from core.api.views import UUID_PATTERN, OwnedMixin, OwnedModelViewSet, RLSMixin
from privacy import devicetokens, exports, ingest, services
from privacy.api import serializers
from privacy.authentication import DeviceTokenAuthentication
from privacy.models import (
    AllowedApp,
    DeviceToken,
    FileEvent,
    Pattern,
    PrivacyExport,
    PrivacyPrefs,
    Relationship,
    SignalToggle,
    TelemetryEvent,
    TransparencyLogEntry,
)


class PrivacyMfaRequired(exceptions.PermissionDenied):
    default_detail = "Your privacy settings require MFA: verify a code from your authenticator app (aal2) and use the new access token."
    default_code = "mfa_required"


def mfa_refused(user, aal: str | None) -> bool:
    """Whether the user's privacy preferences refuse a session at `aal` (read under RLS: their own row)."""
    return aal != "aal2" and PrivacyPrefs.objects.for_user(user).filter(mfa_required=True).exists()


def rls_refusal(exc) -> bool:
    """Whether PostgreSQL refused a write for row-level security (SQLSTATE 42501, "violates row-level
    security policy")."""
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) == "42501" and "row-level security" in str(cause)


class PrivacySchema(AutoSchema):
    """Every privacy operation may answer 403: `mfa_required` (the user's preferences), and the
    ingest's `consent_required` / `monitoring_disabled`."""

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is not None:
            operation.setdefault("responses", {}).setdefault("403", {
                "description": "Refused by the user's privacy preferences (MFA required, no consent, monitoring off).",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
        return operation


class PrivacyMixin(RLSMixin):
    authentication_classes = [SupabaseJWTAuthentication]
    schema = PrivacySchema()
    rls_table = ""  # the table a refused write was for, in the audit trail

    def handle_exception(self, exc):
        """A write the database refused for RLS: recorded by audit_rls_violation() once the
        request's transaction has rolled back, as the caller; answered 404 like any row not theirs."""
        if isinstance(exc, DatabaseError) and rls_refusal(exc) and isinstance(self.request.auth, dict):
            claims, operation = self.request.auth, self.request.method
            rls.after_transaction(self.request, lambda response: services.record_rls_violation(
                claims, self.rls_table, getattr(exc, "attempted_user_id", None), operation))
            transaction.set_rollback(True)
            exc = exceptions.NotFound()
        return super().handle_exception(exc)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authenticated, and acting as the user
        if getattr(self, "swagger_fake_view", False):
            return
        if isinstance(request.successful_authenticator, SupabaseJWTAuthentication) and mfa_refused(request.user, request.auth.get("aal")):
            raise PrivacyMfaRequired()


class PrefsView(PrivacyMixin, APIView):
    """My privacy preferences (the defaults until first changed)."""

    @extend_schema(responses=serializers.PrivacyPrefsSerializer)
    def get(self, request):
        return Response(serializers.PrivacyPrefsSerializer(services.prefs_for(request.user)).data)

    @extend_schema(request=serializers.PrivacyPrefsSerializer, responses=serializers.PrivacyPrefsSerializer)
    def patch(self, request):
        data = serializers.PrivacyPrefsSerializer(services.prefs_for(request.user), data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = data.validated_data
        if changes.get("mfa_required") is not None and request.auth.get("aal") != "aal2":
            raise PrivacyMfaRequired("Changing the MFA requirement needs an aal2 session: verify a code from your authenticator app first.")
        try:
            with transaction.atomic():
                prefs = services.update_prefs(request.user, changes)
        except IntegrityError as exc:  # created concurrently by another request
            raise errors.Conflict("Your preferences were just changed elsewhere: try again.", code="prefs_conflict") from exc
        return Response(serializers.PrivacyPrefsSerializer(prefs).data)


class LoggedViewSet(PrivacyMixin, OwnedModelViewSet):
    """CRUD whose every change writes the user's transparency log; a second row with the same key is 409."""

    resource = ""
    duplicate = ""

    def _saved(self, save):
        try:
            with transaction.atomic():
                return save()
        except IntegrityError as exc:
            raise errors.Conflict(self.duplicate, code="duplicate") from exc

    def perform_create(self, serializer):
        instance = self._saved(lambda: serializer.save(user=self.request.user))
        services.log_change(self.request.user, f"{self.resource}_added", instance, None)

    def perform_update(self, serializer):
        old = services.snapshot(serializer.instance)
        instance = self._saved(serializer.save)
        services.log_change(self.request.user, f"{self.resource}_changed", instance, old)

    def perform_destroy(self, instance):
        old = services.snapshot(instance)
        instance.delete()
        services.log_change(self.request.user, f"{self.resource}_removed", instance, old)


class AllowedAppViewSet(LoggedViewSet):
    """Apps the agent may report on; events of any other app are dropped."""

    queryset = AllowedApp.objects.all()
    serializer_class = serializers.PrivacyAllowedAppSerializer
    resource, duplicate = "app", "This app is on your allowlist already: change it instead."


class SignalToggleViewSet(LoggedViewSet):
    """Signals (event types; `file_activity` for file events) switched on or off, with a sampling rate."""

    queryset = SignalToggle.objects.all()
    serializer_class = serializers.PrivacySignalToggleSerializer
    resource, duplicate = "signal", "This signal has a toggle already: change it instead."


class DeviceTokenViewSet(PrivacyMixin, OwnedMixin, mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """The agent's tokens: made here (shown once), revoked by DELETE."""

    queryset = DeviceToken.objects.all()
    serializer_class = serializers.PrivacyDeviceTokenSerializer
    lookup_value_regex = UUID_PATTERN

    @extend_schema(request=serializers.PrivacyDeviceTokenSerializer, responses={201: serializers.PrivacyNewDeviceTokenSerializer})
    def create(self, request, *args, **kwargs):
        data = serializers.PrivacyDeviceTokenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token, plaintext = devicetokens.create(request.user, data.validated_data["name"])
        services.log(request.user, "device_token_created", "privacy_device_tokens", token.pk, metadata={"name": token.name})
        body = {**serializers.PrivacyDeviceTokenSerializer(token).data, "token": plaintext}
        return Response(serializers.PrivacyNewDeviceTokenSerializer(body).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        if instance.revoked_at is None:
            instance.revoked_at = timezone.now()
            instance.save(update_fields=["revoked_at"])
            services.log(self.request.user, "device_token_revoked", "privacy_device_tokens", instance.pk, metadata={"name": instance.name})


class OwnedListView(PrivacyMixin, generics.ListAPIView):
    def get_queryset(self):
        return self.model.objects.for_user(self.request.user)


class TelemetryView(OwnedListView):
    """My telemetry, newest first, as stored (redacted). DELETE removes all of it and my file events now."""

    model = TelemetryEvent
    serializer_class = serializers.PrivacyTelemetryEventSerializer
    pagination_class = CursorPagination

    @extend_schema(request=None, responses={200: serializers.PrivacyDeletedCountsSerializer})
    def delete(self, request):
        return Response(services.delete_telemetry(request.user))


class FileEventListView(OwnedListView):
    model = FileEvent
    serializer_class = serializers.PrivacyFileEventSerializer
    pagination_class = CursorPagination


class PatternListView(OwnedListView):
    model = Pattern
    serializer_class = serializers.PrivacyPatternSerializer


class RelationshipListView(OwnedListView):
    model = Relationship
    serializer_class = serializers.PrivacyRelationshipSerializer


class TransparencyLogView(OwnedListView):
    """My transparency log, newest first."""

    model = TransparencyLogEntry
    serializer_class = serializers.PrivacyTransparencyLogSerializer


class VerifyLogView(PrivacyMixin, APIView):
    """Checks my log's hash chain and names the first entry that breaks it."""

    @extend_schema(responses=serializers.PrivacyChainStatusSerializer)
    def get(self, request):
        return Response(services.verify_chain(request.user))


class HealthView(PrivacyMixin, APIView):
    """privacy_guardian_health_check(): redaction, forced RLS, retention, my drops in the last 24 h."""

    @extend_schema(responses=serializers.PrivacyHealthSerializer)
    def get(self, request):
        return Response(services.health())


class IngestView(PrivacyMixin, APIView):
    """The agent's batch: up to 1000 telemetry and file events, all valid or nothing stored; then
    the user's gates (counted in the answer), then stored. `201` means committed."""

    authentication_classes = [DeviceTokenAuthentication, SupabaseJWTAuthentication]

    @extend_schema(
        request={"application/json": ingest.BATCH_SCHEMA},
        responses={201: serializers.PrivacyIngestResultSerializer},
        extensions={"x-max-body-bytes": ingest.MAX_BODY_BYTES},
    )
    def post(self, request):
        if int(request.META.get("CONTENT_LENGTH") or 0) > ingest.MAX_BODY_BYTES:
            raise errors.PayloadTooLarge(f"The body is larger than {ingest.MAX_BODY_BYTES} bytes.")
        try:
            events = ingest.parse(request.data)
        except ingest.BatchInvalid as exc:
            raise exceptions.ValidationError(exc.fields) from exc
        try:
            result = ingest.store(request.user.pk, events)
        except ingest.Refused as exc:
            raise exceptions.PermissionDenied(exc.message, code=exc.code) from exc
        return Response(result, status=status.HTTP_201_CREATED)


class ExportListView(OwnedListView):
    """My exports. POST asks for a new one: a job builds it (status `pending`, then `ready`)."""

    model = PrivacyExport
    serializer_class = serializers.PrivacyExportSerializer

    @extend_schema(request=None, responses={202: serializers.PrivacyExportSerializer})
    def post(self, request):
        return Response(serializers.PrivacyExportSerializer(exports.request(request.user)).data, status=status.HTTP_202_ACCEPTED)


class ExportDownloadView(PrivacyMixin, APIView):
    """The archive (a zip of JSON and CSV files), once: afterwards it is gone (404)."""

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY})
    def get(self, request, pk):
        data = exports.take(request.user, pk)
        if data is None:
            raise exceptions.NotFound("No export ready with this id: it may be building, or downloaded already.")
        return download_response(data, pk)


def download_response(data: bytes, export_id) -> HttpResponse:
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="privacy-export-{export_id}.zip"'
    response["Cache-Control"] = "no-store"
    return response
