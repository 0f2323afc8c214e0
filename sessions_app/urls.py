from django.urls import path

from sessions_app.views import analysis, research, values

app_name = "sessions_app"

urlpatterns = [
    path("", research.SessionList.as_view(), name="session-list"),
    path("research/new/", research.SessionCreate.as_view(), name="session-create"),
    path("research/<uuid:pk>/", research.SessionDetail.as_view(), name="session-detail"),
    path("research/<uuid:pk>/edit/", research.SessionUpdate.as_view(), name="session-update"),
    path("research/<uuid:pk>/delete/", research.SessionDelete.as_view(), name="session-delete"),
    path("research/<uuid:session_pk>/files/new/", research.DraftFileCreate.as_view(), name="draft-file-create"),
    path("research/<uuid:session_pk>/files/<uuid:pk>/", research.DraftFileUpdate.as_view(), name="draft-file-update"),
    path("research/<uuid:session_pk>/files/<uuid:pk>/delete/", research.DraftFileDelete.as_view(), name="draft-file-delete"),
    path("analysis/", analysis.AnalysisSessionList.as_view(), name="analysis-list"),
    path("analysis/new/", analysis.AnalysisSessionCreate.as_view(), name="analysis-create"),
    path("analysis/<uuid:pk>/", analysis.AnalysisSessionDetail.as_view(), name="analysis-detail"),
    path("analysis/<uuid:pk>/edit/", analysis.AnalysisSessionUpdate.as_view(), name="analysis-update"),
    path("analysis/<uuid:pk>/delete/", analysis.AnalysisSessionDelete.as_view(), name="analysis-delete"),
    path("analysis/<uuid:pk>/values/", analysis.StoreValue.as_view(), name="analysis-store"),
    path("analysis/<uuid:pk>/upload/", analysis.UploadFile.as_view(), name="analysis-upload"),
    path("analysis/<uuid:pk>/describe/", analysis.RunDescribe.as_view(), name="analysis-describe"),
    # A key is any text without "/" (sessions_app.storage.check_key).
    path("analysis/<uuid:pk>/values/<str:key>/", values.StoredValueDetail.as_view(), name="stored-value"),
    path("analysis/<uuid:pk>/values/<str:key>/csv/", values.StoredValueCSV.as_view(), name="stored-value-csv"),
    path("analysis/<uuid:pk>/values/<str:key>/delete/", values.StoredValueDelete.as_view(), name="stored-value-delete"),
]
