"""The fast pre-check never vouches for a document that jsonschema rejects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from permgate.load.fastschema import compile_schema
from permgate.load.schemas import KINDS, fast_check, schema, validator
from permgate.load.source import FsSource
from permgate.load.yamldoc import decode, parse

PROJECT = Path(__file__).resolve().parents[2]

scalars = st.one_of(
    st.sampled_from(["E000001", "P083", "retail-sales", "2022-07-01", "2022-13-01", "2023-02-29", "2024-02-29",
                     "", " x", "x" * 130, "٢٠٢٢-٠٧-٠١", "2022-07-01\n", "-bad", "a.b:c_d", "reason, ticket 1"]),
    st.text(max_size=6), st.integers(-3, 3), st.booleans(), st.none(), st.floats(allow_nan=False, width=16),
)
KEYS = ["employee", "grants", "permission", "granted_by", "granted_on", "reason", "expires", "people", "id",
        "name", "division", "manager", "permissions", "owner_division", "description", "retired", "sensitive",
        "grants_access", "division_since", "function", "waivers", "rule", "path", "until", "approved_by", "x"]
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)), max_leaves=12)


def grants_doc() -> st.SearchStrategy[Any]:
    grant = st.fixed_dictionaries(
        {"permission": st.sampled_from(["P001", "P083", 83, "no", ""]),
         "granted_by": st.sampled_from(["E000005", "E 5", True]),
         "granted_on": st.sampled_from(["2022-07-01", "2022-02-30", "22-07-01", 20220701])},
        optional={"reason": st.one_of(st.just("ticket"), scalars), "expires": scalars, "x": values})
    return st.fixed_dictionaries({"employee": st.sampled_from(["E000009", "E9!", None]),
                                  "grants": st.one_of(st.lists(grant, max_size=3), values)},
                                 optional={"x": values})


def jsonschema_accepts(kind: str, doc: Any) -> bool:
    return not list(validator(kind).iter_errors(doc))


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=st.one_of(values, grants_doc()))
def test_fast_check_is_sufficient(kind: str, doc: Any) -> None:
    fast = fast_check(kind)
    if fast is not None and fast(doc):
        assert jsonschema_accepts(kind, doc), doc


@settings(max_examples=200, deadline=None)
@given(doc=grants_doc())
def test_fast_check_on_grants_documents(doc: Any) -> None:
    fast = fast_check("grants")
    assert fast is not None
    if fast(doc):
        assert jsonschema_accepts("grants", doc), doc


def test_valid_files_take_the_fast_path() -> None:
    root = PROJECT / "examples" / "incident-2023"
    source = FsSource(str(root))
    rels = ["catalog.yaml", "people.yaml", "assignments/retail-sales/E000009.yaml"]
    for rel, kind in zip(rels, ["catalog", "people", "grants"], strict=True):
        doc = parse(decode(source.read_bytes(rel, 1 << 20), rel), rel)
        fast = fast_check(kind)
        assert fast is not None and fast(doc.data), rel


def test_unknown_keywords_compile_to_none() -> None:
    assert compile_schema({"type": "object", "patternProperties": {"^x": {}}}) is None
    assert compile_schema({"oneOf": [{"type": "string"}, {"type": "string", "maxLength": 3}]}) is None
    assert compile_schema({"type": "string", "format": "email"}) is None
    assert compile_schema({"$ref": "https://example.invalid/s.json"}) is None
    check = compile_schema({"oneOf": [{"type": "string"}, {"type": "null"}]})
    assert check is not None and check(None) and check("x") and not check(3)
    assert schema("grants")["$defs"]["grant"]["additionalProperties"] is False


# --- policy and config files: if/then, untyped oneOf, uniqueItems, minItems, bounds, propertyNames


def mostly(valid: st.SearchStrategy[Any], other: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Valid three times in four, so that the checker is asked about documents it may vouch for."""
    return st.integers(0, 3).flatmap(lambda i: valid if i else other)  # (one_of(v, v, v, o) has a huge repr)


