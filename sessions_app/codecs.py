"""How each type of stored value travels to and from `session_storage.storage_value` (jsonb).

A value is encoded into `(value_type, text)`: the compact JSON text of a payload that PostgreSQL's
jsonb can hold (the same text is what an encrypted value's column holds, and what `size_bytes`
counts), and decoded back from that text into the Python value it came from:

| value_type  | Python value                                  | payload                                                   |
|-------------|-----------------------------------------------|-----------------------------------------------------------|
| `json`      | dict, list, str, int, float, bool, None       | the value itself                                          |
| `text`      | str                                           | the string                                                |
| `dataframe` | pandas.DataFrame                              | pandas' table schema (`to_json(orient="table")`), see below |
| `image`     | `Image(data, mime_type)` (or PNG/JPEG/SVG bytes) | `{"mime_type", "base64"}`                              |
| `figure`    | `Figure(spec, library)` (or a Vega-Lite/Plotly dict) | `{"library", "spec"}`                              |

The API carries the payload itself as `value` (`from_wire` reads one). Everything here is pure:
no database, no settings. `sessions_app.storage` calls it.
"""

import base64
import binascii
import io
import json
import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core import jsontext

JSON = "json"
TEXT = "text"
DATAFRAME = "dataframe"
IMAGE = "image"
FIGURE = "figure"
VALUE_TYPES = (JSON, DATAFRAME, IMAGE, FIGURE, TEXT)

# `\u0000` in JSON text, but not `\\u0000` (an escaped backslash followed by "u0000").
ESCAPED_NUL = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")
MAX_DEPTH = jsontext.MAX_DEPTH  # nesting of JSON arrays and objects

PNG, JPEG, SVG = "image/png", "image/jpeg", "image/svg+xml"
IMAGE_TYPES = (PNG, JPEG, SVG)
VEGA_LITE, PLOTLY = "vega-lite", "plotly"
FIGURE_LIBRARIES = (VEGA_LITE, PLOTLY)
# Top-level keys of which a Vega-Lite spec has at least one (a view or a composition).
VEGA_LITE_KEYS = {"mark", "layer", "concat", "hconcat", "vconcat", "facet", "repeat", "spec"}


class CodecError(ValueError):
    """The value cannot be stored as that type (with the reason)."""


@dataclass(frozen=True)
class Image:
    """An image: PNG, JPEG or SVG bytes. `mime_type` is found from the bytes when not given, and must
    agree with them when given."""

    data: bytes = field(repr=False)
    mime_type: str = ""

    def __post_init__(self):
        if not isinstance(self.data, (bytes, bytearray, memoryview)):
            raise CodecError("Image data must be bytes.")
        object.__setattr__(self, "data", bytes(self.data))
        found = sniff_image(self.data)
        if self.mime_type and self.mime_type != found:
            raise CodecError(f"The bytes are {found}, not {self.mime_type}.")
        object.__setattr__(self, "mime_type", found)

    @property
    def data_url(self) -> str:
        return f"data:{self.mime_type};base64,{base64.b64encode(self.data).decode('ascii')}"


@dataclass(frozen=True)
class Figure:
    """A chart spec: Vega-Lite (drawn with the vendored vega-embed) or Plotly (a figure's JSON)."""

    spec: dict
    library: str = ""

    def __post_init__(self):
        if not isinstance(self.spec, dict):
            raise CodecError("A figure spec must be a JSON object.")
        found = self.library or guess_library(self.spec)
        if found not in FIGURE_LIBRARIES:
            raise CodecError(f"A figure's library is one of {', '.join(FIGURE_LIBRARIES)}.")
        check_figure(self.spec, found)
        object.__setattr__(self, "library", found)


# --- images ---------------------------------------------------------------------------------------

