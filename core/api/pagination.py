import re

from rest_framework import pagination
from rest_framework.exceptions import ValidationError


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    page_size_query_description = f"Number of results to return per page (larger values return {max_page_size})."

    def get_page_size(self, request):
        """DRF's falls back to the default on a bad `page_size`; this one refuses it, as documented."""
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return self.page_size
        if not re.fullmatch(r"[0-9]+", value) or int(value) < 1:
            raise ValidationError({self.page_size_query_param: ["A whole number of at least 1 is required."]})
        return min(int(value), self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
        return parameters