division_lists = st.lists(st.sampled_from(["distribution", "retail-sales", "corporate"]), min_size=1, max_size=3)
divisions = mostly(division_lists, st.one_of(
    st.lists(st.sampled_from(["distribution", "-bad", 3, ""]), max_size=3), scalars))
ids = mostly(st.lists(st.sampled_from(["P001", "P083", "E000001"]), min_size=1, max_size=3),
             st.one_of(st.lists(st.sampled_from(["P001", "P 1", 83, True, None]), max_size=3), scalars))
duty = st.fixed_dictionaries({"name": mostly(st.just("approve"), st.sampled_from(["Approve", 3]))},
                             optional={"any_of": ids, "all_of": ids})
rule = st.fixed_dictionaries(
    {"id": mostly(st.just("no-x"), st.sampled_from(["No-x", "a--b", 5])),
     "kind": mostly(st.sampled_from(["forbidden-owner", "separation-of-duties"]),
                    st.sampled_from(["other", 1])),
     "severity": mostly(st.sampled_from(["error", "note"]), st.sampled_from(["fatal", 2])),
     "summary": mostly(st.just("s"), st.sampled_from(["", "x" * 301, 1]))},
    optional={"waivable": mostly(st.booleans(), st.just("no")),
              "description": mostly(st.just("d"), scalars),
              "owner_divisions": divisions, "grantee_divisions": divisions,
              "duties": mostly(st.lists(duty, min_size=2, max_size=3), st.one_of(st.lists(duty, max_size=1), scalars))})
number = st.one_of(st.integers(-2, 40000), st.floats(-1, 2, width=16), st.booleans(), st.none(),
                   st.sampled_from([0, 1, 36500, 36501, 0.0, 1.0, 1.5, 10.0]))
delegate = st.fixed_dictionaries({"granter": mostly(st.just("E000001"), st.sampled_from(["E 1", 1]))},
                                 optional={"employees": ids, "divisions": divisions, "reason": scalars})
policy_settings = st.fixed_dictionaries({}, optional={
    "granter-authority": mostly(st.fixed_dictionaries({"delegates": st.lists(delegate, max_size=3)}),
                                st.one_of(st.dictionaries(st.just("x"), values), scalars)),
    "bulk-grant": st.dictionaries(st.sampled_from(["share", "min_grants", "max_added", "x"]), number, max_size=3),
    "expiry-required": st.dictionaries(st.sampled_from(["max_days", "x"]), number, max_size=2),
    "waivers": st.dictionaries(st.sampled_from(["max_days"]), number, max_size=1),
    "missing-justification": st.dictionaries(st.sampled_from(["pattern"]), scalars, max_size=1),
    "privilege-management": st.dictionaries(st.sampled_from(["functions"]), divisions, max_size=1)})
policy_doc = st.fixed_dictionaries({}, optional={"rules": mostly(st.lists(rule, max_size=3), scalars),
                                                 "settings": mostly(policy_settings, scalars)})
config_doc = st.fixed_dictionaries({}, optional={
    "paths": st.dictionaries(st.sampled_from(["catalog", "people", "assignments", "policies", "waivers", "x"]),
                             mostly(st.just("dir"), scalars), max_size=3),
    "severity": st.dictionaries(mostly(st.just("self-grant"), st.one_of(st.sampled_from(["Self", "a--b", "x" * 81]),
                                                                      st.integers(0, 2))),
                                st.sampled_from(["error", "warning", "note", "info", 1]), max_size=3),
    "max_file_bytes": number, "x": values})


@pytest.mark.parametrize("kind", ["policy", "config", "policy-tests"])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=st.one_of(policy_doc, config_doc))
def test_fast_check_on_policy_and_config_documents(kind: str, doc: Any) -> None:
    fast = fast_check(kind)
    assert fast is not None
    if fast(doc):
        assert jsonschema_accepts(kind, doc), doc


