"""The business API (docs/business.md):

- `GET /api/v1/flags`: every feature flag, evaluated for the caller (anyone: `anon` without a
  token) and, for a signed-in caller, the organization they act in (`X-Organization-Id`, checked
  against membership; default the active one), with an ETag (`If-None-Match` → 304);
- `GET /api/v1/offers`: the offers enabled and valid now (anyone);
- `GET /api/v1/subscriptions`: my subscriptions;
- `POST /api/v1/billing/webhook`: Stripe's subscription events, signed (business.billing).
"""

import hashlib
import json

from django.db.models import Q
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_vary_headers
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, permissions, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from business import billing, services
from business.api.serializers import FlagsSerializer, OfferSerializer, SubscriptionSerializer, WebhookResultSerializer
from business.models import Offer, Subscription
from core.api.errors import error_body
from core.api.views import OwnedMixin, RLSMixin, RowListMixin
from organizations.api.permissions import api_membership
from organizations.services import HEADER as ORGANIZATION_HEADER


class FlagsView(RLSMixin, APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: FlagsSerializer, 304: OpenApiResponse(description="Not modified (If-None-Match)")})
    def get(self, request):
        """Every flag, evaluated for the caller. A signed-in caller's organization allow-lists apply to the
        organization named by `X-Organization-Id` (a member's only: 404 otherwise), else the active one —
        the header every organization-aware endpoint reads (docs/organizations.md)."""
        organization_id = None if request.user is None else api_membership(request).organization_id
        body = {"flags": services.flags_for(request.user, organization_id)}
        etag = '"' + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:32] + '"'
        response = get_conditional_response(request._request, etag=etag) or Response(body)
        response["ETag"] = etag
        # Evaluated per caller: a shared cache must not answer one caller with another's flags.
        response["Cache-Control"] = "private, no-cache"
        patch_vary_headers(response, ["Authorization", ORGANIZATION_HEADER])
        return response


class OfferList(RLSMixin, RowListMixin, generics.GenericAPIView):
    permission_classes = [permissions.AllowAny]
    serializer_class = OfferSerializer

    def get_queryset(self):
        now = timezone.now()
        return Offer.objects.filter(
            Q(enabled=True), Q(valid_from__isnull=True) | Q(valid_from__lte=now), Q(valid_to__isnull=True) | Q(valid_to__gt=now),
        ).order_by("key")

    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


class SubscriptionViewSet(RLSMixin, OwnedMixin, RowListMixin, viewsets.GenericViewSet):
    queryset = Subscription.objects.all()
    serializer_class = SubscriptionSerializer


class BillingWebhook(APIView):
    """Stripe's webhook endpoint; signed by Stripe, so no user credentials. Runs as the connection
    role (the only writer of subscriptions), in business.billing's own transaction."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        request={"application/json": OpenApiTypes.OBJECT},
        responses={200: WebhookResultSerializer, 400: OpenApiResponse(description="bad signature, stale timestamp, unknown event type or payload")},
        parameters=[OpenApiParameter("Stripe-Signature", str, OpenApiParameter.HEADER, required=True,
                                     description="`t=<unix time>,v1=<HMAC-SHA256 of t.body with the endpoint's secret>`")],
        auth=[], description="A Stripe event (`customer.subscription.created|updated|deleted|paused|resumed`) "
        "signed in the `Stripe-Signature` header.",
    )
    def post(self, request):
        try:
            outcome = billing.handle(request.body, request.headers.get("Stripe-Signature"))
        except billing.WebhookError as exc:
            return Response(error_body(exc.code, exc.message), status=exc.status)
        return Response({"id": outcome.event_id, "type": outcome.type, "result": outcome.result})
