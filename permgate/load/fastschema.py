"""A fast, conservative pre-check for the bundled JSON Schemas.

``jsonschema`` is exact and explains every problem, but walking a 20-grant file through
it costs about 10 ms, most of a large run.  Almost every file is valid, so the loader
first asks a checker compiled here; only when the checker cannot vouch for a document
does ``jsonschema`` run (and explain).

The checker is *sufficient, never necessary*: it answers True only when every keyword
it evaluated certainly holds as ``Draft202012Validator`` with its format checker would
decide, and False whenever it is unsure (a float that might be an integer, an enum of
containers...).  A schema using a keyword it does not interpret compiles to None and
is always left to ``jsonschema``.  So a schema change can make permgate slower, never
laxer; a property test compares the two on generated documents.

``if`` and an untyped ``oneOf`` need the opposite as well (that a condition certainly
fails, that exactly one option holds): their subschemas compile in an *exact* mode that
only takes keywords whose check is decided exactly (``type`` other than numbers,
``required``, ``properties``, string ``const``/``enum``), or the schema compiles to None.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[Any], bool]

_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "$defs", "title", "description", "examples", "default"})
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TYPES: Mapping[str, Check] = {
    "string": lambda v: isinstance(v, str),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
}


class Unsupported(Exception):
    """The schema uses something this checker does not interpret."""


def _is_date(value: Any) -> bool:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _scalar_in(options: list[Any]) -> Check:
    if not all(isinstance(o, (str, int, float, bool)) or o is None for o in options):
        raise Unsupported("enum of containers")
    pairs = {(type(o), o) for o in options}
    return lambda v: (type(v), v) in pairs if isinstance(v, (str, int, float, bool)) or v is None else False


#: types whose check is exact (``integer`` is not: jsonschema counts 1.0 as an integer)
_EXACT_TYPES = frozenset({"string", "object", "array", "boolean", "null"})


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _unique_strings(v: Any) -> bool:
    # certain only for strings (jsonschema compares 1, 1.0 and True in its own way)
    return not isinstance(v, list) or (all(type(x) is str for x in v) and len(set(v)) == len(v))


class _Compiler:
    def __init__(self, root: Mapping[str, Any], exact: bool = False) -> None:
        self.root = root
        self.exact = exact
        self.refs: dict[str, Check] = {}

    def exact_check(self, schema: Any) -> Check:
        """A check of ``schema`` that is True exactly when jsonschema accepts (or Unsupported)."""
        return _Compiler(self.root, exact=True).compile(schema)

    def ref(self, target: str) -> Check:
        if not target.startswith("#/$defs/") or "/" in target[len("#/$defs/"):]:
            raise Unsupported(f"$ref {target}")
        if target not in self.refs:
            slot: list[Check] = []
            self.refs[target] = lambda v: slot[0](v)  # recursion-safe forward reference
            slot.append(self.compile(self.root["$defs"][target[len("#/$defs/"):]]))
        return self.refs[target]

    def compile(self, schema: Any) -> Check:
        if schema is True:
            return lambda v: True
        if not isinstance(schema, dict):
            raise Unsupported(f"schema {schema!r}")
        checks: list[Check] = []
        for key, value in schema.items():
            if key in _ANNOTATIONS or key.startswith("x-"):
                continue
            checks.append(self.keyword(key, value, schema))
        if len(checks) == 1:
            return checks[0]
        return lambda v: all(c(v) for c in checks)

    def keyword(self, key: str, value: Any, schema: Mapping[str, Any]) -> Check:
        if self.exact and key not in ("type", "required", "properties", "const", "enum"):
            raise Unsupported(f"{key} in an exact subschema")
        if key == "type":
            names = value if isinstance(value, list) else [value]
            if self.exact and not set(names) <= _EXACT_TYPES:
                raise Unsupported(f"type {value} in an exact subschema")
            tests = [_TYPES[n] for n in names]
            return lambda v: any(t(v) for t in tests)
        if key == "required":
            needed = tuple(value)
            return lambda v: not isinstance(v, dict) or all(k in v for k in needed)
        if key == "properties":
            props = {name: self.compile(sub) for name, sub in value.items()}
            return lambda v: not isinstance(v, dict) or all(props[k](x) for k, x in v.items() if k in props)
        if key == "additionalProperties":
            if "patternProperties" in schema:
                raise Unsupported("patternProperties")
            known = frozenset(schema.get("properties", {}))
            if value is False:
                return lambda v: not isinstance(v, dict) or all(k in known for k in v)
            extra = self.compile(value)
            return lambda v: not isinstance(v, dict) or all(extra(x) for k, x in v.items() if k not in known)
        if key == "items":
            if "prefixItems" in schema:
                raise Unsupported("prefixItems")
            item = self.compile(value)
            return lambda v: not isinstance(v, list) or all(item(x) for x in v)
        if key == "$ref":
            return self.ref(value)
        if key == "pattern":
            # jsonschema searches; a whole-string match is a search match as well, so vouching
            # only for full matches stays sufficient, and a value with an unintended tail
            # (``E1\n`` against ``^...$``, where Python's ``$`` matches before a final newline)
            # is always left to jsonschema and the schema's own anchors
            rx = re.compile(value)
            return lambda v: not isinstance(v, str) or rx.fullmatch(v) is not None
        if key == "minLength":
            n = int(value)
            return lambda v: not isinstance(v, str) or len(v) >= n
        if key == "maxLength":
            n = int(value)
            return lambda v: not isinstance(v, str) or len(v) <= n
        if key == "format":
            if value != "date":
                raise Unsupported(f"format {value}")
            return lambda v: not isinstance(v, str) or _is_date(v)
        if key in ("enum", "const"):
            options = value if key == "enum" else [value]
            if self.exact and not all(type(o) is str for o in options):
                raise Unsupported(f"{key} of non-strings in an exact subschema")
            return _scalar_in(options)
        if key == "oneOf":
            try:
                self.disjoint_types(value)  # then at most one option can hold: oneOf is anyOf
            except Unsupported:
                exact = [self.exact_check(s) for s in value]
                return lambda v: sum(1 for o in exact if o(v)) == 1
            options = [self.compile(s) for s in value]
            return lambda v: any(o(v) for o in options)
        if key == "anyOf":
            options = [self.compile(s) for s in value]
            return lambda v: any(o(v) for o in options)
        if key == "allOf":
            parts = [self.compile(s) for s in value]
            return lambda v: all(p(v) for p in parts)
        if key == "if":
            condition = self.exact_check(value)
            then = self.compile(schema.get("then", True))
            otherwise = self.compile(schema.get("else", True))
            return lambda v: then(v) if condition(v) else otherwise(v)
        if key in ("then", "else"):
            return lambda v: True  # decided with their ``if`` (alone, jsonschema ignores them)
        if key in ("minItems", "maxItems"):
            n = int(value)
            if key == "minItems":
                return lambda v: not isinstance(v, list) or len(v) >= n
            return lambda v: not isinstance(v, list) or len(v) <= n
        if key == "uniqueItems":
            return _unique_strings if value is True else (lambda v: True)
        if key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            if not _is_number(value):
                raise Unsupported(f"{key} {value!r}")
            bound = value
            test: Callable[[Any], bool] = {
                "minimum": lambda x: x >= bound, "maximum": lambda x: x <= bound,
                "exclusiveMinimum": lambda x: x > bound, "exclusiveMaximum": lambda x: x < bound}[key]
            return lambda v: not _is_number(v) or test(v)
        if key == "propertyNames":
            name = self.compile(value)
            return lambda v: not isinstance(v, dict) or all(name(k) for k in v)
        raise Unsupported(key)

    def types_of(self, schema: Any) -> frozenset[str]:
        """The JSON types ``schema`` admits at most, from its own or its $ref's ``type``."""
        if isinstance(schema, dict) and "type" in schema:
            names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            return frozenset(names)
        if isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and schema["$ref"].startswith("#/$defs/"):
            return self.types_of(self.root["$defs"][schema["$ref"][len("#/$defs/"):]])
        raise Unsupported("oneOf option without a type")

    def disjoint_types(self, options: list[Any]) -> None:
        seen: set[str] = set()
        for option in options:
            types = self.types_of(option)
            # "number" admits integers: treat the two as overlapping
            widened = set(types) | ({"number", "integer"} if types & {"number", "integer"} else set())
            if widened & seen:
                raise Unsupported("oneOf with overlapping types")
            seen |= widened


def compile_schema(schema: Mapping[str, Any]) -> Check | None:
    """A checker that answers True only for documents ``schema`` certainly accepts; None
    when the schema uses a keyword this module does not interpret."""
    try:
        return _Compiler(schema).compile(dict(schema))
    except (Unsupported, KeyError, TypeError, ValueError, re.error):
        return None
