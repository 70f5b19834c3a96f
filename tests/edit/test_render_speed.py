"""``render.double_quoted``'s fast path (a text with nothing to escape, quoted as it is) equals the
character-by-character plain path, ``quoted_by_character``."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from permgate.edit.render import _NOTHING_TO_ESCAPE, double_quoted, quoted_by_character

EDGES = "\t\n\r\x00\x7f\x85\xa0\u2027\u2028\u2029\u202a\ud7ff\ue000\ufefe\ufeff\uff00\ufffd\ufffe\"\\ aé異\U0001f600"


@settings(max_examples=600)
@given(st.text(alphabet=st.sampled_from(EDGES) | st.characters(), max_size=30))
def test_quoted_as_it_is_only_when_nothing_needs_escaping(text: str) -> None:
    assert double_quoted(text) == quoted_by_character(text)


def test_the_fast_path_is_taken_and_declined() -> None:
    assert _NOTHING_TO_ESCAPE.fullmatch("imported from access.csv (source: screen): no ticket")
    for ch in "\t\n\"\\\x85\u2028\ufeff\x7f":
        assert not _NOTHING_TO_ESCAPE.fullmatch(f"a{ch}b")
        assert double_quoted(f"a{ch}b") == quoted_by_character(f"a{ch}b") != f'"a{ch}b"'
