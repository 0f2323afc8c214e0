"""The organizations API: my organizations, their members and invitations, accepting an invitation,
and the role catalogue. Every request acts under RLS as the caller; an organization the caller is
not a member of answers 404, a role that may not do something 403."""

from django.db import IntegrityError
from django.db.models import CharField, Func, OuterRef, Subquery
from django.db.models import F as Field
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, generics, mixins, permissions, status, viewsets
from rest_framework.response import Response

from core.api.errors import Conflict
from core.api.filters import FilterSet, SearchFilter
from core.api.views import UUID_PATTERN, OwnedMixin, RLSMixin
from organizations import services
from organizations.api.permissions import OrganizationMixin
from organizations.api.serializers import (
    AcceptSerializer,
    CreatedInvitationSerializer,
    InvitationSerializer,
    MembershipSerializer,
    OrganizationSerializer,
    RoleDefinitionSerializer,
)
from organizations.models import Invitation, Membership, Organization, RoleDefinition

STATUS = {"forbidden": 403, "personal": 409, "last_owner": 409, "invitation_invalid": 404, "invitation_elsewhere": 403}


def refused(exc: services.OrganizationError) -> exceptions.APIException:
    """The API's answer to a refused change."""
    if exc.field and exc.code not in STATUS:
        return exceptions.ValidationError({exc.field: [exc.message]}, code=exc.code)
    answer = {403: exceptions.PermissionDenied, 404: exceptions.NotFound}.get(STATUS.get(exc.code), Conflict)
    return answer(exc.message, code=exc.code)


ORGANIZATION_ID = OpenApiParameter("organization_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="Organization id")


class OrganizationFilter(FilterSet):
    class Meta:
        model = Organization
        fields = ["plan"]


class OrganizationViewSet(RLSMixin, viewsets.ModelViewSet):
    """The organizations I am a member of, with my role in each. Anyone creates one (and owns it);
    admins and owners change it; owners delete it (never a personal one)."""

    queryset = Organization.objects.all()
    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilter
    filter_backends = [*viewsets.ModelViewSet.filter_backends, SearchFilter]
    search_fields = ["name", "slug"]
    ordering_fields = ["name", "created_at"]
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self):
        user = self.request.user
        my_role = Membership.objects.filter(organization=OuterRef("pk"), user=user).values("role")[:1]
        return super().get_queryset().for_user(user).annotate(role=Subquery(my_role))

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            organization = services.create_organization(self.request.user, data["name"], data.get("slug"))
        except services.OrganizationError as exc:
            raise refused(exc) from exc
        serializer.instance = self.get_queryset().get(pk=organization.pk)

    def perform_update(self, serializer):
        if not services.can_manage(serializer.instance.role):
            raise exceptions.PermissionDenied("Only the organization's admins and owners change it.")
        try:
            super().perform_update(serializer)
        except IntegrityError as exc:
            raise refused(services.OrganizationError(*services.SLUG_TAKEN)) from exc

    def perform_destroy(self, instance):
        try:
            services.delete_organization(services.membership(self.request.user, instance.pk))
        except services.OrganizationError as exc:
            raise refused(exc) from exc


class MembershipFilter(FilterSet):
    class Meta:
        model = Membership
        fields = ["role"]


@extend_schema_view(
    list=extend_schema(parameters=[ORGANIZATION_ID]), retrieve=extend_schema(parameters=[ORGANIZATION_ID]),
    update=extend_schema(parameters=[ORGANIZATION_ID], description="Change a member's role (admins; owners for owners)."),
    partial_update=extend_schema(parameters=[ORGANIZATION_ID], description="Change a member's role (admins; owners for owners)."),
    destroy=extend_schema(parameters=[ORGANIZATION_ID], description="Remove a member (admins; owners for owners), or leave "
                          "(your own membership). The last owner stays (409)."),
)
class MembershipViewSet(OrganizationMixin, RLSMixin, OwnedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """The members of one of my organizations (members join by invitation)."""

    queryset = Membership.objects.all()
    serializer_class = MembershipSerializer
    filterset_class = MembershipFilter
    ordering_fields = ["created_at", "role"]
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self):
        email = Func(Field("organization_id"), Field("user_id"), function="public.member_email", output_field=CharField())
        return super().get_queryset().filter(organization_id=self.membership.organization_id).annotate(email=email)

    def perform_update(self, serializer):
        try:
            services.change_role(self.membership, serializer.instance, serializer.validated_data.get("role", serializer.instance.role))
        except services.OrganizationError as exc:
            raise refused(exc) from exc

    def perform_destroy(self, instance):
        try:
            services.remove(self.membership, instance)
        except services.OrganizationError as exc:
            raise refused(exc) from exc


class InvitationFilter(FilterSet):
    class Meta:
        model = Invitation
        fields = ["role", "email"]


@extend_schema_view(
    list=extend_schema(parameters=[ORGANIZATION_ID]), retrieve=extend_schema(parameters=[ORGANIZATION_ID]),
    create=extend_schema(parameters=[ORGANIZATION_ID], responses={201: CreatedInvitationSerializer},
                         description="Invite an email address with a role (admins; an owner invitation by owners). "
                         "The answer holds the invite link, once; an open invitation of the same address is replaced."),
    destroy=extend_schema(parameters=[ORGANIZATION_ID], description="Revoke an invitation: its link stops working."),
)
class InvitationViewSet(OrganizationMixin, RLSMixin, OwnedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """The open invitations of one of my organizations (admins and owners only)."""

    queryset = Invitation.objects.all()
    serializer_class = InvitationSerializer
    filterset_class = InvitationFilter
    ordering_fields = ["created_at", "expires_at"]
    lookup_value_regex = UUID_PATTERN

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not services.can_manage(self.membership.role):
            raise exceptions.PermissionDenied("Only the organization's admins and owners see and send invitations.")

    def get_queryset(self):
        return super().get_queryset().pending().filter(organization_id=self.membership.organization_id)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            invited = services.invite(self.membership, serializer.validated_data["email"], serializer.validated_data["role"])
        except services.OrganizationError as exc:
            raise refused(exc) from exc
        invitation = invited.invitation
        invitation.token, invitation.url = invited.token, request.build_absolute_uri(services.invite_path(invited.token))
        return Response(CreatedInvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class AcceptInvitation(RLSMixin, generics.GenericAPIView):
    """Join an organization with the token of an invite link addressed to my email address."""

    serializer_class = AcceptSerializer

    @extend_schema(responses={200: MembershipSerializer})
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            joined = services.accept(request.user, serializer.validated_data["token"])
        except services.OrganizationError as exc:
            raise refused(exc) from exc
        joined.email = request.user.email
        return Response(MembershipSerializer(joined).data)


class RoleList(RLSMixin, generics.ListAPIView):
    """The role catalogue: what each role may do. Public, as the seed's "Anyone can view" says: a
    request without a token reads it as `anon` (grant and policy in migration 0002)."""

    permission_classes = [permissions.AllowAny]
    queryset = RoleDefinition.objects.all()
    serializer_class = RoleDefinitionSerializer
    pagination_class = None
    filter_backends = []

