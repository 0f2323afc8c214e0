"""A view that tries to write another user's row, as a forgotten check would: for the test of
audit_rls_violation through the API."""

from django.db import connection
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from privacy.api.views import PrivacyMixin


class WriteForAnother(PrivacyMixin, APIView):
    rls_table = "telemetry_events"

    def post(self, request):
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO telemetry_events (user_id, timestamp, app_id, event_type) VALUES (%s, now(), 'x', 'y')",
                           [request.data["user_id"]])
        return Response(status=201)


urlpatterns = [path("api/v1/privacy/test-write", WriteForAnother.as_view())]
