"""The one way JSON text from outside becomes Python values: request bodies (the API's parser), page
forms and uploaded `.json` files all read it here.

Python's json accepts what PostgreSQL's jsonb cannot hold or what breaks later: NaN and ±Infinity,
numbers beyond a double (1e400 reads as Infinity), integers of more than 4300 digits (ValueError),
unpaired UTF-16 surrogates (\\ud800 with no partner: no UTF-8 text holds one), U+0000 (no
PostgreSQL text or jsonb value holds it), and nesting deep enough to exhaust the interpreter's stack.
Each is refused here with a `JSONTextError` that names it.
"""

import json
import re

MAX_DEPTH = 64  # arrays and objects inside one another; far beyond any real document of ours

_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")  # a pair is one character once parsed


class JSONTextError(ValueError):
    """JSON text that is malformed or holds a value this product cannot store."""


def loads(text: bytes | str, *, max_depth: int = MAX_DEPTH):
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    if nesting_depth(raw) > max_depth:
        raise JSONTextError(f"JSON nested deeper than {max_depth} levels is not accepted.")
    try:
        # UTF-8 only (RFC 8259): Python's json would also read UTF-16 and UTF-32, and a UTF-8 BOM.
        value = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant, parse_float=_finite_float)
    except JSONTextError:
        raise
    except RecursionError as exc:  # unreachable after the depth check; kept as the last guard
        raise JSONTextError("The JSON is nested too deeply.") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise JSONTextError(f"Not valid JSON: {exc}") from exc
    if b"\\u0000" in raw or _ESCAPED_SURROGATE.search(raw):  # only then can a string hold either
        problem = unstorable_text(value)
        if problem:
            raise JSONTextError(f"The JSON holds {problem}, which PostgreSQL cannot store.")
    return value


def nesting_depth(raw: bytes) -> int:
    """How deep arrays and objects nest in JSON text, computed at C speed (no Python step per
    character): escapes are removed (a JSON escape is a backslash and one character), then everything
    but quotes and brackets, then strings, then the innermost pairs of brackets, one level a pass.
    For text that is not JSON the figure is meaningless, and parsing refuses it anyway."""
    if b"\\" in raw:
        raw = _ESCAPE.sub(b"", raw)
    structure = raw.translate(None, _NOT_STRUCTURE)
    brackets = structure.replace(b'""', b"")  # strings without brackets, most of them
    if b'"' in brackets:  # some string holds a bracket: quotes alternate, open and close
        brackets = b"".join(structure.split(b'"')[::2])
    depth = 0
    while brackets:
        shorter = brackets.replace(b"[]", b"").replace(b"{}", b"")
        if len(shorter) == len(brackets):
            return depth  # unbalanced: not JSON, the parser will say so
        brackets, depth = shorter, depth + 1
        if depth > 1024:
            break
    return depth


def unstorable_text(value) -> str | None:
    """What in a parsed JSON value no PostgreSQL text can hold, keys included: 'a NUL character
    (U+0000)', 'an unpaired UTF-16 surrogate', or None."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return "a NUL character (U+0000)"
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return "an unpaired UTF-16 surrogate"
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def _refuse_constant(name: str):
    raise JSONTextError(f"{name} is not a JSON number.")


def _finite_float(text: str) -> float:
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise JSONTextError(f"The number {text[:40]} is beyond the range of a double (±1.8e308).")
    return number
