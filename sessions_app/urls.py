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
    path("analysis/", views.AnalysisSessionList.as_view(), name="analysis-list"),
    path("analysis/new/", views.AnalysisSessionCreate.as_view(), name="analysis-create"),
    path("analysis/<uuid:pk>/", views.AnalysisSessionDetail.as_view(), name="analysis-detail"),
    path("analysis/<uuid:pk>/edit/", views.AnalysisSessionUpdate.as_view(), name="analysis-update"),
    path("analysis/<uuid:pk>/delete/", views.AnalysisSessionDelete.as_view(), name="analysis-delete"),
    path("analysis/<uuid:pk>/values/", views.StoreValue.as_view(), name="analysis-store"),
    path("analysis/<uuid:pk>/upload/", views.UploadFile.as_view(), name="analysis-upload"),
    path("analysis/<uuid:pk>/describe/", views.RunDescribe.as_view(), name="analysis-describe"),
    # A key is any text without "/" (sessions_app.storage.check_key).
    path("analysis/<uuid:pk>/values/<str:key>/", views.StoredValueDetail.as_view(), name="stored-value"),
    path("analysis/<uuid:pk>/values/<str:key>/csv/", views.StoredValueCSV.as_view(), name="stored-value-csv"),
    path("analysis/<uuid:pk>/values/<str:key>/delete/", views.StoredValueDelete.as_view(), name="stored-value-delete"),
]