def _forbidden(**extra: Any) -> dict[str, Any]:
    return {"rules": [{"id": "no-x", "kind": "forbidden-owner", "severity": "error", "summary": "s",
                       "owner_divisions": ["distribution"], "grantee_divisions": ["retail-sales"], **extra}]}


def _sod(*duties: dict[str, Any]) -> dict[str, Any]:
    return {"rules": [{"id": "sod", "kind": "separation-of-duties", "severity": "error", "summary": "s",
                       "duties": list(duties)}]}


@pytest.mark.parametrize(("kind", "doc", "fast_ok"), [
    ("policy", _forbidden(), True),
    ("policy", _forbidden(duties=[]), False),  # the `then` of the other kind's `if` does not apply: the own one does
    ("policy", _sod({"name": "a", "any_of": ["P1"]}, {"name": "b", "all_of": ["P2", "P3"]}), True),
    ("policy", _sod({"name": "a", "any_of": ["P1"], "all_of": ["P2"]}, {"name": "b", "all_of": ["P2"]}), False),
    ("policy", _sod({"name": "a"}, {"name": "b", "all_of": ["P2"]}), False),  # oneOf: neither option
    ("policy", _sod({"name": "a", "any_of": ["P1"]}), False),  # minItems 2
    ("policy", _forbidden(owner_divisions=["distribution", "distribution"]), False),  # uniqueItems
    ("policy", _forbidden(owner_divisions=[]), False),  # minItems 1
    ("policy", {"settings": {"bulk-grant": {"share": 0.5, "min_grants": 3}}}, True),
    ("policy", {"settings": {"bulk-grant": {"share": 0}}}, False),  # exclusiveMinimum
    ("policy", {"settings": {"bulk-grant": {"share": 1.5}}}, False),  # maximum
    ("policy", {"settings": {"expiry-required": {"max_days": 36501}}}, False),
    ("policy", {"settings": {"expiry-required": {"max_days": True}}}, False),
    ("policy", {}, False),  # anyOf: rules or settings
    ("config", {"severity": {"self-grant": "warning"}, "max_file_bytes": 4096}, True),
    ("config", {"severity": {"Self-Grant": "warning"}}, False),  # propertyNames
    ("config", {"max_file_bytes": 1023}, False),  # minimum
])
def test_policy_and_config_fast_check_cases(kind: str, doc: dict[str, Any], fast_ok: bool) -> None:
    fast = fast_check(kind)
    assert fast is not None
    assert fast(doc) is fast_ok
    assert jsonschema_accepts(kind, doc) is fast_ok  # each case is one jsonschema decides the same way


def test_valid_policy_files_take_the_fast_path() -> None:
    root = PROJECT / "examples" / "incident-2023"
    for rel in ["policies/governance.yaml", "policies/unbundling.yaml"]:
        doc = parse(decode((root / rel).read_bytes(), rel), rel)
        fast = fast_check("policy")
        assert fast is not None and fast(doc.data), rel


def test_exact_subschemas_refuse_inexact_keywords() -> None:
    # `if` needs a condition decided exactly; a number type or a pattern is not
    assert compile_schema({"if": {"type": "integer"}, "then": {"type": "string"}}) is None
    assert compile_schema({"if": {"pattern": "^a"}, "then": {"type": "string"}}) is None
    assert compile_schema({"oneOf": [{"required": ["a"]}, {"minProperties": 1}]}) is None
    check = compile_schema({"if": {"properties": {"k": {"const": "a"}}, "required": ["k"]},
                            "then": {"required": ["x"]}, "else": {"required": ["y"]}})
    assert check is not None
    assert check({"k": "a", "x": 1}) and not check({"k": "a", "y": 1})
    assert check({"k": "b", "y": 1}) and not check({"k": "b", "x": 1}) and check({"y": 1})
