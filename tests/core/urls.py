"""The site's URLs plus two API views for the operations tests: one that logs, one that fails while
holding secrets in its local variables."""

import logging

from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.views import RLSMixin

logger = logging.getLogger("tests.ops")


class Logs(RLSMixin, APIView):
    def get(self, request, name):
        logger.warning("served %s", "the report")
        return Response({"ok": True})


class Fails(RLSMixin, APIView):
    def post(self, request):
        api_key = request.headers.get("X-API-Key")  # noqa: F841 - in the frame's variables Sentry reads
        authorization = request.headers.get("Authorization")  # noqa: F841
        raise RuntimeError(f"report failed for {request.data.get('email')}")


urlpatterns = [
    path("ops/logs/<str:name>", Logs.as_view()),
    path("ops/fails", Fails.as_view()),
    path("", include("config.urls")),
]
