from django.urls import path

from audit.api import views

urlpatterns = [path("audit/activity/", views.ActivityView.as_view(), name="audit-activity")]
