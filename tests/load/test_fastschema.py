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
