from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [path("", views.ActivityPage.as_view(), name="activity")]