def sniff_image(data: bytes) -> str:
    """The image's MIME type from its first bytes (PNG, JPEG, SVG), or CodecError."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    head = data[:4096].removeprefix(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b"<svg") or (head.startswith((b"<?xml", b"<!--", b"<!DOCTYPE svg")) and b"<svg" in head):
        return SVG  # shown only through <img> (a data: URL), where its scripts never run
    raise CodecError("Not a PNG, JPEG or SVG image (checked by its first bytes).")


def decode_base64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise CodecError("Not valid base64.") from None


# --- figures --------------------------------------------------------------------------------------

def guess_library(spec: dict) -> str:
    schema = spec.get("$schema")
    if isinstance(schema, str) and "vega-lite" in schema:
        return VEGA_LITE
    if "data" in spec and isinstance(spec.get("data"), list):
        return PLOTLY
    if VEGA_LITE_KEYS & spec.keys():
        return VEGA_LITE
    raise CodecError("Not a Vega-Lite spec (a mark, layer or composition) nor a Plotly figure (a list of traces in `data`).")


def check_figure(spec: dict, library: str) -> None:
    if library == VEGA_LITE:
        schema = spec.get("$schema")
        if schema is not None and not (isinstance(schema, str) and "vega-lite" in schema):
            raise CodecError("A Vega-Lite spec's $schema names Vega-Lite.")
        if not VEGA_LITE_KEYS & spec.keys():
            raise CodecError("A Vega-Lite spec has a mark, a layer or a composition (concat, facet, repeat).")
    else:
        traces = spec.get("data")
        if not isinstance(traces, list) or not all(isinstance(t, dict) for t in traces):
            raise CodecError("A Plotly figure has `data`, a list of trace objects.")
        if not isinstance(spec.get("layout", {}), dict):
            raise CodecError("A Plotly figure's `layout` is an object.")
    check_json(spec)


def _figure_from_object(value) -> Figure | None:
    """A Plotly figure or an Altair chart, when those libraries' objects are given."""
    if hasattr(value, "to_plotly_json"):
        return Figure(json.loads(value.to_json()), PLOTLY)
    if type(value).__module__.startswith("altair") and hasattr(value, "to_dict"):
        return Figure(value.to_dict(), VEGA_LITE)
    return None


# --- JSON -----------------------------------------------------------------------------------------

def check_json(value) -> None:
    """Plain JSON that jsonb can hold: dicts with string keys, lists, strings without NUL, finite
    numbers, booleans, null; nested at most MAX_DEPTH deep. Walks iteratively (no recursion limit)."""
    problem = jsontext.unstorable_text(value)
    if problem:
        raise CodecError(f"Text may not contain {problem} (no NUL, U+0000, and no half of a UTF-16 pair).")
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            continue
        elif item is None or isinstance(item, (bool, int)):
            continue
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise CodecError("Numbers must be finite (no NaN or Infinity in JSON).")
        elif isinstance(item, (list, tuple)):
            if depth >= MAX_DEPTH:
                raise CodecError(f"JSON may be nested at most {MAX_DEPTH} levels deep.")
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, dict):
            if depth >= MAX_DEPTH:
                raise CodecError(f"JSON may be nested at most {MAX_DEPTH} levels deep.")
            for key, child in item.items():
                if not isinstance(key, str):
                    raise CodecError("JSON object keys must be strings.")
                stack.append((child, depth + 1))
        else:
            raise CodecError(f"{type(item).__name__} is not a JSON value.")


# --- DataFrames -----------------------------------------------------------------------------------
# pandas' table schema keeps dtypes (extension dtypes as `extDtype`, categories, time zones), the
# index (named or not, several levels) and the rows. It does not keep numpy widths (uint8, float32
# read back as int64, float64) nor the resolution of datetimes (pandas 3 infers `us` for parsed
# strings, the table reads back `ns`): each such field carries its exact dtype as `x-dtype`, and
# decoding casts back. Dtypes the table schema cannot carry are refused up front.

DTYPE_KEY = "x-dtype"
_NUMPY_KINDS = set("biufM")  # bool, int, uint, float, datetime
_EXTENSION_DTYPES = {"Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "Float32", "Float64",
                     "boolean", "string", "str"}


def _exact_dtype(dtype) -> str | None:
    """The dtype to restore after reading the table, for the dtypes the table schema blurs."""
    if isinstance(dtype, pd.DatetimeTZDtype) or (isinstance(dtype, np.dtype) and dtype.kind in _NUMPY_KINDS):
        return str(dtype)
    return None


def _check_frame(df: pd.DataFrame) -> None:
    if isinstance(df.columns, pd.MultiIndex):
        raise CodecError("DataFrames with several column levels are not supported.")
    if not all(isinstance(c, str) for c in df.columns):
        raise CodecError("DataFrame column names must be strings.")
    if df.columns.has_duplicates:
        raise CodecError("DataFrame column names must be unique.")
    levels = [df.index.get_level_values(i) for i in range(df.index.nlevels)]
    for name, series in [*df.items(), *(("index", level) for level in levels)]:
        dtype = series.dtype
        if isinstance(dtype, (pd.CategoricalDtype, pd.DatetimeTZDtype)) or str(dtype) in _EXTENSION_DTYPES:
            continue
        if isinstance(dtype, np.dtype) and (dtype.kind in _NUMPY_KINDS or dtype.kind == "O"):
            continue
        raise CodecError(f"Column {name!r}: dtype {dtype} cannot be stored (timedelta, period, interval, complex and sparse are not).")
    names = [*df.columns, *(n for n in df.index.names if n is not None)]
    if len(set(names)) != len(names):
        raise CodecError("Index and column names must differ.")


