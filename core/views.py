"""Error pages: JSON in the API's error shape under /api/, HTML elsewhere."""

from django.views import defaults

from core.api import errors


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return errors.not_found(request, exception)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith("/api/"):
        return errors.server_error(request)
    return defaults.server_error(request)
