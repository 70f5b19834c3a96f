"""The baseline's fast path (``permgate.load.baseline._fast``) against the plain path it shortcuts.

The fast path must read exactly what the plain path (strict YAML + schema) reads, or decline.
"""

from __future__ import annotations

import pytest

from permgate.errors import ConfigError
from permgate.load.baseline import _fast, _plain, read_baseline

REL = "policies/baseline.yaml"
WRITTEN = """\
# a comment
created: 2026-06-01
expires: 2026-11-28
findings:
- {rule: bulk-grant, path: assignments/retail-sales/E000007.yaml}
- {rule: missing-justification, employee: E000001, permission: P001, count: 3}
- {rule: self-grant, employee: E000002, permission: P.001_x}
"""

#: variants the fast path must decline or read as the plain path does
MUTATIONS = [
    WRITTEN,
    WRITTEN.replace("E000002", '"E000002"'),               # quoted
    WRITTEN.replace("- {rule: self", "  - {rule: self"),     # indented
    WRITTEN.replace("E000002", "yes"),                     # a boolean to YAML: the schema refuses it
    WRITTEN.replace("E000002", "No"),
    WRITTEN.replace("E000002", "nothing"),                 # a word that merely starts like one
    WRITTEN.replace("P.001_x", "P001 # c"),                # a comment
    WRITTEN.replace("count: 3", "count: 03"),
    WRITTEN.replace("count: 3", "count: 0"),
    WRITTEN.replace("2026-11-28", "2026-02-30"),
    WRITTEN.replace("expires: 2026-11-28\n", "") + "expires: 2026-11-28\n",
    WRITTEN.replace("findings:\n", "findings:\n\n"),
    WRITTEN + "- {rule: self-grant, employee: E000002, permission: P.001_x}\n",  # a repeated entry
    WRITTEN.rstrip("\n"),
    WRITTEN.replace("\n", "\r\n"),
]


def _outcome(read, text):  # type: ignore[no-untyped-def]
    try:
        return read(text, REL)
    except ConfigError as err:
        return ("error", str(err))


@pytest.mark.parametrize("text", MUTATIONS)
def test_fast_path_reads_what_the_plain_path_reads_or_declines(text: str) -> None:
    fast = _outcome(_fast, text)
    if fast is not None:
        assert fast == _outcome(_plain, text)
    assert _outcome(read_baseline, text) == _outcome(_plain, text)


def test_the_written_layout_takes_the_fast_path_with_the_plain_lines() -> None:
    fast = _fast(WRITTEN, REL)
    assert fast is not None and fast == _plain(WRITTEN, REL)
    assert fast.entries[("missing-justification", "E000001", "P001")] == (3, 6, 3)
    assert fast.expires_loc.line == 3


def test_a_boolean_word_is_refused_like_everywhere_else() -> None:
    with pytest.raises(ConfigError) as err:
        read_baseline(WRITTEN.replace("E000002", "yes"), REL)
    assert (err.value.path, err.value.line) == (REL, 7)
