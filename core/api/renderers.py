"""The API's JSON renderer: DRF's output, written by orjson where orjson writes the same bytes.

DRF's JSONRenderer (the stdlib's json with DRF's encoder) is about a tenth of a list request. With
DRF's settings (compact, UTF-8 rather than \\u escapes, strict) orjson writes strings, integers,
booleans, null, lists, dicts and uuids exactly as it does; U+2028 and U+2029 are escaped after, as
DRF does. Everything else keeps DRF's rules: date-times and dataclasses go through DRF's encoder
(`default`), and data with a value orjson refuses or would write otherwise — a float (exponents are
written differently, and NaN would not be refused), an enum that is neither text nor an integer, an
integer beyond 64 bits, a key that is not a string, indentation asked for by the client — is
rendered by DRF's own code.
"""

import enum
from itertools import chain

import orjson
from rest_framework import renderers
from rest_framework.utils import encoders

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_PLAIN = frozenset({str, int, bool, type(None)})
_ROWS = {dict}


class _NotPlain(TypeError):
    pass


def _written_alike(value) -> bool:
    """Whether orjson writes `value` (its dicts', lists' and tuples' items) as the stdlib's json
    does: no float in it, nor an enum that json would not write as text or an integer."""
    if isinstance(value, dict):
        value = value.values()
    elif not isinstance(value, (list, tuple)):
        return not isinstance(value, float) and not (isinstance(value, enum.Enum) and not isinstance(value, (str, int)))
    kinds = set(map(type, value))
    if kinds <= _PLAIN:
        return True
    if kinds == _ROWS:  # a list of objects (a list's results): all their values in one look
        return _written_alike(list(chain.from_iterable(map(dict.values, value))))
    return all(_written_alike(item) for item in value if type(item) not in _PLAIN)


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if (
            data is None
            or self.encoder_class is not encoders.JSONEncoder or self.ensure_ascii or not self.compact or not self.strict
            or self.get_indent(accepted_media_type, renderer_context or {}) is not None
            or not _written_alike(data)
        ):
            return super().render(data, accepted_media_type, renderer_context)
        encoder = self.encoder_class()

        def default(value):
            value = encoder.default(value)
            if not _written_alike(value):
                raise _NotPlain
            return value

        try:
            text = orjson.dumps(data, default=default, option=_OPTIONS)
        except orjson.JSONEncodeError:  # what only DRF's path writes (or refuses) as it should
            return super().render(data, accepted_media_type, renderer_context)
        return text.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