def _field_names(df: pd.DataFrame) -> list:
    """(field name in the table schema, dtype) of the index levels, as pandas names them."""
    if df.index.nlevels == 1:
        return [(df.index.name if df.index.name is not None else "index", df.index.dtype)]
    return [(name if name is not None else f"level_{i}", df.index.get_level_values(i).dtype)
            for i, name in enumerate(df.index.names)]


def encode_frame_text(df: pd.DataFrame) -> str:
    """The DataFrame as compact table-schema JSON text (what is stored). Only the schema part is
    parsed and written again (to add `x-dtype`): the rows stay pandas' own text."""
    _check_frame(df)
    default_index = isinstance(df.index, pd.RangeIndex) and df.index.name is None and df.index.start == 0 and df.index.step == 1
    try:
        text = df.to_json(orient="table", date_unit="ns", index=not default_index, force_ascii=False)
    except (ValueError, TypeError, OverflowError) as exc:
        raise CodecError(f"The DataFrame cannot be written as a table: {exc}") from None
    if "\\u0000" in text and ESCAPED_NUL.search(text):  # the plain search first: a regex scan of 1 MB is slow
        raise CodecError("Text may not contain NUL characters (U+0000).")
    if "e+308" in text or "E+308" in text:  # pandas rounds to 10 digits: near ±1.8e308 that reads back as ±inf
        try:
            jsontext.loads(text)
        except jsontext.JSONTextError as exc:
            raise CodecError(f"The DataFrame cannot be stored so that it reads back: {exc}") from None
    # pandas writes {"schema":{...},"data":[...]}; inside strings a quote is escaped, so the first
    # `,"data":` ends the schema.
    head, separator, rows = text.partition(',"data":')
    schema = json.loads(head + "}")["schema"]
    dtypes = {name: _exact_dtype(dtype) for name, dtype in df.dtypes.items()}
    if not default_index:
        dtypes.update((name, _exact_dtype(dtype)) for name, dtype in _field_names(df))
    for spec in schema["fields"]:
        if dtypes.get(spec["name"]):
            spec[DTYPE_KEY] = dtypes[spec["name"]]
    return '{"schema":' + serialized(schema) + separator + rows


def encode_frame(df: pd.DataFrame) -> dict:
    """The table-schema JSON of a DataFrame (as the API carries it)."""
    return json.loads(encode_frame_text(df))


def decode_frame_text(text: str, fields: list | None = None) -> pd.DataFrame:
    """A DataFrame from its table-schema JSON text; `fields` (the schema's, if already at hand)
    spares parsing the text twice."""
    try:
        if fields is None:
            fields = json.loads(text).get("schema", {}).get("fields")
        if not isinstance(fields, list) or not all(isinstance(f, dict) and isinstance(f.get("name"), str) for f in fields):
            raise CodecError("A table schema lists its fields, each with a name.")
        df = pd.read_json(io.StringIO(text), orient="table")
        dtypes = {f["name"]: f[DTYPE_KEY] for f in fields if isinstance(f.get(DTYPE_KEY), str)}
        return _restore_dtypes(df, dtypes) if dtypes else df
    except CodecError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, NotImplementedError, AttributeError) as exc:
        raise CodecError(f"Not a readable table-schema DataFrame: {exc}") from None


