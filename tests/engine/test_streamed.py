"""The streamed check (``engine.chunked.check_streamed``): findings rendered in the chunks that judged
them, parked in a spool and written back in order, give the plain report byte for byte, in every
streamed format, whatever the chunk size and the number of workers; the cases it cannot place fall
back to the plain path; and the parent never holds a chunk's findings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from permgate.commands import check as check_command
from permgate.commands.check import CheckSettings, run_check
from permgate.engine import chunked
from permgate.engine import evaluation as engine
from permgate.findings import Finding, Related, Violation
from permgate.model import LoadProblem
from permgate.reporters import REPORTERS, STREAMED, sarif
from permgate.runtime.spool import Spool
from tests.anomaly_org import TODAY, Planted, build

Outputs = dict[str, tuple[str, int, str]]


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Planted]:
    """The planted anomalies (a second and a misplaced file of one employee, invalid files, a file
    that is not YAML) without the waiver register, which a streamed run leaves to the plain path."""
    root = tmp_path_factory.mktemp("stream") / "org"
    planted = build(root)
    (root / "policies" / "waivers.yaml").unlink()
    return root, planted


def outputs(root: Path, jobs: int | None, formats: tuple[str, ...] = tuple(sorted(REPORTERS)),
            **options: object) -> Outputs:
    out = {}
    for fmt in formats:
        o = run_check(CheckSettings(root=str(root), format=fmt, today=TODAY, use_cache=False, jobs=jobs,
                                    **options))  # type: ignore[arg-type]
        out[fmt] = (o.text(), o.exit_code, o.stderr)
    return out


@pytest.fixture(scope="module")
def reference(org: tuple[Path, Planted]) -> Outputs:
    """The whole workspace at once, in this process, rendered from findings (the plain path)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(engine, "splittable", lambda ws: False)
        return outputs(org[0], 1)


def _streamed_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if a streamed format goes the plain way, or if this process unpacks a chunk's findings."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the plain path was taken")

    monkeypatch.setattr(chunked, "check_split", refuse)
    monkeypatch.setattr(chunked, "_unpack", refuse)


def test_the_reference_has_the_cases_the_stream_must_place(org: tuple[Path, Planted], reference: Outputs) -> None:
    _, p = org
    lines = reference["text"][0].splitlines()
    for where, rule in ((f"{p.a_main}:5:5", "duplicate-grant"), (f"{p.a_extra}:2:1", "bulk-grant"),
                        (f"{p.d_bad}:6:", "invalid-file"),
                        ("assignments/retail-sales/notes.txt:1:1", "invalid-file")):
        assert any(line.startswith(where) and f"[{rule}]" in line for line in lines), (where, rule)
    # a boundary finding listed with its companions (engine/grouping.py): chunks must group as the plain path
    assert any("[distribution-to-retail-sales]" in line and "(also: " in line for line in lines)


