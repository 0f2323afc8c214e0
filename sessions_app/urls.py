from django.urls import path

from sessions_app import views

app_name = "sessions_app"

urlpatterns = [
    path("", views.SessionList.as_view(), name="session-list"),
    path("research/new/", views.SessionCreate.as_view(), name="session-create"),
    path("research/<uuid:pk>/", views.SessionDetail.as_view(), name="session-detail"),
    path("research/<uuid:pk>/edit/", views.SessionUpdate.as_view(), name="session-update"),
    path("research/<uuid:pk>/delete/", views.SessionDelete.as_view(), name="session-delete"),
    path("research/<uuid:session_pk>/files/new/", views.DraftFileCreate.as_view(), name="draft-file-create"),
    path("research/<uuid:session_pk>/files/<uuid:pk>/", views.DraftFileUpdate.as_view(), name="draft-file-update"),
    path("research/<uuid:session_pk>/files/<uuid:pk>/delete/", views.DraftFileDelete.as_view(), name="draft-file-delete"),
]
