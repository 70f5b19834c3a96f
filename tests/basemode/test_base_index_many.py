"""``BaseIndex.files_of_many`` (one pass of a regular expression over the index, for the 20,000
holders of a changed role) answers as ``files_of`` (a string search per employee) does, for every
employee: ids that need JSON escapes, ids that are prefixes of others, employees with no file,
rows without paths, and indexes that do not check out."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from permgate.change import base_index
from permgate.change.base_index import BaseIndex

ODD_IDS = ["E1", "E10", "E1,", 'E1"', 'E1", "x', "E1\\", "E1\\\"", "É", "e\u2028", "E 1", "[E1]", "", "E1]"]


def _plain(index: BaseIndex, employees: list[str]) -> dict[str, list[str]] | None:
    out: dict[str, list[str]] = {}
    for e in employees:
        row = index.files_of(e)
        if row is None:
            return None
        out[e] = row
    return out


def _many(index: BaseIndex, employees: list[str]) -> dict[str, list[str]] | None:
    old = base_index.MANY_LOOKUPS
    base_index.MANY_LOOKUPS = 0  # the pass over the index whatever the number asked
    try:
        return index.files_of_many(employees)
    finally:
        base_index.MANY_LOOKUPS = old


@given(st.dictionaries(st.sampled_from(ODD_IDS) | st.text(min_size=0, max_size=6),
                       st.lists(st.sampled_from(["assignments/a.yaml", "assignments/b,\".yaml", "assignments/é.yml"]),
                                max_size=3, unique=True), max_size=12),
       st.lists(st.sampled_from(ODD_IDS) | st.text(max_size=6), max_size=12))
@settings(max_examples=300, deadline=None)
def test_many_look_ups_equal_one_by_one(rows: dict[str, list[str]], asked: list[str]) -> None:
    index = BaseIndex(BaseIndex.encode(rows), [], "memory")
    wanted = sorted({*asked, *rows})
    assert _many(index, wanted) == _plain(index, wanted)
    assert index.files_of_many(wanted) == _plain(index, wanted)  # the string search below MANY_LOOKUPS


def test_an_index_that_does_not_check_out_is_refused_both_ways() -> None:
    good = BaseIndex.encode({"E1": ["assignments/a.yaml"], "E2": ["assignments/b.yaml"]})
    for lines in (
        good.replace('["E2", "assignments/b.yaml"]', '["E2", 3]'),           # a path that is not a string
        good.replace('["E2", "assignments/b.yaml"]', '["E2", "assignments/b.yaml"'),  # cut short
        good.replace('["E2", ', '["E2\\q", '),                               # an escape JSON has not
        good + '["E3" , "x"]\n',                                             # not as encode writes it
    ):
        index = BaseIndex(lines, [], "cached")
        asked = ["E1", "E2", "E3"]
        assert _many(index, asked) == _plain(index, asked)
    # a row that does not parse is refused, not read as "no files"
    assert _many(BaseIndex(good.replace('"assignments/b.yaml"]', '"assignments/b.yaml"'), [], "cached"),
                 ["E1", "E2"]) is None


def test_the_first_row_with_paths_is_the_one_read_as_by_the_string_search() -> None:
    # a hand-edited (or corrupt) cache entry naming an employee twice: both ways read the same row
    lines = "\n" + "\n".join([json.dumps(["E1"]), json.dumps(["E1", "assignments/x.yaml"]),
                              json.dumps(["E1", "assignments/y.yaml"])]) + "\n"
    index = BaseIndex(lines, [], "cached")
    assert _many(index, ["E1"]) == _plain(index, ["E1"]) == {"E1": ["assignments/x.yaml"]}
