"""``permgate check``: load, evaluate, render (against a git base with ``--base``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from permgate.commands import EXIT_CLEAN, EXIT_FINDINGS, Outcome
from permgate.errors import ConfigError, GitError, UsageError
from permgate.findings import SEVERITY_RANK, Finding, RuleInfo, at_or_above
from permgate.model import Baseline, PolicyRule, Workspace
from permgate.runtime import cache as caching

if TYPE_CHECKING:
    from permgate.config import Config
    from permgate.engine.chunked import StreamedResult, Streaming
    from permgate.load.bulk import Progress, Tuning
    from permgate.load.source import FsSource
    from permgate.reporters import Report
    from permgate.runtime.parallel import Ahead

# The engine, the loaders and the split are imported by ``_check`` only: a run answered
# from the cache needs none of them (the warm run is mostly start-up).

#: formats whose paths must be relative to the git repository's top level
_REPO_RELATIVE = ("sarif", "github")


@dataclass(frozen=True)
class CheckSettings:
    root: str = "."
    format: str = "text"
    fail_on: str = "error"
    today: dt.date | None = None
    color: bool = False
    #: a git revision: report only the findings the commit ``head`` adds to it
    base: str | None = None
    #: with ``base``: the commit judged, read from git objects (never the working tree)
    head: str = "HEAD"
    #: how to get there (never what is found): the cache and worker processes
    use_cache: bool = True
    cache_dir: str | None = None
    jobs: int | None = None
    #: ``--statistics``: the counts per rule and severity after the report (stderr unless text)
    statistics: bool = False
    #: ``--select``: report only these rules (None: every rule); ``--ignore``: not these
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    #: ``--output FORMAT=PATH``: more reports of the same run, written to files (commands/outputs.py)
    outputs: tuple[tuple[str, str], ...] = ()


#: ``--fail-on none``: no finding fails the run (errors still exit 2)
FAIL_ON_NONE = "none"


def exit_code(findings: tuple[Finding, ...] | list[Finding], fail_on: str) -> int:
    """Waived and baselined findings never fail the run, nor any finding with ``fail_on="none"``."""
    if fail_on == FAIL_ON_NONE:
        return EXIT_CLEAN
    return EXIT_FINDINGS if any(f.active and at_or_above(f.severity, fail_on) for f in findings) \
        else EXIT_CLEAN


def require_policy_rules(policies: tuple[PolicyRule, ...], policies_dir: str) -> None:
    """Fail closed: a policies folder emptied of rules must not turn the gate into a pass."""
    if not policies:
        raise ConfigError(policies_dir, 1, 1, "no policy rules are declared in the policies folder; "
                          "without them nothing guards the boundary")


def chosen(rules: tuple[RuleInfo, ...], settings: CheckSettings) -> frozenset[str] | None:
    """The rules ``--select`` names (all without it) that ``--ignore`` does not name (None: every
    rule, no option given); a rule id that is not in force is a ``UsageError`` naming it. The rules
    that report unreadable input (``Rule.always_reported``) are always kept, and ignoring one is a
    ``UsageError``: an unread file is never out of scope."""
    if settings.select is None and not settings.ignore:
        return None
    if settings.select == ():
        raise UsageError("--select: no rule named; `--select RULE,...` reports only those rules")
    known = {r.id for r in rules}
    for option, ids in (("--select", settings.select or ()), ("--ignore", settings.ignore)):
        unknown = sorted(set(ids) - known)
        if unknown:
            raise UsageError(f"{option}: unknown rule {', '.join(f'`{u}`' for u in unknown)} (see `permgate rules`)")
    from permgate.rules import BUILTIN_RULES

    unreadable = {r.id for r in BUILTIN_RULES if r.always_reported}
    left_out = sorted(unreadable & set(settings.ignore))
    if left_out:
        raise UsageError(f"--ignore: {', '.join(f'`{u}`' for u in left_out)} reports input permgate could not "
                         "read, which is never left out of a check; fix the input instead")
    keep = known if settings.select is None else set(settings.select) | (unreadable & known)
    return frozenset(keep - set(settings.ignore))


def select(findings: tuple[Finding, ...], rules: tuple[RuleInfo, ...], settings: CheckSettings) -> tuple[Finding, ...]:
    """The findings of the rules ``chosen`` names (all without options)."""
    keep = chosen(rules, settings)
    if keep is None:
        return findings
    return tuple(f for f in findings if f.rule in keep)


def _file_count(ws: Workspace) -> int:
    return len(ws.files) + len({p.path for p in ws.problems} - {f.path for f in ws.files})


def _prefix(root: str, fmt: str) -> str:
    """Where the grants repository sits in its git repository, for formats that need it."""
    if fmt not in _REPO_RELATIVE:
        return ""
    from permgate.git.repo import Repo

    try:
        return Repo(root).prefix
    except GitError:
        return ""  # not in git: paths relative to the root are all there is


def run_check(settings: CheckSettings, progress: Progress | None = None) -> Outcome:
    """Check the tree at ``settings.root``; ``progress(done, total)`` hears about loading."""
    started = caching.now()
    today = settings.today or dt.date.today()
    if settings.outputs:  # before anything is computed: an unwritable path fails the run first
        from permgate.commands.outputs import check_writable

        check_writable(settings.outputs)
    if settings.base is not None:
        return _run_against_base(settings, settings.base, today)
    cache = caching.Cache(settings.cache_dir or caching.default_dir()) if settings.use_cache else None
    prefix = next((p for p in (_prefix(settings.root, f) for f in _formats(settings)) if p), "")
    differs = _differs_from_head(settings.root)
    run_key = None
    # the run cache keeps standard output only: a run that writes files is computed
    if cache is not None and not settings.outputs:
        # everything the output depends on: the settings (today resolved), the tree, where
        # it sits in git (paths of some formats), and how far it is from the commit
        key_settings = f"{dataclasses.replace(settings, today=today)!r}|{prefix}|{differs}"
        run_key = caching.tree_key(settings.root, key_settings, started)
        if run_key is not None:
            hit = cache.get_run(run_key)
            if hit is not None:
                return Outcome("", hit.exit_code, hit.stderr, body=hit.body)
    from permgate.load.bulk import Tuning

    outcome = _check(settings, today, prefix, Tuning(jobs=settings.jobs, cache=cache, progress=progress), differs)
    if cache is not None and run_key is not None and not settings.outputs:
        writer = cache.run_writer(run_key)
        if writer is not None:
            return dataclasses.replace(outcome, stdout="", body=_kept(outcome, writer))
    return outcome


def _kept(outcome: Outcome, writer: caching.RunWriter) -> Iterator[bytes | memoryview]:
    """``outcome``'s standard output, piece by piece, written to the run cache as it goes: stored once
    the last piece has gone out, dropped if the output stops short."""
    done = False
    try:
        head = outcome.stdout.encode("utf-8", "surrogateescape")
        if head:
            writer.write(head)
            yield head
        for piece in outcome.body or ():
            writer.write(piece)
            yield piece
        done = True
    finally:
        if done:
            writer.commit(outcome.stderr, outcome.exit_code)
        else:
            writer.abort()


#: From this size of the people directory (about 20,000 people) a forked child lists the
#: grants folder while this process parses the directory (both take a few tenths of a
#: second at 100,000); below it the fork would cost more than it saves.
WALK_AHEAD_BYTES = 2_000_000


def walk_ahead(source: FsSource, config: Config, tuning: Tuning) -> Ahead[tuple[list[str], list[tuple[str, str]]]]:
    """The listing of the grants files (``grants_paths``), started now in a child when it pays."""
    from permgate.load.workspace import grants_paths
    from permgate.runtime.parallel import Ahead

    try:
        big = os.stat(os.path.join(source.root, config.people)).st_size >= WALK_AHEAD_BYTES
    except OSError:
        big = False  # load_frame says what is wrong with it
    return Ahead(functools.partial(grants_paths, source, config), fork=big and tuning.jobs != 1)


#: Tests set this to force tiny chunks (``permgate.engine.chunked``); None: sized by the run.
CHUNK_FILES: int | None = None


def _differs_from_head(root: str) -> int | None:
    """How many files under ``root`` differ from ``HEAD`` (changed, staged or untracked), when
    ``root`` is in a git repository: ``check`` reads the working tree, the gate reads commits."""
    import subprocess  # only plain runs inside git need it (start-up speed)

    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    try:
        proc = subprocess.run(["git", "status", "--porcelain", "-z", "--untracked-files=all", "--", "."],
                              cwd=root, capture_output=True, env=env)
    except OSError:
        return None  # no git, or no such folder (load_config says so)
    if proc.returncode != 0:
        return None  # not in a git repository
    return sum(1 for entry in proc.stdout.split(b"\0") if entry[:1] != b"" and entry[2:3] == b" ") or None


@dataclass(frozen=True)
class Collected:
    """What a full check found (``collect``): the frame it judged by, and the sorted findings."""

    config: Config
    frame: Workspace
    findings: tuple[Finding, ...]
    files: int
    grants: int
    #: the baseline as loaded, also when ``collect`` was asked not to apply it
    baseline: Baseline | None = None
    #: asked for ``streaming`` and taken: the findings as rendered bytes (``findings`` is empty)
    streamed: StreamedResult | None = None


def collect(settings: CheckSettings, today: dt.date, tuning: Tuning, baseline: bool = True,
            streaming: Callable[[Workspace, Config], Streaming] | None = None) -> Collected:
    """Every finding of the tree at ``settings.root``; ``baseline=False`` leaves the baseline
    unapplied (``permgate baseline`` writes the findings it would cover).  ``streaming`` (given the
    frame and configuration, how a report would be written): rendered and streamed when the run
    allows it (``engine.chunked.check_streamed``), else collected as findings."""
    from permgate.config import load_config
    from permgate.engine import evaluation as engine
    from permgate.engine.chunked import Declined, check_split, check_streamed, streamable
    from permgate.load.attributes import conversion_problems
    from permgate.load.bulk import no_gc
    from permgate.load.workspace import fs_source, load_frame, load_grants

    config = load_config(settings.root)
    with no_gc():
        source = fs_source(settings.root)
        walk = walk_ahead(source, config, tuning)
        try:
            frame = load_frame(source, config)
        except BaseException:
            walk.discard()
            raise
        paths, refused = walk.result()
        require_policy_rules(frame.policies, config.policies)
        loaded = frame.baseline
        if not baseline:
            frame = dataclasses.replace(frame, baseline=None)
        if engine.splittable(frame):
            # the grants files in chunks, each loaded and judged on its own (permgate/engine/chunked.py)
            engine.check_config(frame, config)
            converted = tuple(conversion_problems(source, config, refused))
            if streaming is not None and streamable(frame):
                how = streaming(frame, config)
                try:
                    streamed = check_streamed(source, frame, config, today, paths, refused, how, tuning,
                                              CHUNK_FILES, converted)
                except Declined:
                    pass  # the plain path below
                else:
                    return Collected(config, frame, (), streamed.files, streamed.grants, loaded, streamed)
            result = check_split(source, frame, config, today, paths, refused, tuning, CHUNK_FILES, converted)
            findings, files, grants = tuple(result.findings), result.files, result.grants
        else:  # a rule the split cannot divide: the whole workspace at once
            grants_files, problems = load_grants(source, config, tuning=tuning)
            ws = dataclasses.replace(frame, files=tuple(grants_files), problems=tuple(problems))
            findings = tuple(engine.evaluate(ws, config, today, jobs=settings.jobs))
            files, grants = _file_count(ws), sum(len(f.grants) for f in ws.files)
    return Collected(config, frame, findings, files, grants, loaded)


def _streaming(settings: CheckSettings, prefix: str, frame: Workspace, config: Config) -> Streaming:
    from permgate.engine import evaluation as engine
    from permgate.engine.chunked import Streaming
    from permgate.engine.grouping import anchor_rules
    from permgate.reporters import Report, streamed

    pieces, _, cap = streamed(settings.format)
    rules = tuple(engine.rule_catalogue(frame, config))
    skeleton = Report(findings=(), rules=rules, color=settings.color, path_prefix=prefix)
    return Streaming(pieces(skeleton), chosen(rules, settings), cap, anchors=anchor_rules(rules))


def _check(settings: CheckSettings, today: dt.date, prefix: str, tuning: Tuning,
           differs: int | None = None) -> Outcome:
    from permgate.engine import evaluation as engine
    from permgate.engine.grouping import group
    from permgate.reporters import STREAMED, Report

    stream = settings.format in STREAMED and not settings.outputs
    found = collect(settings, today, tuning,
                    streaming=functools.partial(_streaming, settings, prefix) if stream else None)
    rules = tuple(engine.rule_catalogue(found.frame, found.config))
    if found.streamed is not None:
        return _streamed_outcome(settings, Report(
            findings=(), rules=rules, files=found.files, grants=found.grants, color=settings.color,
            path_prefix=prefix, extra_summary={"worktree_differs_from_head": differs} if differs else {},
            counted=found.streamed.tally), found.streamed.pieces, found.streamed.capped)
    report = Report(
        # grouped last: after waivers, baseline and selection (permgate/engine/grouping.py)
        findings=tuple(group(select(found.findings, rules, settings), rules)),
        rules=rules,
        files=found.files,
        grants=found.grants,
        color=settings.color,
        path_prefix=prefix,
        extra_summary={"worktree_differs_from_head": differs} if differs else {},
    )
    return _outcome(settings, report)


def _run_against_base(settings: CheckSettings, ref: str, today: dt.date) -> Outcome:
    from permgate.change.basemode import check_against_base
    from permgate.engine.grouping import group
    from permgate.reporters import Report

    cache = caching.Cache(settings.cache_dir or caching.default_dir()) if settings.use_cache else None
    result = check_against_base(settings.root, ref, today, cache, head=settings.head, refuse_nothing_to_judge=True)
    extra: dict[str, object] = {"changed_paths": len(result.change.changes)}
    if result.scope is not None:  # only the employees the change touches were re-evaluated
        extra["incremental"] = {"employees": len(result.scope.employees)}
    # the blast radius (permgate impact): incremental sides hold every employee whose access can differ
    from permgate.analysis import impact

    access = impact.summary(impact.changes(result.head, result.base, today.isoformat()))
    extra["impact"] = {k: access[k] for k in ("gained", "lost", "employees_gaining", "employees_losing")}
    report = Report(
        # grouped after the split into new and pre-existing: a new finding never joins an old one
        findings=tuple(group(select(result.new, result.rules, settings), result.rules)),
        rules=result.rules,
        files=_file_count(result.head),
        grants=sum(len(f.grants) for f in result.head.files),
        color=settings.color,
        extra_summary=extra,
        preexisting=tuple(group(select(result.preexisting, result.rules, settings), result.rules)),
        base_ref=ref,
        base_commit=result.change.base_commit,
        path_prefix=result.prefix,
    )
    return _outcome(settings, report)


def _formats(settings: CheckSettings) -> list[str]:
    return [settings.format, *(fmt for fmt, _ in settings.outputs)]


def _render(fmt: str, report: Report, plain: bool) -> str:
    """``report`` in ``fmt``; ``report.path_prefix`` serves only the formats that need it (outside
    ``--base`` mode), and only standard output is ever coloured."""
    from permgate.reporters import REPORTERS

    if plain and fmt not in _REPO_RELATIVE and report.path_prefix:
        report = dataclasses.replace(report, path_prefix="")
    return REPORTERS[fmt](report)


def _streamed_outcome(settings: CheckSettings, report: Report, pieces: Iterator[bytes | memoryview],
                      capped: tuple[dict[str, int], int] | None) -> Outcome:
    """``_outcome`` for a streamed report: its frame around the pieces, the exit code from its counts."""
    from permgate.reporters import streamed

    _, frame, _ = streamed(settings.format)
    head, tail, trim = frame(report, any(report.tally().values()), capped)
    if settings.statistics:
        from permgate.reporters import statistics

        if settings.format == "text":
            tail += statistics.render(report)
            stderr = ""
        else:
            stderr = statistics.render(report)
    else:
        stderr = ""
    return Outcome(head, _tally_exit_code(report.tally(), settings.fail_on), stderr,
                   body=_body(pieces, trim, tail.encode("utf-8", "surrogateescape")))


def _body(pieces: Iterator[bytes | memoryview], trim: int, tail: bytes) -> Iterator[bytes | memoryview]:
    for piece in pieces:
        if trim and piece:
            piece, trim = piece[trim:], 0
        yield piece
    yield tail


def _tally_exit_code(tally: Mapping[tuple[str, str], int], fail_on: str) -> int:
    """``exit_code`` from counts per (rule, state): waived and baselined never fail the run."""
    if fail_on == FAIL_ON_NONE:
        return EXIT_CLEAN
    return EXIT_FINDINGS if any(n and state in SEVERITY_RANK and at_or_above(state, fail_on)
                                for (_, state), n in tally.items()) else EXIT_CLEAN


def _outcome(settings: CheckSettings, report: Report) -> Outcome:
    """The report in ``settings.format`` (plus ``--statistics``) and the exit code; the reports
    of ``--output`` written to their files."""
    plain = settings.base is None
    if settings.outputs:
        from permgate.commands import outputs

        files = dataclasses.replace(report, color=False)
        outputs.write([(fmt, path, _render(fmt, files, plain)) for fmt, path in settings.outputs])
    stdout, stderr = _render(settings.format, report, plain), ""
    if settings.statistics:
        from permgate.reporters import statistics

        # after a text report on stdout; beside any other format (JSON, SARIF...) on stderr,
        # so that what a machine reads stays valid
        if settings.format == "text":
            stdout += statistics.render(report)
        else:
            stderr = statistics.render(report)
    return Outcome(stdout, exit_code(report.findings, settings.fail_on), stderr)
