"""JSON text written piece by piece is byte for byte what ``json.dumps(indent=2)`` writes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from permgate.findings import Finding, Related, Waived
from permgate.reporters import REPORTERS, Report, json_format, sarif
from permgate.reporters.jsontext import ITEMS, Raw, array, dumps, dumps_around, encode

texts = st.one_of(st.text(max_size=8), st.sampled_from(["", "\"", "\\", "\n\r\t", "\x00\x1f\x7f", "é電\u2028",
                                                        "\ud800", "</script>", "{\"a\": [1, 2]}", ",\n  "]))
scalars = st.one_of(texts, st.integers(), st.booleans(), st.none(),
                    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, -0.0, 1e300, 1.5]))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.lists(inner, max_size=3).map(tuple),
    st.dictionaries(texts, inner, max_size=4)), max_leaves=20)


def reference(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


@settings(max_examples=500, deadline=None)
@given(values)
def test_dumps_is_json_dumps(value: Any) -> None:
    assert dumps(value) == reference(value)


def test_nested_and_empty_containers() -> None:
    value = {"b": [], "a": {}, "c": [{"x": 1, "y": [1, {"z": None}]}, {}], "d": {"k": "v", "j": True, "i": 1.0}}
    assert dumps(value) == reference(value)
    assert dumps([]) == "[]" and dumps({}) == "{}" and dumps("x\n") == '"x\\n"'


def test_unencodable_values_fail_as_json_does() -> None:
    with pytest.raises(TypeError):
        dumps({"a": object()})
    with pytest.raises(TypeError):
        dumps({1: "a", "b": 2})  # json cannot sort int and str keys either
    with pytest.raises(TypeError):
        reference({1: "a", "b": 2})


def test_raw_text_and_arrays_place_pre_encoded_pieces() -> None:
    items = [encode({"a": [1]}, "    "), encode("x", "    ")]
    doc = {"list": Raw(array(items, "  ")), "n": 1}
    assert dumps(doc) == reference({"list": [{"a": [1]}, "x"], "n": 1})
    assert array([], "  ") == "[]"


related = st.builds(Related, texts, st.integers(0, 10**6), st.integers(0, 99), texts)
waived = st.builds(Waived, texts, texts, texts, texts, texts, st.integers(0, 10**6), st.integers(0, 99))
findings = st.builds(
    Finding, st.sampled_from(["self-grant", "granter-authority"]), st.sampled_from(["error", "warning", "note"]),
    texts, texts, st.integers(0, 10**6), st.integers(0, 99), st.one_of(st.none(), texts), st.one_of(st.none(), texts),
    st.lists(related, max_size=3).map(tuple), st.one_of(st.none(), waived),
    # companions come from grouping (tests/engine/test_grouping.py), role from roles: drawn apart
    baselined=st.none(), role=st.none(), companions=st.just(()))


def reference_report(report: Report) -> str:
    doc = {"version": json_format.VERSION, "findings": [f.to_dict() for f in report.findings],
           "summary": report.summary()}
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@settings(max_examples=300, deadline=None)
@given(st.lists(findings, max_size=5), st.dictionaries(texts, scalars, max_size=2))
def test_json_report_is_the_documented_json_dumps(found: list[Finding], extra: dict[str, Any]) -> None:
    report = Report(findings=tuple(found), files=3, grants=9, extra_summary=extra)
    assert REPORTERS["json"](report) == reference_report(report)


def test_json_report_in_base_mode_and_empty() -> None:
    f = Finding("self-grant", "error", "m \"q\" é", "a.yaml", 4, 5, "E1", None, (Related("p.yaml", 1, 3, "x"),),
                Waived("E2", "2030-01-01", "ACC-1", "r", "policies/waivers.yaml", 3, 5))
    for report in (Report(findings=()), Report(findings=(f,), preexisting=(f,), base_ref="main", base_commit="abc",
                                                extra_summary={"changed_paths": 2})):
        assert REPORTERS["json"](report) == reference_report(report)


def test_the_template_is_used_for_usual_findings_and_agrees() -> None:
    assert json_format._KNOWN_SHAPE
    f = Finding("r", "error", "m", "a.yaml", 1, 2, None, "P1", (Related("c.yaml", 3, 3, "x"),))
    assert json_format._templated(f) == encode(f.to_dict(), "    ")


def test_unusual_field_types_take_the_general_way() -> None:
    # a bool where an int belongs: json writes `true`, which the template's %d would not
    f = Finding("r", "error", "m", "a.yaml", True, 2)  # type: ignore[arg-type]
    with pytest.raises(json_format._Unusual):
        json_format._templated(f)
    report = Report(findings=(f,))
    assert REPORTERS["json"](report) == reference_report(report)
    assert '"line": true' in REPORTERS["json"](report)


@settings(max_examples=200, deadline=None)
@given(st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.one_of(st.integers(), st.booleans(), st.none()), inner, max_size=3),
    st.dictionaries(st.floats(allow_nan=False), inner, max_size=3)), max_leaves=10))
def test_keys_json_turns_into_strings(value: Any) -> None:
    try:
        expected = reference(value)
    except TypeError:  # keys json cannot sort against each other
        with pytest.raises(TypeError):
            dumps(value)
        return
    assert dumps(value) == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(values, max_size=4), st.dictionaries(texts, values, max_size=3), st.sampled_from(["", "  ", "    "]))
def test_dumps_around_places_the_items_as_an_array(items: list[Any], rest: dict[str, Any], pad: str) -> None:
    # the array at `pad`: inside `depth` nested single-key dicts
    depth = len(pad) // 2
    doc: Any = ITEMS
    expected: Any = items
    for _ in range(depth):
        doc, expected = {"k": doc}, {"k": expected}
    doc, expected = ([doc, rest], [expected, rest]) if depth == 0 else (doc, expected)
    if depth == 0:  # then the array sits in a list at the top: items at two spaces
        text = dumps_around(doc, [encode(i, "    ") for i in items], "  ", end="\n")
    else:
        text = dumps_around(doc, [encode(i, pad + "  ") for i in items], pad, end="\n")
    assert text == reference(expected) + "\n"


# --- SARIF: the locations written as text in place are what the plain dicts would give


def _plain_location(report: Report, path: str, line: int, column: int, pad: str) -> dict[str, Any]:
    """The location as it was built before: plain dicts, for json.dumps to lay out."""
    return {"physicalLocation": {
        "artifactLocation": {"uri": sarif._uri(report, path)},
        "region": {"startLine": max(line, 1), "startColumn": max(column, 1)},
    }}


# paths and ids are text a file system and UTF-8 can hold (a lone surrogate is refused earlier)
sarif_texts = texts.filter(lambda t: "\ud800" not in t)
sarif_related = st.builds(Related, sarif_texts, st.integers(-1, 10**6), st.integers(-1, 99), sarif_texts)
sarif_waived = st.builds(Waived, sarif_texts, sarif_texts, sarif_texts, sarif_texts, sarif_texts,
                         st.integers(0, 10**6), st.integers(0, 99))
sarif_findings = st.builds(
    Finding, st.sampled_from(["self-grant", "granter-authority", "other"]), st.sampled_from(["error", "note"]),
    sarif_texts, sarif_texts, st.integers(-1, 10**6), st.integers(-1, 99), st.one_of(st.none(), sarif_texts),
    st.one_of(st.none(), sarif_texts), st.lists(sarif_related, max_size=3).map(tuple),
    st.one_of(st.none(), sarif_waived), baselined=st.none(), role=st.none(), companions=st.just(()))


@settings(max_examples=60, deadline=None)
@given(st.lists(sarif_findings, max_size=4), st.sampled_from(["", "sub dir/", "é/"]), st.booleans(), st.booleans())
def test_sarif_is_what_json_dumps_makes_of_the_plain_result(found: list[Finding], prefix: str, base: bool,
                                                               with_rules: bool) -> None:
    from permgate.findings import RuleInfo

    rules = (RuleInfo("self-grant", "builtin", "error", "s", True),
             RuleInfo("granter-authority", "builtin", "warning", "g", True)) if with_rules else ()
    report = Report(findings=tuple(found), rules=rules, path_prefix=prefix,
                    base_ref="main" if base else None, base_commit="abc" if base else None)
    fast = REPORTERS["sarif"](report)
    original = sarif._location
    sarif._location = _plain_location  # type: ignore[assignment]
    try:
        plain = REPORTERS["sarif"](report)
    finally:
        sarif._location = original  # type: ignore[assignment]
    assert fast == plain
    assert fast == json.dumps(json.loads(fast), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


with_companions = st.builds(
    lambda f, companions, role: f._replace(companions=tuple(companions), role=role),
    findings, st.lists(findings, max_size=3), st.one_of(st.none(), texts))


@settings(max_examples=300, deadline=None)
@given(st.lists(with_companions, max_size=4))
def test_findings_with_companions_are_templated_as_json_dumps_writes_them(found: list[Finding]) -> None:
    # a grant crossing the boundary is one finding with its companions (engine/grouping.py): the
    # template writes them one list deeper, byte for byte as the general way
    for f in found:
        assert json_format._templated(f) == encode(f.to_dict(), "    ")
    report = Report(findings=tuple(found), files=1, grants=1)
    assert REPORTERS["json"](report) == reference_report(report)


def test_companions_the_template_cannot_write_take_the_general_way() -> None:
    inner = Finding("r", "error", "m", "a.yaml", 1, 2)
    nested = inner._replace(companions=(inner,))
    for f in (inner._replace(companions=(nested,)), inner._replace(companions=[inner]),  # type: ignore[arg-type]
              inner._replace(companions=(inner._replace(line=True),))):  # type: ignore[arg-type]
        with pytest.raises(json_format._Unusual):
            json_format._templated(f)
        report = Report(findings=(f,))
        assert REPORTERS["json"](report) == reference_report(report)
