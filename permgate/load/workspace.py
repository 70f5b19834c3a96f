"""Build the ``Workspace`` from a grants repository on disk.

The catalog, the people directory and the policies are what every grant is judged
by, so any problem in them is a ``ConfigError`` (exit 2).  Grants files never stop
the run: their problems become ``invalid-file`` findings.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Collection
from typing import Any

from permgate.config import Config, load_config
from permgate.errors import ConfigError, LoadError, UsageError
from permgate.load import canonical, files
from permgate.load.attributes import conversion_problems
from permgate.load.baseline import load_baseline
from permgate.load.bulk import Tuning, grants_of_many, load_many, mentioning
from permgate.load.reviews import load_reviews
from permgate.load.schemas import validate
from permgate.load.source import FsSource, Source, join
from permgate.load.yamldoc import Document, decode, parse
from permgate.model import Grant, GrantsFile, LoadProblem, Loc, Permission, Person, PolicyRule, Role, Waiver, Workspace
from permgate.runtime import parallel

POLICY_BASE_KEYS = ("id", "kind", "severity", "summary", "description", "waivable")


#: The catalog and the people directory are one file each for the whole organisation (the
#: people directory of 100,000 employees is about 8 MB), so ``max_file_bytes``, a bound
#: on each of the many grants files, is not applied to them below this size.
DIRECTORY_MAX_BYTES = 256 * 1024 * 1024


def directory_cap(config: Config) -> int:
    return max(config.max_file_bytes, DIRECTORY_MAX_BYTES)


def load_document(source: Source, rel: str, kind: str, config: Config, max_bytes: int | None = None,
                  data: bytes | None = None) -> Document:
    """Parse and validate a file the run depends on; ``ConfigError`` at the first problem."""
    try:
        if data is None:
            data = source.read_bytes(rel, config.max_file_bytes if max_bytes is None else max_bytes)
        doc = parse(decode(data, rel), rel)
    except LoadError as err:
        raise ConfigError(err.path, err.line, err.column, err.detail) from None
    if doc.empty:
        raise ConfigError(rel, 1, 1, f"file is empty; expected a {kind} file")
    problems = validate(doc, kind)
    if problems:
        p = problems[0]
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        raise ConfigError(rel, p.line, p.column, p.message + more)
    return doc


def _loc(doc: Document, rel: str, path: tuple[Any, ...]) -> Loc:
    line, column = doc.position(path)
    return Loc(rel, line, column)


def _unique(doc: Document, rel: str, section: str, items: list[dict[str, Any]], what: str) -> None:
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        if item["id"] in seen:
            line, column = doc.position((section, i, "id"))
            first = doc.position((section, seen[item["id"]], "id"))[0]
            raise ConfigError(rel, line, column, f"duplicate {what} id `{item['id']}` (first at line {first})")
        seen[item["id"]] = i


def load_catalog(source: Source, config: Config) -> dict[str, Permission]:
    rel = config.catalog
    doc = load_document(source, rel, "catalog", config, directory_cap(config))
    items = doc.data["permissions"]
    _unique(doc, rel, "permissions", items, "permission")
    return {
        p["id"]: Permission(
            id=p["id"], name=p["name"], owner_division=p["owner_division"],
            description=p.get("description", ""), loc=_loc(doc, rel, ("permissions", i)),
            retired=p.get("retired", False), sensitive=p.get("sensitive", False),
            grants_access=p.get("grants_access", False),
        )
        for i, p in enumerate(items)
    }


def load_roles(source: Source, config: Config) -> dict[str, Role]:
    """``roles.yaml`` (``paths: roles``): empty when the default file is absent; a relocated file that
    is missing, or a file that does not parse or validate, is a ``ConfigError`` (what a role gives is
    what its holders are judged by).  Unknown members, cycles and ids shared with the catalog are
    findings of the role rules, at their lines."""
    rel = config.roles
    if not source.exists(rel):
        if rel != "roles.yaml":
            raise ConfigError(config.path or "permgate.yaml", 1, 1, f"paths.roles: `{rel}` not found")
        return {}
    doc = load_document(source, rel, "roles", config, directory_cap(config))
    items = doc.data["roles"]
    _unique(doc, rel, "roles", items, "role")
    roles: dict[str, Role] = {}
    for i, r in enumerate(items):
        perms = tuple(r["permissions"])
        includes = tuple(r.get("includes", ()))
        roles[r["id"]] = Role(
            id=r["id"], name=r["name"], owner_division=r["owner_division"],
            description=r.get("description", ""), permissions=perms, includes=includes,
            loc=_loc(doc, rel, ("roles", i)),
            permission_locs=tuple(_loc(doc, rel, ("roles", i, "permissions", j)) for j in range(len(perms))),
            include_locs=tuple(_loc(doc, rel, ("roles", i, "includes", j)) for j in range(len(includes))),
        )
    return roles


def load_people(source: Source, config: Config) -> dict[str, Person]:
    rel = config.people
    try:
        data = source.read_bytes(rel, directory_cap(config))
        fast = canonical.people(decode(data, rel), rel)
    except LoadError as err:
        raise ConfigError(err.path, err.line, err.column, err.detail) from None
    if fast is not None:
        return fast
    doc = load_document(source, rel, "people", config, data=data)
    items = doc.data["people"]
    _unique(doc, rel, "people", items, "person")
    people = {
        p["id"]: Person(
            id=p["id"], name=p["name"], division=p["division"], manager=p["manager"],
            loc=_loc(doc, rel, ("people", i)), division_since=p.get("division_since"),
            function=p.get("function"),
        )
        for i, p in enumerate(items)
    }
    _check_management(doc, rel, items, people)
    return people


def _check_management(doc: Document, rel: str, items: list[dict[str, Any]], people: dict[str, Person]) -> None:
    """Every manager is in the directory and no management chain loops (a cycle would put
    everyone in it in everyone's chain).  People are taken in file order and the first
    problem is reported at the ``manager`` of the person whose chain shows it.  Linear:
    a chain walk stops at anyone already known to end at a division head."""
    index = {p["id"]: i for i, p in enumerate(items)}

    def unknown(of: str) -> ConfigError:
        line, column = doc.position(("people", index[of], "manager"))
        return ConfigError(rel, line, column, f"manager `{people[of].manager}` of {of} is not in {rel}")

    rooted: set[str] = set()  # people whose chain is known to end at a division head
    for i, p in enumerate(items):
        manager = p["manager"]
        if manager is None:
            continue
        if manager not in people:
            raise unknown(p["id"])
        seen = {p["id"]}
        chain = [p["id"]]
        current: str | None = manager
        while current is not None and current not in rooted:
            if current in seen:
                line, column = doc.position(("people", i, "manager"))
                raise ConfigError(rel, line, column, f"management chain of {p['id']} loops back through `{current}`")
            seen.add(current)
            chain.append(current)
            boss = people[current].manager
            if boss is not None and boss not in people:
                raise unknown(current)  # a later entry's manager: its own error, not a crash
            current = boss
        rooted.update(chain)


#: files in the policies folder that are not policies: they have schemas of their own
NOT_POLICIES = frozenset({"waivers.yaml", "waivers.yml"})


def policy_file_names(source: Source, config: Config) -> list[str]:
    """The policy files (``rules:``/``settings:``), relative to the root, sorted.

    Only YAML files directly in the folder count; ``tests/`` (policy tests) and the
    waiver register are read by their own loaders.
    """
    rel_dir = config.policies
    if not source.is_dir(rel_dir):
        raise ConfigError(rel_dir, 1, 1, "policies folder not found; without policies nothing guards the boundary")
    return [join(rel_dir, n) for n in source.list_files(rel_dir)
            if n.lower().endswith(files.YAML_SUFFIXES) and not n.startswith(".")
            and n.lower() not in NOT_POLICIES
            and join(rel_dir, n) not in (config.waivers_path, config.baseline_path, config.roles)]


def load_policies(source: Source, config: Config) -> tuple[PolicyRule, ...]:
    return load_policy_files(source, config)[0]


def load_policy_files(
    source: Source, config: Config,
) -> tuple[tuple[PolicyRule, ...], dict[str, dict[str, Any]], dict[str, Loc]]:
    """Rules declared in the policy files, and their ``settings:`` sections (with locations)."""
    rules: list[PolicyRule] = []
    seen: dict[str, Loc] = {}
    settings: dict[str, dict[str, Any]] = {}
    settings_locs: dict[str, Loc] = {}
    for rel in policy_file_names(source, config):
        doc = load_document(source, rel, "policy", config)
        for key, value in doc.data.get("settings", {}).items():
            line, column = doc.key_positions.get(("settings", key), doc.position(("settings", key)))
            if key in settings_locs:
                raise ConfigError(rel, line, column, f"settings for `{key}` are given twice "
                                  f"(first at {settings_locs[key]}); keep one")
            settings[key] = dict(value)
            settings_locs[key] = Loc(rel, line, column)
        for i, r in enumerate(doc.data.get("rules", [])):
            loc = _loc(doc, rel, ("rules", i))
            if r["id"] in seen:
                first = seen[r["id"]]
                raise ConfigError(rel, loc.line, loc.column,
                                  f"rule id `{r['id']}` is declared twice (first at {first})")
            seen[r["id"]] = loc
            rules.append(PolicyRule(
                id=r["id"], kind=r["kind"], severity=r["severity"], summary=r["summary"],
                waivable=r.get("waivable", True),
                params={k: v for k, v in r.items() if k not in POLICY_BASE_KEYS},
                loc=loc, description=r.get("description", ""),
            ))
    return tuple(rules), settings, settings_locs


def load_waivers(source: Source, config: Config) -> tuple[Waiver, ...]:
    """The waiver register, if there is one; unusable is a ``ConfigError`` like a policy."""
    rel = config.waivers_path
    if not source.exists(rel):
        if config.waivers:
            raise ConfigError(config.path or "permgate.yaml", 1, 1, f"paths.waivers: `{rel}` not found")
        return ()
    doc = load_document(source, rel, "waivers", config)
    return tuple(
        Waiver(rule=w["rule"], employee=w.get("employee"), permission=w.get("permission"), reason=w["reason"],
               ticket=w["ticket"], approved_by=w["approved_by"], approved_on=w["approved_on"],
               expires=w["expires"], loc=_loc(doc, rel, ("waivers", i)))
        for i, w in enumerate(doc.data["waivers"]))


def grants_paths(source: Source, config: Config) -> tuple[list[str], list[tuple[str, str]]]:
    """The grants files under the assignments folder (sorted), and (path, why) for entries refused."""
    rel_dir = config.assignments
    if not source.is_dir(rel_dir):
        raise ConfigError(rel_dir, 1, 1, "assignments folder not found")
    paths, refused = source.walk_yaml(rel_dir)
    twins = case_twins(source, rel_dir)
    return paths, sorted([*refused, *twins]) if twins else refused


#: what an entry named like the grants folder but for case is (a finding at its path)
CASE_TWIN = ("differs from the grants folder `{folder}` only in letter case: on a case-insensitive checkout "
             "(macOS, Windows) its files join that folder, but permgate does not read them; rename or move it")


def case_twins(source: Source, rel_dir: str) -> list[tuple[str, str]]:
    """(path, why) for each entry whose path differs from the grants folder's only in letter case, at
    any level of it (``Assignments/``, or ``Data/assignments/`` for ``data/assignments``)."""
    names = getattr(source, "names", None)
    parts = rel_dir.strip("/").split("/")
    if names is None or parts in ([""], ["."]):
        return []
    why = CASE_TWIN.format(folder=rel_dir)
    out: list[tuple[str, str]] = []

    def visit(here: str, level: int, twin: bool) -> None:
        if level == len(parts):
            if not twin:
                return  # the grants folder itself
            if source.is_dir(here):  # each file in it, where its grants would land (and what the walk refuses)
                inside, refused = source.walk_yaml(here)
                out.extend([(p, why) for p in inside] + refused or [(here, why)])
            else:
                out.append((here, why))
            return
        want = parts[level]
        for n in names(here):
            if n.casefold() == want.casefold():
                visit(f"{here}/{n}" if here else n, level + 1, twin or n != want)

    visit("", 0, False)
    return out


def load_grants(source: Source, config: Config, employees: Collection[str] | None = None,
                tuning: Tuning | None = None) -> tuple[list[GrantsFile], list[LoadProblem]]:
    """Every grants file, or with ``employees`` only the files of those employees.

    The scoped read (``permgate grant``, ``grantable``) parses only the files whose bytes
    mention one of the ids, and keeps only those employees' files and problems.
    ``tuning`` says how to load (workers, cache), never what is found.
    """
    paths, refused = grants_paths(source, config)
    # checkout conversions of the files read: a finding at the .gitattributes line (load/attributes.py)
    problems = conversion_problems(source, config, refused)
    if employees is not None:
        needles = (b"\\", *(e.encode("utf-8") for e in employees))
        paths = mentioning(source, paths, needles, config.max_file_bytes, tuning)
        refused = []
        problems = []
    problems += [LoadProblem(p, 1, 1, why) for p, why in refused]
    loaded: list[GrantsFile] = []
    for gf, file_problems in load_many(source, paths, config.max_file_bytes, tuning):
        if employees is not None and (gf.employee if gf else None) not in employees \
                and not any(p.employee in employees for p in file_problems):
            continue
        problems.extend(file_problems)
        if gf is not None:
            loaded.append(gf)
    return loaded, problems


def load_grants_of(source: Source, config: Config, permission: str, tuning: Tuning | None = None,
                   listing: tuple[list[str], list[tuple[str, str]]] | None = None,
                   ) -> tuple[list[Grant], list[LoadProblem], list[GrantsFile]]:
    """The direct grants of ``permission`` in every grants file, every problem ``load_grants`` reports
    (in its order), and the files with role entries whole (``bulk.grants_of_many``: the caller
    expands them with the roles): ``load_grants`` filtered, without building the other grants
    (``who-can``).  ``listing`` is ``grants_paths(source, config)`` when the caller has it already.
    """
    paths, refused = listing if listing is not None else grants_paths(source, config)
    problems = conversion_problems(source, config, refused)
    problems += [LoadProblem(p, 1, 1, why) for p, why in refused]
    grants, file_problems, with_roles = grants_of_many(source, paths, config.max_file_bytes, permission, tuning)
    return grants, problems + file_problems, with_roles


def fs_source(root: str) -> FsSource:
    """The working tree at ``root`` (``--root``); ``UsageError`` when it is not a folder."""
    if not os.path.isdir(root):
        raise UsageError(f"--root {root}: not a directory")
    return FsSource(root)


def load_workspace(source: Source | str, config: Config | None = None,
                   employees: Collection[str] | None = None, tuning: Tuning | None = None) -> Workspace:
    """Read the whole grants repository from ``source`` (a folder path or a ``Source``).

    With ``employees``, only those employees' grants files are read (see ``load_grants``).
    """
    if isinstance(source, str):
        source = fs_source(source)
    config = config if config is not None else load_config(source)
    if employees is not None and _large(source, config) and (tuning is None or tuning.jobs != 1):
        # a scoped read reads every file to find the few it parses: started now in a child (which
        # spreads the reading over the cores) while this process loads the frame; an error of the
        # child's job shows here, after the frame's, as in the plain order
        scoped = parallel.Ahead(functools.partial(load_grants, source, config, employees, tuning))
        try:
            frame = load_frame(source, config)
            grants_files, problems = scoped.result()
        except BaseException:
            scoped.discard()
            raise
    else:
        frame = load_frame(source, config)
        grants_files, problems = load_grants(source, config, employees, tuning)
    return dataclasses.replace(frame, files=tuple(grants_files), problems=tuple(problems))


#: a people directory at least this large (about 20,000 people) marks a repository worth a child
LARGE_PEOPLE_BYTES = 2_000_000


def _large(source: Source, config: Config) -> bool:
    if not isinstance(source, FsSource):
        return False
    try:
        return os.stat(os.path.join(source.root, config.people)).st_size >= LARGE_PEOPLE_BYTES
    except OSError:
        return False  # load_frame says what is wrong with it


def load_frame(source: Source, config: Config) -> Workspace:
    """Everything a run reads except the grants files: catalog, people, policies, waivers.

    The split check (``permgate.engine.chunked``) loads this once and the grants files in chunks.
    """
    catalog = load_catalog(source, config)
    people = load_people(source, config)
    roles = load_roles(source, config)
    policies, settings, settings_locs = load_policy_files(source, config)
    waivers = load_waivers(source, config)
    baseline = load_baseline(source, config)
    reviews, campaigns, review_problems = load_reviews(source, config)
    return Workspace(
        root=source.label,
        catalog_path=config.catalog,
        people_path=config.people,
        catalog=catalog,
        people=people,
        files=(),
        policies=policies,
        problems=(),
        assignments_path=config.assignments,
        settings=settings,
        settings_locs=settings_locs,
        waivers=waivers,
        waivers_path=config.waivers_path,
        baseline=baseline,
        reviews=reviews,
        campaigns=campaigns,
        review_problems=review_problems,
        reviews_path=config.reviews,
        roles=roles,
        roles_path=config.roles,
    )
