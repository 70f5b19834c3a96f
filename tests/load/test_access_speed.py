"""The export reader's fast paths are equal to its plain paths (docs/architecture.md, the performance table).

- ``text_lines`` (blocks of whole lines decoded and split in C) against ``plain_lines`` (line by line);
- ``_Rows.add_fields`` (the CSV reader's positional rows) against ``_Rows.add`` (a row as a dict, as
  the JSON Lines reader gives it).
"""

from __future__ import annotations

import io
import random

import pytest

from permgate.errors import ConfigError
from permgate.load import access
from permgate.load.access import _Rows, plain_lines, text_lines
from permgate.model import ByLine

PIECES = [b"E000001,P001,2026-01-01,,,screen\n", b"\n", b"\r\n", b"caf\xc3\xa9,P1\n", b"\xff\xfe", b"\x00",
          b"\xef\xbb\xbf", b"\xe3\x81\x82", b"\xe3\x81", b'"a\nb",c\n', b"\r", b"x" * 40, b"\xc3"]


def _both(data: bytes, block: int, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    def run(reader: object) -> object:
        problems: list[tuple[int, int, str]] = []
        try:
            lines = list(reader(io.BytesIO(data), "x.csv", lambda *p: problems.append(p)))  # type: ignore[operator]
        except ConfigError as err:
            return ("error", str(err))
        return lines, problems

    monkeypatch.setattr(access, "BLOCK_BYTES", block)
    return run(text_lines), run(plain_lines)


def test_block_lines_equal_line_by_line(monkeypatch: pytest.MonkeyPatch) -> None:
    rnd = random.Random(1516)
    for _ in range(3000):
        data = b"".join(rnd.choice(PIECES) for _ in range(rnd.randrange(0, 30)))
        fast, plain = _both(data, rnd.choice([1, 2, 7, 64, 1 << 22]), monkeypatch)
        assert fast == plain, data


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\xef\xbb\xbf\xef\xbb\xbfa\n", b"\xff\xfeE\x00",
                                  b"a\x00b\nc\n", b"ok\n\xc3(\nok\n", b"no newline at the end",
                                  b"a\r\nb\rc\n"])
def test_edge_files_equal_line_by_line(data: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    for block in (1, 3, 1 << 22):
        fast, plain = _both(data, block, monkeypatch)
        assert fast == plain


def test_positional_rows_equal_rows_by_field() -> None:
    rnd = random.Random(16)
    values = ["E000001", "E000002", "P001", "", "x y", "2026-01-01", "2026-02-30", "2026-1-1", "?", "screen"]
    fields = ("employee", "permission", "granted_on", "granted_by", "last_used", "source")
    columns = {f: i + 1 for i, f in enumerate(fields)}
    for present in ((True,) * 6, (True, True, False, False, False, False), (True, True, True, False, True, False)):
        by_dict, by_position = _Rows("x.csv"), _Rows("x.csv")
        by_dict.keep_source = by_position.keep_source = True
        for line in range(2, 400):
            row = {f: rnd.choice(values) for f, keep in zip(fields, present, strict=True) if keep}
            by_dict.add(line, row, columns)
            by_position.add_fields(line, row["employee"], row["permission"], row.get("granted_on"),
                                   row.get("granted_by"), row.get("last_used"), row.get("source"), columns)
        assert by_dict.result() == by_position.result()
        assert by_dict.result().problems  # the random rows hold bad ones: the comparison saw both kinds


def test_last_used_by_line_is_a_mapping_equal_to_the_dict() -> None:
    used = ByLine([2, 5, 9], ["2026-01-01", "2026-02-01", "2026-03-01"])
    assert used == {2: "2026-01-01", 5: "2026-02-01", 9: "2026-03-01"}
    assert used.get(5) == "2026-02-01" and used.get(4) is None and used.get(10) is None and used.get(1) is None
    with pytest.raises(ValueError):
        ByLine([5, 2], ["a", "b"])