def decode_frame(payload: dict) -> pd.DataFrame:
    """A DataFrame from table-schema JSON (as the API carries it)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("schema"), dict) or not isinstance(payload.get("data"), list):
        raise CodecError('A DataFrame is a table-schema object: {"schema": {"fields": [...]}, "data": [...]}.')
    try:  # no walk of every cell here: a U+0000 in the table is refused when it is stored (encode_frame_text)
        text = serialized(payload)
    except (ValueError, TypeError, RecursionError) as exc:
        raise CodecError(f"Not plain JSON: {exc}") from None
    return decode_frame_text(text, payload["schema"].get("fields"))


def _restore_dtypes(df: pd.DataFrame, dtypes: dict) -> pd.DataFrame:
    for name in df.columns:
        if name in dtypes and str(df[name].dtype) != dtypes[name]:
            df[name] = df[name].astype(dtypes[name])
    fields = _field_names(df)
    if any(name in dtypes and str(dtype) != dtypes[name] for name, dtype in fields):
        levels = [df.index.get_level_values(i) for i in range(df.index.nlevels)]
        levels = [level.astype(dtypes[name]) if name in dtypes else level for (name, _), level in zip(fields, levels)]
        df.index = levels[0] if len(levels) == 1 else pd.MultiIndex.from_arrays(levels, names=df.index.names)
    return df


# --- the codec ------------------------------------------------------------------------------------

def guess_type(value) -> str:
    if isinstance(value, pd.DataFrame):
        return DATAFRAME
    if isinstance(value, Image) or isinstance(value, (bytes, bytearray, memoryview)):
        return IMAGE
    if isinstance(value, Figure) or _figure_from_object(value) is not None:
        return FIGURE
    if isinstance(value, str):
        return TEXT
    return JSON


def encode(value, value_type: str | None = None) -> tuple[str, str]:
    """(value_type, payload as compact JSON text) of a Python value; CodecError when it cannot be
    stored as that type."""
    value_type = value_type or guess_type(value)
    if value_type == DATAFRAME:
        if not isinstance(value, pd.DataFrame):
            raise CodecError("A dataframe value is a pandas DataFrame.")
        return DATAFRAME, encode_frame_text(value)
    return value_type, serialized(_payload(value, value_type))


def _payload(value, value_type: str):
    if value_type == JSON:
        if isinstance(value, tuple):
            value = list(value)
        check_json(value)
        return value
    if value_type == TEXT:
        if not isinstance(value, str):
            raise CodecError("A text value is a string.")
        check_json(value)
        return value
    if value_type == IMAGE:
        image = value if isinstance(value, Image) else Image(value) if isinstance(value, (bytes, bytearray, memoryview)) else None
        if image is None:
            raise CodecError("An image value is an Image or PNG, JPEG or SVG bytes.")
        return {"mime_type": image.mime_type, "base64": base64.b64encode(image.data).decode("ascii")}
    if value_type == FIGURE:
        figure = value if isinstance(value, Figure) else _figure_from_object(value)
        if figure is None:
            figure = Figure(value) if isinstance(value, dict) else None
        if figure is None:
            raise CodecError("A figure value is a Figure, a Vega-Lite or Plotly spec (dict), or a Plotly/Altair figure.")
        return {"library": figure.library, "spec": figure.spec}
    raise CodecError(f"Unknown value type {value_type!r}; one of {', '.join(VALUE_TYPES)}.")


def decode(value_type: str, text: str, fields: list | None = None):
    """The Python value of a stored payload's JSON text (`fields`: a DataFrame's schema fields, if
    fetched apart)."""
    if value_type == DATAFRAME:
        return decode_frame_text(text, fields)
    payload = json.loads(text)
    if value_type in (JSON, TEXT):
        return payload
    if value_type == IMAGE:
        return Image(decode_base64(payload["base64"]), payload["mime_type"])
    if value_type == FIGURE:
        return Figure(payload["spec"], payload["library"])
    raise CodecError(f"Unknown value type {value_type!r}.")


def from_wire(value_type: str, value):
    """The Python value of an API body's `value` (the payload shape, as documented in OpenAPI):
    a DataFrame as table-schema JSON, an image as {"mime_type", "base64"}, a figure as
    {"library"?, "spec"} or a bare spec."""
    if value_type == DATAFRAME:
        return decode_frame(value)
    if value_type == IMAGE:
        if not isinstance(value, dict) or not isinstance(value.get("base64"), str):
            raise CodecError("An image is {\"mime_type\": ..., \"base64\": ...}.")
        mime_type = value.get("mime_type", "")
        if not isinstance(mime_type, str) or (mime_type and mime_type not in IMAGE_TYPES):
            raise CodecError(f"mime_type is one of {', '.join(IMAGE_TYPES)}.")
        return Image(decode_base64(value["base64"]), mime_type)
    if value_type == FIGURE:
        if isinstance(value, dict) and isinstance(value.get("spec"), dict):
            library = value.get("library", "")
            if not isinstance(library, str):
                raise CodecError(f"library is one of {', '.join(FIGURE_LIBRARIES)}.")
            return Figure(value["spec"], library)
        if isinstance(value, dict):
            return Figure(value)
        raise CodecError("A figure is {\"library\": ..., \"spec\": {...}} or a bare spec object.")
    if value_type == TEXT and not isinstance(value, str):
        raise CodecError("A text value is a string.")
    if value_type not in VALUE_TYPES:
        raise CodecError(f"Unknown value type {value_type!r}.")
    return value


def serialized(payload) -> str:
    """The payload as compact JSON text: what the encrypted column holds, and what size_bytes counts."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