@pytest.mark.parametrize(("chunk", "jobs"), [(1, 1), (3, 1), (17, 1), (None, 1), (None, None), (3, 2), (11, 2)])
def test_streamed_output_is_the_plain_report_s(org: tuple[Path, Planted], reference: Outputs, chunk: int | None,
                                             jobs: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(check_command, "CHUNK_FILES", chunk)
    _streamed_only(monkeypatch)
    got = outputs(org[0], jobs, STREAMED)
    for fmt in STREAMED:
        assert got[fmt] == reference[fmt], fmt


@pytest.mark.parametrize("spill", [False, True])
def test_a_spilled_spool_gives_the_same_bytes(org: tuple[Path, Planted], reference: Outputs, spill: bool,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(check_command, "CHUNK_FILES", 4)
    monkeypatch.setattr(Spool.__init__, "__defaults__", (0 if spill else 1 << 30,))
    _streamed_only(monkeypatch)
    assert outputs(org[0], 2, ("text", "json")) == {f: reference[f] for f in ("text", "json")}


def test_statistics_select_colour_and_fail_on_are_the_plain_report_s(org: tuple[Path, Planted],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    options: list[dict[str, object]] = [
        {"statistics": True}, {"select": ("bulk-grant", "invalid-file")}, {"ignore": ("missing-justification",)},
        {"color": True}, {"fail_on": "note"}, {"fail_on": "none"}, {"select": ("misplaced-file",)}]
    for opts in options:
        with monkeypatch.context() as mp:
            mp.setattr(engine, "splittable", lambda ws: False)
            plain = outputs(org[0], 1, STREAMED, **opts)
        with monkeypatch.context() as mp:
            mp.setattr(check_command, "CHUNK_FILES", 5)
            _streamed_only(mp)
            assert outputs(org[0], 2, STREAMED, **opts) == plain, opts


@pytest.mark.parametrize("cap", [1, 7, 40, 10_000])
def test_a_capped_sarif_keeps_the_plain_report_s_results(org: tuple[Path, Planted], cap: int,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """SARIF keeps the most severe ``MAX_RESULTS``: found from the chunks' counts, the chunks that hold
    them judged again (or rendered whole in the first pass when they have few findings)."""
    monkeypatch.setattr(sarif, "MAX_RESULTS", cap)
    monkeypatch.setattr(sarif, "STREAM_CAP", cap)
    with monkeypatch.context() as mp:
        mp.setattr(engine, "splittable", lambda ws: False)
        plain = outputs(org[0], 1, ("sarif",))
    assert ('"omitted"' in plain["sarif"][0]) == (cap < 100)
    monkeypatch.setattr(check_command, "CHUNK_FILES", 4)
    _streamed_only(monkeypatch)
    assert outputs(org[0], 2, ("sarif",)) == plain
    assert outputs(org[0], 1, ("sarif",)) == plain


def test_a_chunk_judged_differently_the_second_time_sends_the_run_the_plain_way(
        org: tuple[Path, Planted], reference: Outputs, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file changed between the two passes of a capped report: never a mixed report."""
    monkeypatch.setattr(sarif, "STREAM_CAP", 3)
    monkeypatch.setattr(check_command, "CHUNK_FILES", 4)
    judge = chunked.run_chunk
    seen: list[int] = []

    def changed(*args: object) -> chunked.ChunkResult:
        result = judge(*args)  # type: ignore[arg-type]
        streaming = args[6] if len(args) > 6 else None
        if isinstance(streaming, chunked.Streaming) and streaming.only is not None and result.rendered is not None:
            seen.append(1)
            return chunked.dataclasses.replace(result, rendered=chunked.dataclasses.replace(
                result.rendered, codes=result.rendered.codes[::-1] + b"\0\0"))
        return result

    monkeypatch.setattr(chunked, "run_chunk", changed)
    assert outputs(org[0], 1, ("sarif",)) == {"sarif": reference["sarif"]}
    assert seen  # the second pass ran, and its answer was refused


def test_findings_of_one_path_from_two_places_are_declined(org: tuple[Path, Planted]) -> None:
    """The stream places findings by path; a path with findings from a chunk and from this process
    (here a conversion problem planted on a grants file) cannot be placed: ``Declined``."""
    from permgate.config import load_config
    from permgate.load.workspace import fs_source, grants_paths, load_frame

    root, p = org
    config = load_config(str(root))
    source = fs_source(str(root))
    frame = load_frame(source, config)
    paths, refused = grants_paths(source, config)
    streaming = chunked.Streaming(lambda fs: [f"{f.path}:{f.line}\n" for f in fs])
    problem = (LoadProblem(p.a_main, 1, 1, "planted"),)
    with pytest.raises(chunked.Declined):
        chunked.check_streamed(source, frame, config, TODAY, paths, refused, streaming, problems=problem)
    # without the planted problem the same call streams
    done = chunked.check_streamed(source, frame, config, TODAY, paths, refused, streaming)
    assert b"".join(done.pieces).decode().count("\n") == sum(done.tally.values())


def test_a_declined_stream_gives_the_plain_report(org: tuple[Path, Planted], reference: Outputs,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def decline(*args: object, **kwargs: object) -> None:
        raise chunked.Declined("x")

    monkeypatch.setattr(chunked, "check_streamed", decline)
    assert outputs(org[0], 1, STREAMED) == {f: reference[f] for f in STREAMED}


def test_the_c_key_sorts_as_the_plain_key_and_falls_back_on_a_none_string_tie() -> None:
    rel = (Related("people.yaml", 1, 1, "x"),)
    findings = [Finding("r", "error", "m", "a.yaml", 2, 1, "E2", "P1"),
                Finding("r", "error", "m", "a.yaml", 1, 1, None, "P1", rel),
                Finding("r", "error", "m", "a.yaml", 1, 1, "", "P1"),  # ties with None under the plain key
                Finding("r", "error", "l", "a.yaml", 1, 1, "E1", None),
                Finding("q", "note", "m", "a.yaml", 1, 1, "E1", "P2")]
    assert chunked.sort_findings(list(findings)) == sorted(findings, key=Finding.sort_key)
    assert chunked.sort_findings(findings[:2] + findings[3:]) == sorted(findings[:2] + findings[3:],
                                                                        key=Finding.sort_key)


@pytest.mark.parametrize("count", [3, 200])
def test_findings_built_field_by_field_equal_the_stamped_ones(count: int) -> None:
    rel = (Related("catalog.yaml", 3, 3, "owned"),)
    violations = [Violation(f"a/{i}.yaml", i, 5, f"m{i}", f"E{i}" if i % 3 else None, "P1" if i % 2 else None,
                            rel if i % 5 else (), "warning" if i % 7 == 0 else None) for i in range(count)]
    for configured in (False, True):
        built = engine._findings("rule-x", "error", lambda: iter(violations), configured)
        assert built == list(engine._stamp("rule-x", "error", violations, configured))
        assert all(type(f) is Finding for f in built)
    plain = [v._replace(severity=None) for v in violations]
    assert engine._findings("r", "note", lambda: plain, False) == list(engine._stamp("r", "note", plain))


@pytest.mark.parametrize("limit", [0, 10, 1 << 20])
def test_the_spool_gives_back_any_range_of_what_it_kept(limit: int) -> None:
    spool = Spool(limit)
    blocks = [os.urandom(n) for n in (0, 7, 1, 30, 0, 5)]
    offsets = [spool.add(b) for b in blocks]
    whole = b"".join(blocks)
    assert offsets == [sum(map(len, blocks[:i])) for i in range(len(blocks))]
    for a in range(len(whole)):
        for b in range(a + 1, len(whole) + 1):
            assert bytes(spool.read(a, b - a)) == whole[a:b]
    spool.close()


def test_a_grant_violation_is_the_violation_the_named_tuple_builds() -> None:
    from permgate.model import Grant
    from permgate.rules.base import grant_violation

    g = Grant("E1", "P1", "E2", "2024-01-01", "why", None, "assignments/x/E1.yaml", 4, 5)
    rel = (Related("catalog.yaml", 2, 3, "owned"),)
    made = grant_violation(g, "message", rel)
    assert made == Violation(g.path, g.line, g.column, "message", g.employee, g.permission, rel)
    assert len(made) == len(Violation._fields) and made.severity is None


# --- a baseline: each chunk counts its employees' entries down, the parent adds up what is left -------

@pytest.fixture(scope="module")
def baselined(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Outputs]:
    """The planted organisation with a baseline that covers some findings fully, some keys only in
    part (a key with two findings and ``count: 1``: which one is covered depends on the order), a
    count larger than the findings left, an entry that matches nothing, one of a rule that is not
    waivable, and the split employee's findings (judged in the parent); and the plain report of it."""
    import json

    root = tmp_path_factory.mktemp("streambase") / "org"
    planted = build(root)
    (root / "policies" / "waivers.yaml").unlink()
    # one grant written twice without a ticket: keys with two findings (missing-justification...)
    first = sorted((root / "assignments" / "corporate").glob("*.yaml"))[0]
    text = first.read_text("utf-8")
    twice = f"  - permission: {planted.dup_permission}\n    granted_by: E000001\n    granted_on: 2025-01-02\n" \
            "    reason: \"cover\"\n"
    first.write_text(text + twice + twice.replace("2025-01-02", "2025-01-03"), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(engine, "splittable", lambda ws: False)
        doc = json.loads(outputs(root, 1, ("json",))["json"][0])
    keys: dict[tuple[str, ...], int] = {}
    for f in (g for top in doc["findings"] for g in (top, *top["companions"])):
        key = (f["rule"], f["employee"] or "", f["permission"]) if f["permission"] else (f["rule"], f["path"])
        keys[key] = keys.get(key, 0) + 1
    entries = []
    several = [k for k, n in keys.items() if n > 1 and len(k) == 3]
    assert several, "the planted organisation has a key with two findings"
    for i, (key, n) in enumerate(sorted(keys.items())):
        if i % 5 == 4 or key[1] == "":
            continue  # left out: active (and a finding about no employee has no entry that names one)
        count = 1 if key in several else (n + 1 if i % 7 == 0 else n)
        what = (f"employee: {key[1]}, permission: {key[2]}" if len(key) == 3 else f"path: {key[1]}")
        entries.append(f"- {{rule: {key[0]}, {what}" + (f", count: {count}" if count > 1 else "") + "}")
    entries.append("- {rule: expired-grant, employee: E999999, permission: P001}")
    entries.append("- {rule: invalid-file, path: assignments/none.yaml}")
    created = TODAY.isoformat()
    (root / "policies" / "baseline.yaml").write_text(
        f"created: {created}\nexpires: {created}\nfindings:\n" + "\n".join(entries) + "\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(engine, "splittable", lambda ws: False)
        plain = outputs(root, 1, STREAMED)
    text = plain["text"][0]
    assert "baselined" in text and "[baseline-unused]" in text
    assert "accepts" in text and "matches no finding" in text and "is not waivable" in text
    return root, plain


@pytest.mark.parametrize(("chunk", "jobs"), [(1, 1), (4, 2), (None, None)])
def test_a_baseline_is_applied_in_the_chunks_as_the_plain_report_applies_it(
        baselined: tuple[Path, Outputs], chunk: int | None, jobs: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    root, plain = baselined
    monkeypatch.setattr(check_command, "CHUNK_FILES", chunk)
    _streamed_only(monkeypatch)
    assert outputs(root, jobs, STREAMED) == plain


def test_an_entry_counted_down_in_two_places_sends_the_run_the_plain_way(
        baselined: tuple[Path, Outputs], monkeypatch: pytest.MonkeyPatch) -> None:
    """Were an entry's findings ever judged in two chunks, each would count it down from its full
    count: the parent sees more covered than the entry accepts and declines (never a finding
    covered twice over)."""
    root, plain = baselined
    judge = chunked.run_chunk

    def twice(*args: object) -> chunked.ChunkResult:
        result = judge(*args)  # type: ignore[arg-type]
        used = {path: ids + ids for path, ids in result.baseline_used.items()}
        return chunked.dataclasses.replace(result, baseline_used=used)

    monkeypatch.setattr(chunked, "run_chunk", twice)
    monkeypatch.setattr(check_command, "CHUNK_FILES", 4)
    declined: list[str] = []
    streamed = chunked.check_streamed

    def watch(*args: object, **kwargs: object) -> object:
        try:
            return streamed(*args, **kwargs)  # type: ignore[arg-type]
        except chunked.Declined as err:
            declined.append(str(err))
            raise

    monkeypatch.setattr(chunked, "check_streamed", watch)
    assert outputs(root, 1, ("text",)) == {"text": plain["text"]}
    assert declined and declined[0].startswith("baseline entry at line ")


# --- a waiver register: each chunk marks its employees' findings, the parent reports the register -----

@pytest.fixture(scope="module")
def registered(tmp_path_factory: pytest.TempPathFactory, baselined: tuple[Path, Outputs]) -> tuple[Path, Outputs]:
    """The planted organisation with its waiver register (waivers in force, expired, unused, invalid;
    some for the split employee, judged in the parent) and the baseline above; the plain report."""
    import shutil

    root = tmp_path_factory.mktemp("streamwaive") / "org"
    build(root)
    shutil.copy(baselined[0] / "policies" / "baseline.yaml", root / "policies" / "baseline.yaml")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(engine, "splittable", lambda ws: False)
        plain = outputs(root, 1, STREAMED)
    doc = plain["json"][0]
    for mark in ('"waiver-invalid"', '"waiver-unused"', "waiver expired on", '"approved_by"', '"baselined": {'):
        assert mark in doc, mark
    return root, plain


@pytest.mark.parametrize(("chunk", "jobs"), [(1, 1), (4, 2), (None, None)])
def test_a_waiver_register_is_applied_in_the_chunks_as_the_plain_report_applies_it(
        registered: tuple[Path, Outputs], chunk: int | None, jobs: int | None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    root, plain = registered
    monkeypatch.setattr(check_command, "CHUNK_FILES", chunk)
    _streamed_only(monkeypatch)
    assert outputs(root, jobs, STREAMED) == plain


def test_a_waiver_a_chunk_used_but_the_whole_finds_invalid_sends_the_run_the_plain_way(
        registered: tuple[Path, Outputs], monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunk judges a waiver's validity on its own grants; were that ever less than the whole (the
    approver granted it in another chunk), the parent refuses its marks and the plain path runs."""
    import json

    root, plain = registered
    judge = chunked.run_chunk
    declined: list[str] = []
    invalid_lines = {f["line"] for f in json.loads(plain["json"][0])["findings"] if f["rule"] == "waiver-invalid"}
    assert invalid_lines

    def an_invalid_waiver_used(*args: object) -> chunked.ChunkResult:
        result = judge(*args)  # type: ignore[arg-type]
        register = args[1].waivers  # type: ignore[attr-defined]
        invalid = tuple(i for i, w in enumerate(register) if w.loc.line in invalid_lines)
        return chunked.dataclasses.replace(result, waivers_used=result.waivers_used + invalid[:1])

    streamed = chunked.check_streamed

    def watch(*args: object, **kwargs: object) -> object:
        try:
            return streamed(*args, **kwargs)  # type: ignore[arg-type]
        except chunked.Declined as err:
            declined.append(str(err))
            raise

    monkeypatch.setattr(chunked, "run_chunk", an_invalid_waiver_used)
    monkeypatch.setattr(chunked, "check_streamed", watch)
    monkeypatch.setattr(check_command, "CHUNK_FILES", None)  # one chunk: no employee split, no use dropped
    assert outputs(root, 1, ("text",)) == {"text": plain["text"]}
    assert declined and declined[0].startswith("waiver at line ")
