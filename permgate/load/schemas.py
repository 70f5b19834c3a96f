"""The bundled JSON Schemas, and validation that answers with file positions.

``permgate schema KIND`` prints these files so editors can validate grant files too.
An error is reported at the line of the offending value (or of the unknown key), with
the JSON path and a hint in words: ``grants[2].granted_on: `2022-13-01` is not a date``.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:  # jsonschema takes a tenth of a second to import: only runs that validate pay it
    import jsonschema
    from jsonschema import Draft202012Validator

from permgate.load.fastschema import Check, compile_schema
from permgate.load.yamldoc import Document, JsonPath, show

KINDS = ("catalog", "people", "grants", "policy", "config", "waivers", "policy-tests", "baseline",
         "review", "campaign", "roles")

_TYPE_WORDS = {bool: "a boolean", int: "a number", float: "a number", type(None): "null",
               dict: "a mapping", list: "a list", str: "a string"}
_SCHEMA_TYPE_WORDS = {"string": "a string", "array": "a list", "object": "a mapping",
                      "boolean": "true or false", "integer": "a whole number", "null": "null"}


class SchemaProblem(NamedTuple):
    line: int
    column: int
    message: str
    path: JsonPath


def schema_text(kind: str) -> str:
    """The schema of ``kind`` as shipped, byte for byte."""
    return resources.files("permgate.schemas").joinpath(f"{kind}.schema.json").read_text("utf-8")


@cache
def schema(kind: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_text(kind))
    return loaded


@cache
def validator(kind: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema(kind), format_checker=Draft202012Validator.FORMAT_CHECKER)


def format_path(path: JsonPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{show(part)}" if out else show(part))
    return out or "(top level)"


def _describe(value: Any, raw: str | None) -> str:
    if raw is not None:
        return f"`{show(raw)}`, which YAML reads as {_TYPE_WORDS.get(type(value), 'a non-string')}"
    if isinstance(value, str):
        return f"`{show(value)}`"
    return _TYPE_WORDS.get(type(value), type(value).__name__)


def _problem(doc: Document, err: jsonschema.ValidationError) -> SchemaProblem:
    path: JsonPath = tuple(err.absolute_path)
    where = format_path(path)
    raw = doc.raw.get(path)
    sub_schema: dict[str, Any] = err.schema if isinstance(err.schema, dict) else {}
    hint = sub_schema.get("x-hint")
    line, column = doc.position(path)
    v = err.validator
    expected: Any = err.validator_value
    if v == "additionalProperties" and isinstance(err.instance, dict):
        allowed = sorted(sub_schema.get("properties", {}))
        extra = sorted(k for k in err.instance if k not in allowed)
        key = extra[0] if extra else "?"
        line, column = doc.key_positions.get((*path, key), (line, column))
        msg = f"{where}: unknown key `{show(key)}` (allowed: {', '.join(allowed)})"
        return SchemaProblem(line, column, msg, (*path, key))
    if v == "required":
        missing = [k for k in expected if isinstance(err.instance, dict) and k not in err.instance]
        msg = f"{where}: missing required key `{missing[0] if missing else err.message}`"
    elif v == "type":
        wanted = [expected] if isinstance(expected, str) else list(expected)
        wanted_words = " or ".join(_SCHEMA_TYPE_WORDS.get(t, t) for t in wanted)
        msg = f"{where}: expected {wanted_words}, got {_describe(err.instance, raw)}"
        if raw is not None and "string" in str(wanted):
            msg += f"; quote it: \"{show(raw)}\""
    elif v == "format" and expected == "date":
        msg = f"{where}: `{show(str(err.instance))}` is not a real calendar date (YYYY-MM-DD)"
    elif v == "pattern":
        msg = f"{where}: {_describe(err.instance, raw)} is not {hint or 'of the expected form'}"
    elif v == "enum":
        msg = f"{where}: {_describe(err.instance, raw)} is not one of {', '.join(map(str, expected))}"
    elif v == "const":
        msg = f"{where}: must be {expected!r}"
    elif v == "oneOf" and isinstance(err.instance, dict) and sub_schema.get("x-one-of"):
        msg = f"{where}: {sub_schema['x-one-of']}"
    elif v == "oneOf" and hint:
        msg = f"{where}: {_describe(err.instance, raw)} is not {hint}"
    elif v == "anyOf" and all(isinstance(alt, dict) and set(alt) == {"required"} for alt in expected):
        keys = [k for alt in expected for k in alt["required"]]
        msg = f"{where}: needs at least one of the keys {', '.join(f'`{k}`' for k in keys)}"
    elif v in ("maxLength", "minLength") and isinstance(err.instance, str):
        bound = "at most" if v == "maxLength" else "at least"
        msg = f"{where}: {_describe(err.instance, raw)} is {len(err.instance)} characters long; " \
              f"{bound} {expected} allowed"
    else:
        # jsonschema's own words quote the whole value, which may be huge or span lines
        msg = f"{where}: {show(err.message, 200)}"
    if hint and v in ("type", "minLength", "maxLength"):
        msg += f" ({hint})"
    return SchemaProblem(line, column, msg, path)


@cache
def fast_check(kind: str) -> Check | None:
    """The conservative pre-check of ``kind`` (``fastschema``), or None."""
    return compile_schema(schema(kind))


def validate(doc: Document, kind: str) -> list[SchemaProblem]:
    """Every schema violation of ``doc``, sorted by position; empty when valid."""
    fast = fast_check(kind)
    if fast is not None and fast(doc.data):
        return []  # certainly valid: skip the (slow, explaining) full validation
    problems = [_problem(doc, e) for e in validator(kind).iter_errors(doc.data)]
    return sorted(set(problems), key=lambda p: (p.line, p.column, p.message))
