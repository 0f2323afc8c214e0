"""Content negotiation: DRF's, with the answer it would give found at once in the common case."""

from rest_framework import negotiation


class ContentNegotiation(negotiation.DefaultContentNegotiation):
    """DRF's. A view with one renderer, asked for no format (`?format=`, a suffix) by a request
    whose Accept header is absent, `*/*` or exactly the renderer's media type, gets that renderer
    and its media type — DRF's answer — without the header being parsed and ranked (~0.1 ms)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        if len(renderers) == 1 and format_suffix is None:
            renderer = renderers[0]
            if (request.META.get("HTTP_ACCEPT", "*/*") in ("*/*", renderer.media_type)
                    and self.settings.URL_FORMAT_OVERRIDE not in request.query_params):
                return renderer, renderer.media_type
        return super().select_renderer(request, renderers, format_suffix)
