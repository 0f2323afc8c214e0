"""The workflows API: my workflows (each save of a new definition is a new version), running them,
their executions (cancel), the inbound webhook, and my integrations (test)."""

import django_filters
from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, AllowAny, BasePermission
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from core.api.errors import Conflict
from core.api.filters import CreatedRangeFilterSet, TrueOrFalseFilter
from core.api.views import UUID_PATTERN, OwnedMixin, OwnedModelViewSet, RLSMixin, RowListMixin
from core.throttle import FailureThrottle
from organizations.api.permissions import OrganizationMixin, OrgRolePermission
from workflows import definition, integrations, services
from workflows.api import serializers
from workflows.models import (
    ExecutionStatus,
    Provider,
    Trigger,
    UserIntegration,
    Workflow,
    WorkflowExecution,
    WorkflowVersion,
)


class WorkflowFilter(CreatedRangeFilterSet):
    is_active = TrueOrFalseFilter()

    class Meta:
        model = Workflow
        fields = ["is_active"]


class MayChange(BasePermission):
    """Reads for whoever sees the row; writes as the org-aware policies allow (services.may_change)."""

    message = "Your role in this organization does not allow this."

    def has_object_permission(self, request, view, obj):
        return request.method in SAFE_METHODS or services.may_change(request.user, obj)


ORG_PERMISSIONS = [*api_settings.DEFAULT_PERMISSION_CLASSES, OrgRolePermission]


class OrgScopedMixin(OrganizationMixin):
    """Lists show the active organization's rows (`X-Organization-Id`, else the personal one); an
    object is reached when visible to the caller (own, or of an organization they belong to).
    Viewers read; writes follow organizations.api.permissions.OrgRolePermission."""

    permission_classes = ORG_PERMISSIONS
    organization_field = "organization"

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list" and not getattr(self, "swagger_fake_view", False):
            queryset = queryset.filter(**{f"{self.organization_field}_id": self.membership.organization_id})
        return queryset


