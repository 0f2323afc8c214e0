"""The partner API. Owners (end users with a Supabase token) manage the profile and the key; the
partner's programs (API key) ingest and read; both run under RLS as the owner."""

import time

from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, mixins, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import SupabaseJWTAuthentication
from core import rls
from core.api import errors
from core.api.pagination import CursorPagination, LimitOffsetPagination
from core.api.views import RLSMixin
from partners import ingest, insights, services
from partners.api import serializers
from partners.api.filters import EventFilter
from partners.authentication import ApiKeyAuthentication
from partners.models import ApiKey, IngestionEvent, Insight, Partner, PredictionModel, RequestLog

OWNER_ONLY = [SupabaseJWTAuthentication]
OWNER_OR_KEY = [ApiKeyAuthentication, SupabaseJWTAuthentication]


class PartnerMixin(RLSMixin):
    """Resolves the caller's partner: the key's, or the signed-in owner's profile. Requests made with
    an API key are recorded in `logs` once the transaction is over."""

    authentication_classes = OWNER_OR_KEY

    def initial(self, request, *args, **kwargs):
        self._started = time.perf_counter()
        super().initial(request, *args, **kwargs)
        partner = getattr(request._request, "partner", None)
        if partner is not None:
            rls.after_transaction(request, lambda response: services.record_request(
                partner.pk, request, response, round((time.perf_counter() - self._started) * 1000)))
            _ = request._request.body  # read now, so the request log keeps it whatever the parser says

    def partner_rows(self, model):
        """`model`'s rows of my partner (none while drf-spectacular inspects the view)."""
        if getattr(self, "swagger_fake_view", False):
            return model.objects.none()
        return model.objects.for_user(self.request.user).filter(partner=self.partner())

    def partner(self) -> Partner:
        partner = getattr(self.request._request, "partner", None)
        if partner is None:
            partner = Partner.objects.for_user(self.request.user).first()
        if partner is None:
            raise exceptions.NotFound("You have no partner profile yet: create one first.", code="no_partner")
        return partner


PARTNER_EXISTS = "You already have a partner profile: change it with PATCH."


