from django.urls import path

from organizations import views

app_name = "organizations"

urlpatterns = [
    path("", views.organization_list, name="list"),
    path("switch/", views.switch, name="switch"),
    path("join/<str:token>/", views.join, name="join"),
    path("<uuid:organization_id>/", views.organization_detail, name="detail"),
    path("<uuid:organization_id>/delete/", views.delete_organization, name="delete"),
    path("<uuid:organization_id>/invitations/", views.invite, name="invite"),
    path("<uuid:organization_id>/invitations/<uuid:invitation_id>/revoke/", views.revoke_invitation, name="revoke-invitation"),
    path("<uuid:organization_id>/members/<uuid:member_id>/role/", views.change_role, name="change-role"),
    path("<uuid:organization_id>/members/<uuid:member_id>/remove/", views.remove_member, name="remove-member"),
]
