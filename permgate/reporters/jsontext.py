"""JSON text exactly as ``json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)``
writes it, without its pure-Python encoder.

With ``indent``, ``json`` encodes in Python, one generator step and one small string per
token, and joins them all at the end: for the 100 MB of a large report, seconds and
hundreds of megabytes.  ``encode`` writes a container as one string, escapes strings
with ``json``'s own C function (the one ``json.dumps`` calls) and hands dicts without
nested containers to ``json``'s C encoder, so a caller can encode a large document piece
by piece (``Raw`` places text already encoded).  Tests compare the bytes with ``json.dumps``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from itertools import chain, repeat
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any


@dataclass(frozen=True, slots=True)
class Raw:
    """JSON text already encoded at the place it goes (by ``encode`` with the same ``pad``)."""

    text: str


def dumps(value: Any) -> str:
    """``json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)``, byte for byte."""
    return encode(value, "")


def array(items: list[str], pad: str) -> str:
    """A JSON array at indentation ``pad`` of items already encoded at ``pad`` + two spaces."""
    if not items:
        return "[]"
    inner = "\n" + pad + "  "
    return "[" + inner + ("," + inner).join(items) + "\n" + pad + "]"


#: stands, in a document given to ``dumps_around``, for the one large array
ITEMS = Raw("\x00")  # json text never holds a raw NUL: it is escaped in strings


def dumps_around(value: Any, items: list[str], pad: str, end: str = "") -> str:
    """``dumps(value) + end`` where ``ITEMS`` in ``value`` (once, at indentation ``pad``) stands
    for the array of ``items`` (encoded at ``pad`` + two spaces).  The text is joined once
    from the pieces, so a large report exists twice at most (its items and the result),
    not once more for every level of nesting around it."""
    head, tail = dumps(value).split(ITEMS.text)
    if not items:
        return head + "[]" + tail + end
    inner = "\n" + pad + "  "
    separator = "," + inner
    parts = [head, "[" + inner]
    parts.extend(chain.from_iterable(zip(items, repeat(separator))))
    parts[-1] = "\n" + pad + "]" + tail + end
    return "".join(parts)


_CONTAINERS = (dict, list, tuple, Raw)


@cache
def _flat_encoder(pad: str) -> Callable[[Any], str]:
    """json's C encoder writing a dict without containers as ``indent=2`` would at ``pad``,
    but for its braces: with no nesting, every item separator is ``,\n`` + the item's indentation."""
    separator = ",\n" + pad + "  "
    if c_make_encoder is None:  # an interpreter without json's C part
        return json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(separator, ": ")).encode
    default = json.JSONEncoder().default
    # (markers, default, encoder, indent, key_separator, item_separator, sort_keys, skipkeys, allow_nan):
    # what json.dumps(..., ensure_ascii=False, sort_keys=True) builds, without the circular check
    # a flat dict cannot need
    c_encode = c_make_encoder(None, default, encode_basestring, None, ": ", separator, True, False, True)
    return lambda value: "".join(c_encode(value, 0))


def encode(value: Any, pad: str) -> str:
    """``value`` as ``json.dumps(..., indent=2, sort_keys=True, ensure_ascii=False)`` writes it
    at indentation ``pad`` (the indentation of the line it starts on)."""
    kind = value.__class__
    if kind is str:
        return encode_basestring(value)
    if value is None:
        return "null"
    if kind is int:
        return int.__repr__(value)
    if kind is Raw:
        text: str = value.text
        return text
    if kind is dict:
        if not value:
            return "{}"
        inner = pad + "  "
        if not any(map(isinstance, value.values(), repeat(_CONTAINERS))):
            return "{\n" + inner + _flat_encoder(pad)(value)[1:-1] + "\n" + pad + "}"
        try:
            items = [f"{inner}{encode_basestring(key)}: "
                     + (encode_basestring(item) if item.__class__ is str else encode(item, inner))
                     for key in sorted(value) for item in (value[key],)]
        except TypeError:
            # keys json turns into strings (numbers, true, null), or something it cannot
            # encode (then it raises): its own text, moved to ``pad``
            return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False).replace("\n", "\n" + pad)
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if kind is list or kind is tuple:
        if not value:
            return "[]"
        inner = pad + "  "
        return "[\n" + ",\n".join([inner + encode(item, inner) for item in value]) + "\n" + pad + "]"
    # booleans, floats and anything else in json's own words (a key that is not a string,
    # or a value json cannot encode, raises there as it would have)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
