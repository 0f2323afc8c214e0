"""The typed storage of an analysis session, and the analyses that run on it."""

from contextlib import contextmanager

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.openapi import ERROR_SCHEMA
from core.api.views import RLSMixin
from core.parents import ParentFromURLMixin
from sessions_app import codecs, services
from sessions_app.api import schemas
from sessions_app.api.serializers import DescribeSerializer, StoredValueDetailSerializer, StoredValueSerializer
from sessions_app.models import AnalysisSession, StoredValue
from sessions_app.storage import InvalidKey, PreconditionFailed, QuotaExceeded, SessionClosed, SessionStorage, check_key

SESSION_ID = OpenApiParameter("session_pk", OpenApiTypes.UUID, OpenApiParameter.PATH, description="Analysis session id")
KEY = OpenApiParameter(
    "key", OpenApiTypes.STR, OpenApiParameter.PATH, pattern="^[^/\\x00]{1,255}$",
    description="The storage key: 1 to 255 characters, any but `/` (and NUL). Percent-encode the rest as "
    "usual in a URL path (a space is `%20`); `.` and `..` are keys too, but HTTP clients may resolve them "
    "as path segments, so avoid them.",
)
IF_MATCH = OpenApiParameter(
    "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER,
    description="Write only over this version of the value (its ETag, as GET and PUT return it), or over any value (`*`): "
    "412 otherwise. Two workers that each send the ETag they read never overwrite each other's writes.",
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match", OpenApiTypes.STR, OpenApiParameter.HEADER,
    description="`*`: create only, 412 when a value is stored under the key already.",
)
ETAG = OpenApiParameter("ETag", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[200, 201], description="The value's version.")


def _error(description):
    return OpenApiResponse(response=ERROR_SCHEMA, description=description)


class StorageRefused(exceptions.APIException):
    def __init__(self, status_code: int, code: str, message: str):
        self.status_code = status_code
        super().__init__(message, code)


# The storage's refusals, as API answers: nothing was stored in any of them.
REFUSAL_STATUS = {
    QuotaExceeded: status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    SessionClosed: status.HTTP_409_CONFLICT,
    PreconditionFailed: status.HTTP_412_PRECONDITION_FAILED,
}


@contextmanager
def refusals():
    try:
        yield
    except codecs.CodecError as exc:
        raise exceptions.ValidationError({"value": [str(exc)]}) from None
    except services.AnalysisRefused as exc:
        code = status.HTTP_404_NOT_FOUND if exc.code == "not_found" else status.HTTP_409_CONFLICT
        raise StorageRefused(code, exc.code, str(exc)) from None
    except tuple(REFUSAL_STATUS) as exc:
        raise StorageRefused(REFUSAL_STATUS[type(exc)], exc.code, str(exc)) from None


class SessionStorageMixin(ParentFromURLMixin, RLSMixin):
    """The caller's analysis session named in the URL (another user's is a 404)."""

    parent_model = AnalysisSession

    def storage(self) -> SessionStorage:
        return SessionStorage(self.get_parent())

    def key(self) -> str:
        try:
            return check_key(self.kwargs["key"])
        except InvalidKey as exc:
            raise exceptions.ValidationError({"key": [str(exc)]}) from None


@extend_schema(parameters=[SESSION_ID])
class StoredValueListView(SessionStorageMixin, generics.ListAPIView):
    """The values stored in one of my analysis sessions: key, type, size and expiry, never the value.
    Expired values are not listed (even before cleanup removes them)."""

    serializer_class = StoredValueSerializer
    filter_backends = []

    def get_queryset(self):
        return (
            StoredValue.objects.for_user(self.request.user)
            .filter(StoredValue.live(), session=self.get_parent())
            .defer("storage_value", "encrypted_value")
            .order_by("storage_key")
        )


def _headers(entry):
    return {"ETag": entry.etag, "Cache-Control": "no-store"}


