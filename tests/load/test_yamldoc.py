"""Strict YAML: every rejection of item 3, at its line and column."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from permgate.errors import LoadError
from permgate.load.yamldoc import LOADER, SHOW_MAX, decode, parse, resolve_tag, show
from tests.conftest import check_json, pairs


def rejected(text: str) -> LoadError:
    with pytest.raises(LoadError) as info:
        parse(text, "f.yaml")
    return info.value


def test_values_keep_positions() -> None:
    doc = parse("employee: E1\ngrants:\n  - permission: P1\n    granted_on: 2022-07-01\n", "f.yaml")
    assert doc.data == {"employee": "E1", "grants": [{"permission": "P1", "granted_on": "2022-07-01"}]}
    assert doc.positions[("grants", 0)] == (3, 5)
    assert doc.positions[("grants", 0, "granted_on")] == (4, 17)
    assert doc.key_positions[("grants",)] == (2, 1)


def test_dates_keep_their_text_form() -> None:
    doc = parse("a: 2022-07-01\nb: 2001-12-14t21:59:43.10-05:00\n", "f.yaml")
    assert doc.data == {"a": "2022-07-01", "b": "2001-12-14t21:59:43.10-05:00"}


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ("employee: E1\ngrants: []\ngrants: []\n", 3, 1, "duplicate key `grants`"),
        ("- permission: P1\n  permission: P2\n", 2, 3, "duplicate key `permission`"),
        ("a: &x 1\n", 1, 4, "anchors"),
        ("a: &x [1]\nb: *x\n", 1, 4, "anchors"),
        ("a: *x\n", 1, 4, "aliases"),
        ("<<: {a: 1}\n", 1, 1, "merge"),
        ("a: !!python/object/apply:os.system [echo]\n", 1, 4, "tags"),
        ("a: !custom x\n", 1, 4, "tags"),
        ("a: !!str x\n", 1, 4, "tags"),
        ("a: b\n---\nc: d\n", 2, 1, "more than one YAML document"),
        ("a:\n\tb: c\n", 2, 1, "YAML syntax error"),
        ("? [a]\n: b\n", 1, 3, "complex"),
        ("yes: 1\n", 1, 1, "quote it"),
        ("a: =\n", 1, 4, "quote it"),
    ],
)
def test_rejections_are_located(text: str, line: int, column: int, words: str) -> None:
    err = rejected(text)
    assert (err.line, err.column) == (line, column)
    assert words in err.detail


@pytest.mark.parametrize(
    ("text", "value"),
    [("a: no\n", False), ("a: on\n", True), ("a: 0123\n", 83), ("a: 1e3\n", 1000.0), ("a: ~\n", None)],
)
def test_plain_scalars_resolve_like_yaml_and_keep_raw_text(text: str, value: object) -> None:
    doc = parse(text, "f.yaml")
    assert doc.data["a"] == value
    assert doc.raw[("a",)] == text[3:-1]


def test_quoted_scalars_stay_strings() -> None:
    doc = parse("a: 'no'\nb: \"0123\"\n", "f.yaml")
    assert doc.data == {"a": "no", "b": "0123"}
    assert doc.raw == {}


def test_nesting_is_bounded() -> None:
    err = rejected("a: " + "[" * 200 + "]" * 200 + "\n")
    assert "nesting deeper" in err.detail


def test_empty_and_comment_only_files_are_empty() -> None:
    assert parse("", "f.yaml").empty
    assert parse("# nothing\n", "f.yaml").empty


def test_decode_refuses_bad_utf8_at_its_position() -> None:
    with pytest.raises(LoadError) as info:
        decode(b"a: b\nc: \xff\n", "f.yaml")
    assert (info.value.line, info.value.column) == (2, 4)


def test_decode_drops_utf8_bom_and_refuses_utf16() -> None:
    assert decode(b"\xef\xbb\xbfa: b\n", "f.yaml") == "a: b\n"
    with pytest.raises(LoadError):
        decode("a: b\n".encode("utf-16"), "f.yaml")


@pytest.mark.parametrize(("text", "value"), [("a: 0o17\n", 15), ("a: 2e3\n", 2000.0), ("a: -1.5E-2\n", -0.015)])
def test_yaml_1_2_numbers_are_numbers_so_they_are_not_taken_for_ids(text: str, value: object) -> None:
    """YAML 1.1 reads ``0o17`` and ``2e3`` as strings, YAML 1.2 as numbers: permgate takes the number,
    so a schema that wants a string refuses it instead of accepting an id another reader sees otherwise."""
    doc = parse(text, "f.yaml")
    assert doc.data["a"] == value and type(doc.data["a"]) is type(value)
    assert doc.raw[("a",)] == text[3:-1]


def test_an_octal_permission_id_is_an_invalid_file(make_repo: Callable[..., Path]) -> None:
    path = "assignments/retail-sales/E000002.yaml"
    text = ("---\nemployee: E000002\ngrants:\n  - permission: 0o17\n    granted_by: E000001\n"
            "    granted_on: 2026-01-05\n    reason: \"ticket ACC-00101\"\n")
    code, doc = check_json(make_repo({path: text}))
    assert code == 1
    assert pairs(doc) == {("invalid-file", path, 4)}
    assert doc["findings"][0]["message"].startswith(
        'grants[0].permission: expected a string, got `0o17`, which YAML reads as a number; quote it: "0o17"')


# --- mutation round 4: what the loader's helpers return, pinned directly ---------------------

def test_show_escapes_what_is_not_printable_and_cuts_long_text_at_the_limit() -> None:
    assert show("ab") == "ab"
    assert show("é\\ x") == "é\\ x"  # printable text is quoted as it is, backslash and non-ASCII too
    assert show("a\tb\u202ec") == "a\\tb\\u202ec"
    assert show("a" * SHOW_MAX) == "a" * SHOW_MAX
    assert show("a" * (SHOW_MAX + 1)) == "a" * SHOW_MAX + "..."
    assert show("abcdef", 3) == "abc..."


def test_the_public_resolve_tag_is_the_plain_scalar_resolution() -> None:
    assert resolve_tag("P1") is None
    assert resolve_tag("no") == "tag:yaml.org,2002:bool"
    assert resolve_tag("") == "tag:yaml.org,2002:null"


def test_an_empty_plain_value_is_null() -> None:
    doc = parse("a:\nb: x\n", "f.yaml")
    assert doc.data == {"a": None, "b": "x"}
    assert doc.positions[("b",)] == (2, 4)


def test_position_falls_back_to_the_nearest_located_ancestor() -> None:
    doc = parse("employee: E1\ngrants:\n  - permission: P1\n", "f.yaml")
    assert doc.position(("grants", 0, "reason")) == (3, 5)
    assert doc.position(("grants", 0, "reason", "deeper")) == (3, 5)
    assert doc.position(("grants", 0, "permission")) == (3, 17)
    assert parse("", "f.yaml").position(("grants", 0)) == (1, 1)


@pytest.mark.parametrize(("text", "line", "column", "name"), [
    ("x\x85y: 1\n", 1, 2, "U+0085 (NEXT LINE)"),
    ("a: 1\r\nb: x\u2028y\n", 2, 5, "U+2028 (LINE SEPARATOR)"),
    ("\nb: \u2029\n", 2, 4, "U+2029 (PARAGRAPH SEPARATOR)"),
    ("a: 1\rb: 2\n\nc: é\x85\n", 4, 5, "U+0085 (NEXT LINE)"),
])
def test_a_disputed_line_break_is_refused_where_a_yaml_1_2_reader_sees_it(
        text: str, line: int, column: int, name: str) -> None:
    with pytest.raises(LoadError) as info:
        decode(text.encode(), "dir/f.yaml")
    err = info.value
    assert (err.path, err.line, err.column) == ("dir/f.yaml", line, column)
    assert err.detail == (f"{name} is a line break to YAML 1.1 readers but not to YAML 1.2 readers, so they would "
                          "read different data; remove it (or write it as an escape in double quotes)")


def test_a_character_yaml_forbids_is_placed_by_characters_after_non_ascii_text() -> None:
    """The C parser counts UTF-8 bytes, the Python one characters: either way the place is in characters."""
    err = rejected("a: é\nb: x\nc: éé\x07\n")
    assert (err.path, err.line, err.column) == ("f.yaml", 3, 6)
    assert err.detail.startswith("YAML does not allow the character U+0007 (")


@pytest.mark.parametrize(("text", "line", "column", "detail"), [
    ("a: b: c\n", 1, 5, "mapping values are not allowed in this context"),
    ("a: [1, 2\n", 2, 1, "while parsing a flow sequence: did not find expected ',' or ']'"),
    ("a: @b\n", 1, 4, "while scanning for the next token: found character that cannot start any token"),
])
def test_a_syntax_error_says_the_parser_s_context_and_problem_in_full(
        text: str, line: int, column: int, detail: str) -> None:
    """(These are libyaml's words; the pure-Python parser words some of them otherwise.)"""
    err = rejected(text)
    assert (err.path, err.line, err.column) == ("f.yaml", line, column)
    if LOADER is not yaml.SafeLoader:
        assert err.detail == f"YAML syntax error: {detail}"
    else:
        assert err.detail.startswith("YAML syntax error: ")


@pytest.mark.parametrize(("error", "line", "column", "detail"), [
    (yaml.YAMLError("the parser gave up"), 1, 1, "YAML syntax error: the parser gave up"),
    (yaml.MarkedYAMLError(), 1, 1, "YAML syntax error: invalid YAML"),
    (yaml.MarkedYAMLError(context="while parsing x"), 1, 1, "YAML syntax error: while parsing x"),
    (yaml.YAMLError("y" * 201), 1, 1, "YAML syntax error: " + "y" * 200 + "..."),   # cut at 200 characters
    (yaml.MarkedYAMLError(problem="z" * 201), 1, 1, "YAML syntax error: " + "z" * 200 + "..."),
    (yaml.YAMLError("w" * 200), 1, 1, "YAML syntax error: " + "w" * 200),
])
def test_a_parser_error_without_a_place_or_words_still_fails_closed_at_1_1(
        monkeypatch: pytest.MonkeyPatch, error: yaml.YAMLError, line: int, column: int, detail: str) -> None:
    """libyaml always gives a mark and a problem (no input of a random search of 150,000 found otherwise);
    the loader still turns a bare parser error into a located ``LoadError``, never a traceback."""
    def failing(*args: object, **kwargs: object) -> None:
        raise error
    monkeypatch.setattr(yaml, "parse", failing)
    err = rejected("a: b\n")
    assert (err.path, err.line, err.column, err.detail) == ("f.yaml", line, column, detail)
