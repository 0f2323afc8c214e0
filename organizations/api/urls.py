from django.urls import path
from rest_framework.routers import SimpleRouter

from core.api.views import UUID_PATTERN
from organizations.api import views

router = SimpleRouter()
router.register("organizations", views.OrganizationViewSet, basename="organization")
router.register(rf"organizations/(?P<organization_id>{UUID_PATTERN})/members", views.MembershipViewSet, basename="organization-member")
router.register(rf"organizations/(?P<organization_id>{UUID_PATTERN})/invitations", views.InvitationViewSet, basename="organization-invitation")

urlpatterns = [
    path("invitations/accept", views.AcceptInvitation.as_view(), name="invitation-accept"),
    path("roles", views.RoleList.as_view(), name="roles"),
    *router.urls,
]
