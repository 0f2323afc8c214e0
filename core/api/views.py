"""DRF bases: every view runs its request in one transaction under RLS, and every owned model is
scoped to the principal, so another user's object answers 404."""

import logging

from django.db import InterfaceError, OperationalError
from rest_framework import mixins, pagination, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core import rls
from core.api import errors
from core.models import OwnedQuerySet

logger = logging.getLogger(__name__)

UUID_PATTERN = "[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"


class RLSMixin:
    """Opens the request transaction and, once DRF has authenticated the caller, switches it to the
    caller's identity (`request.auth` holds the verified claims). A request without credentials that
    a view lets through (public read: `AllowAny`) runs as `anon`, the PostgREST way — unless the view
    authenticates its caller by other means (`anonymous_role = False`: a signed webhook)."""

    anonymous_role = True

    def dispatch(self, request, *args, **kwargs):
        response = None
        rls.acts_as_caller(request)
        try:
            with rls.request_transaction():
                response = super().dispatch(request, *args, **kwargs)
        except (OperationalError, InterfaceError):
            # The database went away (at connect, mid-request or at commit): nothing was committed.
            logger.warning("database unavailable during %s %s", request.method, request.path, exc_info=True)
            response = errors.database_unavailable(request)
        finally:
            rls.run_after_transaction(request, response)
        return response

    def initial(self, request, *args, **kwargs):
        if any("\x00" in value for value in request.query_params.values()):
            raise ValidationError({"query": ["Query parameters may not contain NUL characters."]})
        super().initial(request, *args, **kwargs)
        if isinstance(request.auth, dict) and request.auth.get("sub"):
            rls.act_as_for(request, request.auth)  # unless authentication switched already
        elif request.user is None and self.anonymous_role:
            rls.act_as_anon()
        self.caller_identified(request)

    def caller_identified(self, request):
        """Runs once the caller's identity is in force (RLS included), before the handler: a view
        looks up here what its URL names (core.parents)."""


class RowListMixin(mixins.ListModelMixin):
    """DRF's list, read as rows where the serializer allows it (core.api.serializers.ListSerializer
    .rows_of): the page's rows are written out without a model instance each. Same queries, same
    JSON. A cursor paginator reads its position from the page's instances, so it gets them. Rows
    written out need no statement: the page's are the request's last reads (core.rls.last_reads),
    whose round trip can carry the COMMIT."""

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        serializer = self.get_serializer(queryset, many=True)
        if hasattr(serializer, "rows_of") and not isinstance(self.paginator, pagination.CursorPagination):
            queryset = serializer.rows_of(queryset)
            with rls.last_reads(request):
                page = self.paginate_queryset(queryset)
        else:
            page = self.paginate_queryset(queryset)
        serializer.instance = queryset if page is None else page
        return Response(serializer.data) if page is None else self.get_paginated_response(serializer.data)


class OwnedMixin:
    """A view over a user-owned model: its `queryset` reached only through `for_user()` of the caller
    (of the class's `queryset`: `for_each_user()`, the same query with its filter built once)."""

    def get_queryset(self):
        if isinstance(self.queryset, OwnedQuerySet):  # the class's, for every request: its filter kept
            return self.queryset.for_each_user(self.request.user)
        return super().get_queryset().for_user(self.request.user)


class OwnedModelViewSet(RLSMixin, OwnedMixin, RowListMixin, viewsets.ModelViewSet):
    """CRUD over a user-owned model. Subclasses name `queryset` and `serializer_class`; rows are
    created for the caller and listed, read, changed and deleted only through `for_user()`
    (`OwnedMixin`)."""

    lookup_value_regex = UUID_PATTERN

    def perform_create(self, serializer):
        serializer.save(user=self.request.user)
