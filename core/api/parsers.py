"""The API's one body parser: JSON through core.jsontext (depth, numbers, surrogates refused as 400)."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from core import jsontext


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        try:
            return jsontext.loads(raw)
        except jsontext.JSONTextError as exc:
            raise ParseError(f"The body is not acceptable JSON: {exc}") from exc
