"""Views under a parent object named in the URL (`research-sessions/<session_pk>/draft-files/`,
`/research/<session_pk>/files/new/`): one mixin for API views and pages alike."""

from django.shortcuts import get_object_or_404
from rest_framework.views import APIView


class ParentFromURLMixin:
    """The parent is the `parent_model` row whose primary key is the URL's `parent_url_kwarg`, found
    through `for_user()` of the caller: another user's parent, or none, is a 404.

    It is looked up once the caller is known and before the handler runs, whatever the method, so no
    answer (a 405, a form error, an empty list) tells that another user's parent exists: API views
    (core.api.views.RLSMixin) when the caller's identity is in force, RLS included; pages at dispatch,
    for a signed-in end user (anyone else goes to the login page). List it before the view's base
    classes. Pages find the parent in their context as `parent_context_name`, when set."""

    parent_model = None
    parent_url_kwarg = "session_pk"
    parent_context_name = None

    def get_parent(self):
        if not hasattr(self, "_parent"):
            queryset = self.parent_model.objects.for_user(self._parent_owner())
            self._parent = get_object_or_404(queryset, pk=self.kwargs[self.parent_url_kwarg])
        return self._parent

    def _parent_owner(self):
        # DRF's authenticated caller; for a page, the end user the authentication middleware set.
        return self.request.user if isinstance(self, APIView) else self.request.end_user

    def caller_identified(self, request):  # API views
        super().caller_identified(request)
        if self.parent_url_kwarg in self.kwargs:  # absent when drf-spectacular inspects the view
            self.get_parent()

    def dispatch(self, request, *args, **kwargs):  # pages
        if not isinstance(self, APIView) and getattr(request, "end_user", None) is not None:
            self.get_parent()
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):  # pages
        if self.parent_context_name:
            kwargs.setdefault(self.parent_context_name, self.get_parent())
        return super().get_context_data(**kwargs)