class WorkflowViewSet(OrgScopedMixin, OwnedModelViewSet):
    """My workflows and my organization's. `definition` is validated by the published schema and the
    graph checks; saving a changed definition makes version n+1 (versions are immutable)."""

    queryset = Workflow.objects.all()
    serializer_class = serializers.WorkflowSerializer
    filterset_class = WorkflowFilter

    def perform_create(self, serializer):
        workflow = Workflow(user=self.request.user, organization=self.membership.organization, **serializer.validated_data)
        serializer.instance = services.save(workflow, definition_changed=True)

    def perform_update(self, serializer):
        workflow = serializer.instance
        changed = "definition" in serializer.validated_data and serializer.validated_data["definition"] != workflow.definition
        for name, value in serializer.validated_data.items():
            setattr(workflow, name, value)
        services.save(workflow, definition_changed=changed)

    @extend_schema(request=serializers.RunSerializer, responses={201: serializers.ExecutionSerializer})
    @action(detail=True, methods=["post"])
    def run(self, request, pk=None):
        """Run now with an input object: a queued execution of the current version."""
        body = serializers.RunSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            execution = services.start(self.get_object(), body.validated_data["input"], trigger=Trigger.MANUAL)
        except services.NotRunnable as exc:
            raise exceptions.ValidationError({"is_active": [str(exc)]}) from None
        return Response(serializers.ExecutionSerializer(execution).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=serializers.WorkflowVersionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def versions(self, request, pk=None):
        rows = WorkflowVersion.objects.for_user(request.user).filter(workflow=self.get_object()).order_by("-version")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(serializers.WorkflowVersionSerializer(page, many=True).data)

    @extend_schema(request=None, responses={201: serializers.WebhookSerializer, 204: None},
                   description="POST: a new webhook URL and signing secret (shown once; the old ones stop working). "
                               "DELETE: switch the webhook off.")
    @action(detail=True, methods=["post", "delete"])
    def webhook(self, request, pk=None):
        workflow = self.get_object()
        if request.method == "DELETE":
            services.disable_webhook(workflow)
            return Response(status=status.HTTP_204_NO_CONTENT)
        token, secret = services.rotate_webhook(workflow)
        response = Response({"url": request.build_absolute_uri(reverse("workflow-webhook", args=[token])), "secret": secret,
                             "signature_header": services.SIGNATURE_HEADER}, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response


class DefinitionSchemaView(RLSMixin, APIView):
    """The JSON Schema every workflow definition is validated with (the same one compiled)."""

    @extend_schema(responses={200: OpenApiResponse(description="A JSON Schema (draft 7).")})
    def get(self, request):
        return Response(definition.SCHEMA)


class ExecutionFilter(CreatedRangeFilterSet):
    status = django_filters.ChoiceFilter(choices=ExecutionStatus.choices)
    trigger = django_filters.ChoiceFilter(choices=Trigger.choices)

    class Meta:
        model = WorkflowExecution
        fields = ["workflow", "status", "trigger"]


class ExecutionViewSet(OrgScopedMixin, RLSMixin, OwnedMixin, RowListMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """My workflows' executions, newest first, with each step's result. The one change an execution
    takes is `{"status": "cancelled"}` (PATCH/PUT, or POST …/cancel/); any may be deleted."""

    queryset = WorkflowExecution.objects.select_related("workflow")
    serializer_class = serializers.ExecutionSerializer
    filterset_class = ExecutionFilter
    lookup_value_regex = UUID_PATTERN
    organization_field = "workflow__organization"

    @extend_schema(request=None, responses={200: serializers.ExecutionSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel: the walker stops before the next step. An execution that had finished is unchanged (409)."""
        execution = self.get_object()
        if not services.cancel(execution):
            raise Conflict(f"The execution has finished already ({execution.status}).", code="finished")
        return Response(serializers.ExecutionSerializer(execution).data)

    @extend_schema(request=serializers.CancelSerializer, responses={200: serializers.ExecutionSerializer})
    def update(self, request, pk=None, partial=False):
        self.get_object()  # another user's: 404 before the body is looked at
        serializers.CancelSerializer(data=request.data).is_valid(raise_exception=True)
        return self.cancel(request, pk)

    @extend_schema(request=serializers.CancelSerializer, responses={200: serializers.ExecutionSerializer})
    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        """Delete an execution from the history; one still queued or running stops (its walker finds
        nothing before its next step)."""
        self.get_object().delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class IntegrationFilter(CreatedRangeFilterSet):
    provider = django_filters.ChoiceFilter(choices=Provider.choices)
    is_active = TrueOrFalseFilter()

    class Meta:
        model = UserIntegration
        fields = ["provider", "is_active"]


class IntegrationViewSet(OwnedModelViewSet):
    """My integrations, and those shared with organizations I belong to (`organization`: share one
    with an organization where I am a writer). The config (URL, headers, signing secret) is written,
    never read back."""

    permission_classes = [*api_settings.DEFAULT_PERMISSION_CLASSES, MayChange]

    queryset = UserIntegration.objects.all()
    serializer_class = serializers.IntegrationSerializer
    filterset_class = IntegrationFilter

    @extend_schema(request=None, responses={200: serializers.IntegrationTestSerializer})
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Send a signed ping through the integration and show the answer."""
        return Response(integrations.test(self.get_object()))


class WebhookView(RLSMixin, APIView):
    """Inbound webhook of a workflow: the URL's token finds it, the body (a JSON object: the
    execution's input) must be signed (`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body
    under the webhook secret>`). A bad token is 404, a bad signature 401; neither queues anything.
    Rate-limited per workflow (WORKFLOW_WEBHOOK_RATE)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    anonymous_role = False  # the signature authenticates; the workflow is read as the connection role

    def get_authenticate_header(self, request):
        return f'HMAC-SHA256 header="{services.SIGNATURE_HEADER}"'  # a bad signature is 401 (DRF: 403 without one)

    @extend_schema(request={"application/json": {"type": "object", "additionalProperties": {}}},
                   responses={202: serializers.ExecutionSerializer})
    def post(self, request, token):
        workflow = services.webhook_workflow(token)
        if workflow is None:
            raise exceptions.NotFound()
        rate = settings.WORKFLOW_WEBHOOK_RATE
        throttle = FailureThrottle({f"workflows.webhook:{workflow.pk}": rate["calls"]}, rate["window"])
        if throttle.blocked():
            raise exceptions.Throttled(wait=rate["window"])
        throttle.fail()  # counts every call
        if not services.signature_valid(workflow, request.body, request.headers.get(services.SIGNATURE_HEADER)):
            raise exceptions.AuthenticationFailed("The signature is missing or does not match the body.", code="bad_signature")
        if not isinstance(request.data, dict):
            raise exceptions.ValidationError({"non_field_errors": ["The body is a JSON object (the execution's input)."]})
        try:
            execution = services.start(workflow, request.data, trigger=Trigger.WEBHOOK)
        except services.NotRunnable as exc:
            raise exceptions.ValidationError({"is_active": [str(exc)]}) from None
        return Response({"id": str(execution.pk), "status": execution.status}, status=status.HTTP_202_ACCEPTED)
