"""The run cache keeps a run's output as its bytes, written as the report streams: a warm run gives
the cold run's bytes, an output that does not check out (changed, cut short) is never given, and an
output that stopped short is never stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from permgate.commands.check import CheckSettings, run_check
from permgate.runtime import cache as caching
from tests.anomaly_org import TODAY, build
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("runcache") / "org"
    build(root)
    (root / "policies" / "waivers.yaml").unlink()  # a streamed report
    return root


def _outputs(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.rglob("runs/*.out"))


@pytest.mark.parametrize("fmt", ["json", "text", "sarif", "markdown"])
def test_warm_gives_the_cold_bytes_and_a_bad_output_is_never_given(org: Path, tmp_path: Path, fmt: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(caching, "RACY_SECONDS", 0.0)
    cache_dir = tmp_path / "cache"
    args = ["check", "--root", str(org), "--today", TODAY.isoformat(), "--format", fmt]
    plain = run_cli(*args, "--no-cache")
    cold = run_cli(*args, "--cache-dir", str(cache_dir))
    [stored] = _outputs(cache_dir)
    assert stored.read_bytes() == plain.stdout_bytes
    warm = run_cli(*args, "--cache-dir", str(cache_dir))
    assert plain.stdout_bytes == cold.stdout_bytes == warm.stdout_bytes
    assert plain.exit_code == cold.exit_code == warm.exit_code == 1
    good = stored.read_bytes()
    # one byte changed, the size kept: the CRC-32 refuses it, the run is judged again and stored again
    stored.write_bytes(good[:100] + bytes([good[100] ^ 1]) + good[101:])
    assert run_cli(*args, "--cache-dir", str(cache_dir)).stdout_bytes == plain.stdout_bytes
    assert stored.read_bytes() == good
    stored.write_bytes(good[:-1])  # cut short
    assert run_cli(*args, "--cache-dir", str(cache_dir)).stdout_bytes == plain.stdout_bytes
    stored.unlink()  # the entry without its output
    assert run_cli(*args, "--cache-dir", str(cache_dir)).stdout_bytes == plain.stdout_bytes
    assert stored.read_bytes() == good


def test_an_output_that_stops_short_is_not_stored(org: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(caching, "RACY_SECONDS", 0.0)
    cache_dir = tmp_path / "cache"
    settings = CheckSettings(root=str(org), format="json", today=TODAY, cache_dir=str(cache_dir))
    outcome = run_check(settings)
    assert outcome.body is not None
    body = iter(outcome.body)
    next(body)
    body.close()  # the reader went away (a closed pipe)
    assert _outputs(cache_dir) == []
    assert not list(cache_dir.rglob("runs/*.json"))
    assert not list(cache_dir.rglob("runs/.tmp-*"))
    whole = run_check(settings).text()
    assert len(_outputs(cache_dir)) == 1
    assert run_check(settings).text() == whole


def test_outputs_a_process_never_finished_are_removed_once_stale(tmp_path: Path) -> None:
    import os
    import time

    cache = caching.Cache(str(tmp_path))
    runs = Path(cache.base) / "runs"
    runs.mkdir(parents=True)
    old, fresh = runs / ".tmp-old", runs / ".tmp-fresh"
    old.write_bytes(b"half an output")
    fresh.write_bytes(b"being written")
    hour_ago = time.time() - 3700
    os.utime(old, (hour_ago, hour_ago))
    cache.put_run("k", "out", "", 0)
    assert not old.exists() and fresh.exists()
    hit = cache.get_run("k")
    assert hit is not None and b"".join(hit.body) == b"out"
