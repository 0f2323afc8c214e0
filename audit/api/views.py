"""`GET /api/v1/audit/activity/`: my activity across the six audit tables (or one), newest first,
keyset-paginated by (created_at, id) so pages stay stable while rows are added."""

import json
import uuid
from datetime import datetime

from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from audit.api import serializers
from audit.models import AnalysisRun, ApiCall, AuditLog, DataStorage, FileUpload, UserActivity
from core.api.errors import InvalidCursor
from core.api.filters import _in_utc
from core.api.pagination import open_cursor, seal_cursor
from core.api.views import RLSMixin

# table -> (model, kind column, summary)
SOURCES = {
    "audit_logs": (AuditLog, "action", lambda r: f"{r.resource_type} {r.resource_id}".strip()),
    "audit_user_activities": (UserActivity, "activity_type", lambda r: r.ip_address),
    "audit_file_uploads": (FileUpload, "status", lambda r: r.file_name),
    "audit_analysis_runs": (AnalysisRun, "status", lambda r: r.analysis_type),
    "audit_api_calls": (ApiCall, "service", lambda r: f"{r.method} {r.endpoint} {r.status_code or r.error}".strip()),
    "audit_data_storage": (DataStorage, "operation", lambda r: r.storage_key),
}


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    return seal_cursor(json.dumps([created_at.isoformat(), str(row_id)]))


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    raw = open_cursor(cursor)
    try:
        created_at, row_id = json.loads(raw)
        created_at = datetime.fromisoformat(created_at)
        if created_at.tzinfo is None:
            raise ValueError("naive")
        return _in_utc(created_at), uuid.UUID(row_id)
    except (ValueError, TypeError, OverflowError):
        raise InvalidCursor() from None  # as core.api.pagination.CursorPagination answers


class ActivityView(RLSMixin, APIView):
    """My activity: sign-ins, storage operations, analysis runs, uploads, outbound calls and changes
    made in my name. Read under RLS; rows are never changed through the API."""

    @extend_schema(parameters=[serializers.ActivityQuerySerializer], responses=serializers.ActivityPageSerializer)
    def get(self, request):
        query = serializers.ActivityQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        params = query.validated_data
        size = params["page_size"]
        after = decode_cursor(params["cursor"]) if "cursor" in params else None
        tables = [params["table"]] if "table" in params else list(SOURCES)

        rows = []
        for table in tables:
            model, kind_field, summary = SOURCES[table]
            queryset = model.objects.for_user(request.user)
            if "kind" in params:
                queryset = queryset.filter(**{kind_field: params["kind"]})
            if "session_id" in params:
                queryset = queryset.filter(session_id=params["session_id"])
            if "created_after" in params:
                queryset = queryset.filter(created_at__gte=_in_utc(params["created_after"]))
            if "created_before" in params:
                queryset = queryset.filter(created_at__lt=_in_utc(params["created_before"]))
            if after is not None:
                queryset = queryset.filter(Q(created_at__lt=after[0]) | Q(created_at=after[0], id__lt=after[1]))
            for row in queryset.order_by("-created_at", "-id")[: size + 1]:
                rows.append((row.created_at, row.id, table, getattr(row, kind_field), summary(row), row))

        rows.sort(key=lambda r: (r[0], r[1]), reverse=True)
        page, more = rows[:size], len(rows) > size
        results = [
            {"id": row_id, "table": table, "kind": kind, "summary": text, "session_id": row.session_id,
             "request_id": row.request_id, "details": row.details or {}, "created_at": created_at}
            for created_at, row_id, table, kind, text, row in page
        ]
        next_url = None
        if more:
            last = page[-1]
            next_url = replace_query_param(request.build_absolute_uri(), "cursor", encode_cursor(last[0], last[1]))
        return Response(serializers.ActivityPageSerializer({"next": next_url, "results": results}).data)
