from django.urls import path

from growth import views

app_name = "growth"

urlpatterns = [
    path("", views.growth, name="dashboard"),
    path("spend/import/", views.import_spend, name="import-spend"),
    path("recompute/", views.recompute, name="recompute"),
]
