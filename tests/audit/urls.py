"""The site's URLs plus one view that writes and then fails, to prove a rolled-back write is audited."""

from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.views import RLSMixin
from sessions_app.models import ResearchSession


class WriteThenFail(RLSMixin, APIView):
    def post(self, request):
        ResearchSession.objects.create(user=request.user, title=request.data.get("title", "doomed"))
        raise RuntimeError("the rest of the work failed")

    def put(self, request):  # a handled failure inside a savepoint: the request itself succeeds
        from django.db import transaction

        try:
            with transaction.atomic():
                ResearchSession.objects.create(user=request.user, title="inner")
                raise ValueError("undo the inner block")
        except ValueError:
            pass
        return Response({"ok": True})


class WriteTwo(RLSMixin, APIView):
    """Two captured writes in one request: their rows go to the database in one statement."""

    def post(self, request):
        first = ResearchSession.objects.create(user=request.user, title="First")
        first.title = "First, renamed"
        first.save()
        ResearchSession.objects.create(user=request.user, title="Second")
        return Response({"ok": True}, status=201)


def streamed(request):
    """A streamed body whose chunks write audit rows after the view (and the middleware) returned."""
    from django.http import StreamingHttpResponse

    import audit

    def chunks():
        yield b"one "
        audit.record("streamed_chunk", resource_type="stream")
        with audit.context("api"):
            audit.record("streamed_nested", resource_type="stream")
        yield b"two"

    return StreamingHttpResponse(chunks(), content_type="text/plain")


def page_write_then_fail(request):
    """A page that writes and then crashes: Django turns the exception into a 500 response inside
    the RLS middleware's transaction."""
    ResearchSession.objects.create(user=request.end_user, title="Half-done page write")
    raise RuntimeError("the page failed after writing")


urlpatterns = [
    path("test-audit/write-then-fail", WriteThenFail.as_view()),
    path("test-audit/write-two", WriteTwo.as_view()),
    path("test-audit/page-write-then-fail", page_write_then_fail),
    path("test-audit/streamed", streamed),
    path("", include("config.urls")),
]
