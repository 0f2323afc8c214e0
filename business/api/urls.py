from django.urls import path
from rest_framework.routers import SimpleRouter

from business.api import views

router = SimpleRouter(trailing_slash=False)
router.register("subscriptions", views.SubscriptionViewSet, basename="subscription")

urlpatterns = [
    path("flags", views.FlagsView.as_view(), name="flags"),
    path("offers", views.OfferList.as_view(), name="offers"),
    path("billing/webhook", views.BillingWebhook.as_view(), name="billing-webhook"),
    *router.urls,
]
