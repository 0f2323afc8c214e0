"""GA4 credentials over the API, in the safe shape (seed 003's `ga4_credentials_safe`): no token of
any kind is ever serialised.

- `POST /api/v1/ga4/credentials`: the credential sync endpoint, for a front end that ran the OAuth
  flow itself. Upserts per user and property (201 created, 200 updated).
- `GET /api/v1/ga4/credentials`: my credentials, paginated.
- `GET/PATCH/PUT/DELETE /api/v1/ga4/credentials/{id}`: one of them; PATCH/PUT change the display
  name; DELETE revokes (tokens deleted, the provider asked to revoke the grant).

The tenant is derived on the server: a connection is the user's own, one per user and property, kept
in their personal organization (`accounts.tenancy.tenant_for(user)`) whatever `X-Organization-Id`
says, so switching organizations neither moves nor hides it; a `tenant_id` in a body is ignored.
"""

import re

import django_filters
from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from chat.ga4 import credentials as credential_service
from chat.models import GA4Credential
from core.api import serializers as api_serializers
from core.api.filters import CreatedRangeFilterSet
from core.api.views import OwnedMixin, RLSMixin

MAX_TOKEN_LENGTH = 4096  # Google's tokens are a few hundred characters
MAX_SCOPES = 50
PROPERTY_ID_PATTERN = r"^(properties/)?[0-9]{1,20}$"


class GA4CredentialSerializer(api_serializers.ModelSerializer):
    """The safe shape: what a credential is, never what it holds."""

    class Meta:
        model = GA4Credential
        fields = [
            "id",
            "tenant_id",
            "property_id",
            "property_name",
            "status",
            "scopes",
            "token_expiry",
            "last_refreshed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class GA4CredentialUpdateSerializer(api_serializers.ModelSerializer):
    """What a client may change in place: the display name."""

    property_name = api_serializers.CharField(max_length=255, allow_blank=True)

    class Meta:
        model = GA4Credential
        fields = ["property_name"]

    def to_representation(self, instance):
        return GA4CredentialSerializer(instance, context=self.context).data


class GA4CredentialSyncSerializer(serializers.Serializer):
    """Tokens obtained by a front end's own OAuth flow. Write-only: the answer is the safe shape."""

    property_id = api_serializers.CharField(
        max_length=31,
        trim_whitespace=False,
        validators=[RegexValidator(PROPERTY_ID_PATTERN, "A GA4 property id: 123456789 or properties/123456789.")],
        help_text="GA4 property id: `123456789` or `properties/123456789`.",
    )
    property_name = api_serializers.CharField(max_length=255, required=False, allow_blank=True)
    refresh_token = api_serializers.CharField(max_length=MAX_TOKEN_LENGTH, write_only=True)
    access_token = api_serializers.CharField(max_length=MAX_TOKEN_LENGTH, write_only=True, required=False)
    token_expiry = api_serializers.DateTimeField(required=False, allow_null=True, help_text="When the access token expires.")
    scopes = serializers.ListField(child=api_serializers.CharField(max_length=255), required=False, max_length=MAX_SCOPES)

    def validate_property_id(self, value):
        if not re.fullmatch(PROPERTY_ID_PATTERN[1:-1], value):  # `$` would let a final newline through
            raise serializers.ValidationError("A GA4 property id: 123456789 or properties/123456789.")
        return credential_service.normalize_property_id(value)


class GA4CredentialFilter(CreatedRangeFilterSet):
    status = django_filters.ChoiceFilter(choices=GA4Credential.Status.choices)

    class Meta:
        model = GA4Credential
        fields = ["status", "property_id"]


class CredentialMixin(RLSMixin, OwnedMixin):
    queryset = GA4Credential.objects.all()
    serializer_class = GA4CredentialSerializer


@extend_schema_view(
    get=extend_schema(summary="My GA4 credentials (no tokens)"),
    post=extend_schema(
        summary="Sync a GA4 credential (upsert per property)",
        request=GA4CredentialSyncSerializer,
        responses={200: GA4CredentialSerializer, 201: GA4CredentialSerializer},
    ),
)
class CredentialListCreate(CredentialMixin, generics.ListCreateAPIView):
    """My GA4 credentials, in the safe shape (no token of any kind). POST is the credential sync
    endpoint for a front end that ran the OAuth flow itself: it inserts or updates the credential of
    that property (201 created, 200 updated). The tenant is derived on the server; a `tenant_id` in
    the body is ignored."""

    filterset_class = GA4CredentialFilter
    ordering_fields = ["created_at", "updated_at", "property_id", "property_name", "token_expiry"]

    def create(self, request, *args, **kwargs):
        sync = GA4CredentialSyncSerializer(data=request.data, context=self.get_serializer_context())
        sync.is_valid(raise_exception=True)
        data = sync.validated_data
        credential, created = credential_service.store(
            request.user,
            property_id=data["property_id"],
            property_name=data.get("property_name"),
            access_token=data.get("access_token"),
            refresh_token=data["refresh_token"],
            token_expiry=data.get("token_expiry"),
            scopes=data.get("scopes"),
        )
        return Response(self.get_serializer(credential).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


@extend_schema_view(
    get=extend_schema(summary="One of my GA4 credentials (no tokens)"),
    put=extend_schema(summary="Rename a GA4 credential", responses=GA4CredentialSerializer),
    patch=extend_schema(summary="Rename a GA4 credential", responses=GA4CredentialSerializer),
    delete=extend_schema(summary="Revoke a GA4 credential: its tokens are deleted and the grant revoked at the provider"),
)
class CredentialDetail(CredentialMixin, generics.RetrieveUpdateDestroyAPIView):
    """One of my GA4 credentials, in the safe shape. PUT/PATCH change only the display name; DELETE
    revokes it: its tokens are deleted and the provider is asked to end the grant."""

    def get_serializer_class(self):
        if self.request is not None and self.request.method in ("PUT", "PATCH"):
            return GA4CredentialUpdateSerializer
        return GA4CredentialSerializer

    def perform_destroy(self, instance):
        credential_service.revoke(instance)
