from rest_framework.routers import SimpleRouter

from growth.api import views

router = SimpleRouter(trailing_slash=True)
router.register("analytics/events", views.AnalyticsEventViewSet, basename="analytics-event")

urlpatterns = router.urls