class StoredValueView(SessionStorageMixin, APIView):
    """One stored value, by key."""

    @extend_schema(
        parameters=[SESSION_ID, KEY, ETAG],
        responses={200: StoredValueDetailSerializer},
        description="The value and its entry; `ETag` names its version. 404 when there is none or it has expired.",
    )
    def get(self, request, session_pk, key):
        found = self.storage().read_payload(self.key())
        if found is None:
            raise exceptions.NotFound("No value is stored under this key.")
        entry, payload = found
        data = StoredValueSerializer(entry).data
        data["value"] = payload
        return Response(data, headers=_headers(entry))

    @extend_schema(
        parameters=[SESSION_ID, KEY, IF_MATCH, IF_NONE_MATCH, ETAG],
        request={"application/json": schemas.STORE_BODY_SCHEMA},
        responses={
            200: OpenApiResponse(StoredValueSerializer, description="Replaced the value."),
            201: OpenApiResponse(StoredValueSerializer, description="Stored a new value."),
            409: _error("The session has expired: it takes no more values."),
            412: _error("If-Match or If-None-Match did not hold: nothing was stored."),
            413: _error("Over a quota (per value, session or user; `code`: quota_exceeded) or the body limit: nothing was stored."),
        },
        description="Store a value under the key, replacing what is there. `type` says how `value` travels: `json` any "
        "JSON; `text` a string; `dataframe` pandas' table schema (`to_json(orient=\"table\")`; `read_json(..., "
        "orient=\"table\")` reads the GET back); `image` `{mime_type, base64}` of a PNG, JPEG or SVG file (checked by its "
        "first bytes); `figure` `{library: vega-lite|plotly, spec}`. `sensitive` encrypts it at rest. `ttl_seconds` "
        "defaults to the type's retention.",
    )
    def put(self, request, session_pk, key):
        key = self.key()
        try:
            body = schemas.parse_store_body(request.data)
        except ValueError as exc:
            raise exceptions.ValidationError(exc.args[0]) from None
        with refusals():
            value = codecs.from_wire(body["type"], body["value"])
            entry = self.storage().set(
                key, value, ttl=body.get("ttl_seconds"), sensitive=body.get("sensitive", False), value_type=body["type"],
                if_match=_etags(request.headers.get("If-Match")), if_none_match=_etags(request.headers.get("If-None-Match")),
            )
        code = status.HTTP_201_CREATED if entry.created else status.HTTP_200_OK
        return Response(StoredValueSerializer(entry).data, status=code, headers=_headers(entry))

    @extend_schema(parameters=[SESSION_ID, KEY], responses={204: None})
    def delete(self, request, session_pk, key):
        if not self.storage().delete(self.key()):
            raise exceptions.NotFound("No value is stored under this key.")
        return Response(status=status.HTTP_204_NO_CONTENT)


def _etags(header: str | None) -> list[str] | None:
    """The entity tags of an If-Match / If-None-Match header (a list, or `*`)."""
    if header is None:
        return None
    return [tag.strip() for tag in header.split(",") if tag.strip()] or [""]


@extend_schema(parameters=[SESSION_ID])
class DescribeView(SessionStorageMixin, APIView):
    """pandas `describe()` of a stored DataFrame, stored as a new DataFrame; recorded in audit_analysis_runs."""

    @extend_schema(
        request=DescribeSerializer,
        responses={
            201: OpenApiResponse(StoredValueSerializer, description="The result's entry (a DataFrame)."),
            404: _error("No such session, or no value under `source_key`."),
            409: _error("The source is not a DataFrame (or has no columns), or the session has expired."),
            413: _error("The result would exceed a quota: nothing was stored."),
        },
    )
    def post(self, request, session_pk):
        params = DescribeSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        body = params.validated_data
        with refusals():
            entry = services.describe(self.get_parent(), body["source_key"], body["target_key"])
        return Response(StoredValueSerializer(entry).data, status=status.HTTP_201_CREATED, headers=_headers(entry))