class ProfileView(PartnerMixin, APIView):
    """My partner profile (one per user)."""

    authentication_classes = OWNER_ONLY

    @extend_schema(responses=serializers.PartnerSerializer)
    def get(self, request):
        return Response(serializers.PartnerSerializer(self.partner()).data)

    @extend_schema(request=serializers.PartnerSerializer, responses={201: serializers.PartnerSerializer})
    def post(self, request):
        data = serializers.PartnerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if Partner.objects.for_user(request.user).exists():
            raise errors.Conflict(PARTNER_EXISTS, code="partner_exists")
        try:
            with transaction.atomic():
                partner = data.save(user=request.user)
        except IntegrityError as exc:  # created concurrently
            raise errors.Conflict(PARTNER_EXISTS, code="partner_exists") from exc
        return Response(serializers.PartnerSerializer(partner).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=serializers.PartnerSerializer, responses=serializers.PartnerSerializer)
    def patch(self, request):
        data = serializers.PartnerSerializer(self.partner(), data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        return Response(serializers.PartnerSerializer(data.save()).data)

    @extend_schema(responses={204: None})
    def delete(self, request):
        self.partner().delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApiKeyView(PartnerMixin, APIView):
    """My partner's API key: its dates and state (seed: get_api_key_for_partner), never the key."""

    authentication_classes = OWNER_ONLY

    def api_key(self) -> ApiKey:
        return get_object_or_404(ApiKey.objects.for_user(self.request.user), partner=self.partner())

    @extend_schema(responses=serializers.ApiKeySerializer)
    def get(self, request):
        return Response(serializers.ApiKeySerializer(self.api_key()).data)

    @extend_schema(responses={204: None}, description="Revoke the key: it stops working at once.")
    def delete(self, request):
        self.api_key()
        services.revoke_key(self.partner())
        return Response(status=status.HTTP_204_NO_CONTENT)


class RegenerateApiKeyView(PartnerMixin, APIView):
    """A new key replaces the old one at once (seed: regenerate_api_key_for_partner). The response
    is the only time the key is shown."""

    authentication_classes = OWNER_ONLY

    @extend_schema(request=None, responses={201: serializers.NewApiKeySerializer})
    def post(self, request):
        api_key, plaintext = services.regenerate_key(self.partner())
        api_key.api_key = plaintext
        response = Response(serializers.NewApiKeySerializer(api_key).data, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response


class IngestView(PartnerMixin, APIView):
    """Store one event or a batch of up to 1000, all or nothing. `201` means committed."""

    @extend_schema(
        request={"application/json": {"oneOf": [ingest.EVENT_SCHEMA, ingest.BATCH_SCHEMA]}},
        responses={201: serializers.IngestResultSerializer},
        extensions={"x-max-body-bytes": ingest.MAX_BODY_BYTES},
    )
    def post(self, request):
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > ingest.MAX_BODY_BYTES:
            raise errors.PayloadTooLarge(f"The body is larger than {ingest.MAX_BODY_BYTES} bytes.")
        body = request.data  # the API's JSON parser: content type, depth, numbers, surrogates
        try:
            events = ingest.parse(body)
        except ingest.BatchInvalid as exc:
            raise exceptions.ValidationError(exc.fields) from exc
        try:
            stored = ingest.store(self.partner().pk, events)
        except ingest.NotStorable as exc:
            raise exceptions.ParseError(str(exc)) from exc
        return Response(stored, status=status.HTTP_201_CREATED)


class EventListView(PartnerMixin, generics.ListAPIView):
    """My partner's events, newest first."""

    serializer_class = serializers.EventSerializer
    pagination_class = CursorPagination
    filterset_class = EventFilter
    filter_backends = [backend for backend in generics.ListAPIView.filter_backends if "Ordering" not in backend.__name__]

    def get_queryset(self):
        return self.partner_rows(IngestionEvent)


class InsightListView(PartnerMixin, generics.ListAPIView):
    serializer_class = serializers.InsightSerializer

    def get_queryset(self):
        return self.partner_rows(Insight).select_related("model")


class GenerateInsightsView(PartnerMixin, APIView):
    """Run the built-in models over my events now."""

    @extend_schema(request=serializers.GenerateInsightsSerializer, responses={201: serializers.InsightSerializer(many=True)})
    def post(self, request):
        params = serializers.GenerateInsightsSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        created = insights.generate(self.partner(), params.validated_data.get("models"))
        return Response(serializers.InsightSerializer(created, many=True).data, status=status.HTTP_201_CREATED)


class LogListView(PartnerMixin, generics.ListAPIView):
    """Requests made with my key, newest first (seed: get_logs_for_partner)."""

    serializer_class = serializers.LogSerializer
    pagination_class = LimitOffsetPagination
    filter_backends = []

    def get_queryset(self):
        return self.partner_rows(RequestLog).order_by("-created_at", "-id")


class UsageView(PartnerMixin, APIView):
    """Events and insights per day, zero-filled, oldest first (seed: get_partner_usage_summary)."""

    @extend_schema(parameters=[serializers.UsageQuerySerializer], responses=serializers.UsageDaySerializer(many=True))
    def get(self, request):
        query = serializers.UsageQuerySerializer(data=request.query_params.dict())  # `?days=` is no number
        query.is_valid(raise_exception=True)
        rows = services.usage(self.partner(), query.validated_data["days"])
        return Response(serializers.UsageDaySerializer(rows, many=True).data)


class ModelListView(RLSMixin, mixins.ListModelMixin, generics.GenericAPIView):
    """The registry of prediction models."""

    authentication_classes = OWNER_OR_KEY
    serializer_class = serializers.ModelSerializer
    queryset = PredictionModel.objects.all()
    filterset_fields = ["status", "name"]

    def get(self, request):
        return self.list(request)
