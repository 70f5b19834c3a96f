"""``permgate.yaml``: where the parts of a grants repository live, severity overrides, rules off.

The file is optional; without it the layout of ``gen_org.py`` is assumed.  It is
validated against the bundled ``config`` schema, so an unknown key or a path that
leaves the repository is an ``Error: permgate.yaml:line:col: ...`` with exit 2.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from permgate.errors import ConfigError, LoadError
from permgate.load import files
from permgate.load.schemas import validate
from permgate.load.source import FsSource, Source
from permgate.load.yamldoc import decode, parse

CONFIG_NAME = files.CONFIG_FILE
DEFAULT_MAX_FILE_BYTES = 1024 * 1024
#: the largest system-of-record export ``permgate reconcile``/``import`` read (``reconcile: max_file_bytes``)
DEFAULT_MAX_EXPORT_BYTES = 1024 * 1024 * 1024
#: the fields of a system-of-record export (docs/reconcile.md); the first two are required
EXPORT_FIELDS = ("employee", "permission", "granted_on", "granted_by", "last_used", "source")


@dataclass(frozen=True)
class Config:
    """Paths are relative to the root, ``/``-separated; ``path`` is None without a file."""

    catalog: str = "catalog.yaml"
    people: str = "people.yaml"
    assignments: str = "assignments"
    policies: str = "policies"
    #: the waiver register; None means ``waivers.yaml`` in the policies folder
    waivers: str | None = None
    #: the baseline (``permgate baseline``); None means ``baseline.yaml`` in the policies folder
    baseline: str | None = None
    #: the access reviews (``permgate review``), one folder per campaign
    reviews: str = "reviews"
    #: the roles (``roles.yaml``: named bundles of permissions); absent file: no roles
    roles: str = "roles.yaml"
    severity: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    path: str | None = None
    severity_lines: Mapping[str, tuple[int, int]] = field(default_factory=lambda: MappingProxyType({}))
    #: ``reconcile: columns``: field (``EXPORT_FIELDS``) -> the export's column name, where they differ
    export_columns: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    max_export_bytes: int = DEFAULT_MAX_EXPORT_BYTES
    #: ``rules: {ID: off}``: rules whose findings are not reported (``engine.evaluation.finish``);
    #: ``engine.evaluation.check_config`` refuses an unknown or non-waivable one
    rules_off: frozenset[str] = frozenset()
    rules_lines: Mapping[str, tuple[int, int]] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def waivers_path(self) -> str:
        return self.waivers or (f"{self.policies}/waivers.yaml" if self.policies != "." else "waivers.yaml")

    @property
    def baseline_path(self) -> str:
        return self.baseline or (f"{self.policies}/baseline.yaml" if self.policies != "." else "baseline.yaml")


def load_config(source: Source | str) -> Config:
    """Read ``permgate.yaml`` at the root if present; raise ``ConfigError`` if unusable."""
    if isinstance(source, str):
        source = FsSource(source)
    if not source.exists(CONFIG_NAME):
        return Config()
    try:
        doc = parse(decode(source.read_bytes(CONFIG_NAME, DEFAULT_MAX_FILE_BYTES), CONFIG_NAME), CONFIG_NAME)
    except LoadError as err:
        raise ConfigError(err.path, err.line, err.column, err.detail) from None
    if doc.empty:
        return Config(path=CONFIG_NAME)
    problems = validate(doc, "config")
    if problems:
        p = problems[0]
        raise ConfigError(CONFIG_NAME, p.line, p.column, p.message)
    data = doc.data
    paths = data.get("paths", {})
    resolved: dict[str, str] = {}
    for key, value in paths.items():
        line, column = doc.position(("paths", key))
        try:
            resolved[key] = files.normalise(value)
        except ValueError as err:
            raise ConfigError(CONFIG_NAME, line, column, f"paths.{key}: {err}") from None
    severity = data.get("severity", {})
    rules = data.get("rules", {})
    reconcile = data.get("reconcile", {})
    columns = reconcile.get("columns", {})
    taken: dict[str, str] = {}
    for key, name in columns.items():
        if name in taken or (name in EXPORT_FIELDS and name != key and name not in columns):
            line, column = doc.position(("reconcile", "columns", key))
            raise ConfigError(CONFIG_NAME, line, column,
                              f"reconcile.columns.{key}: column `{name}` is already read as "
                              f"`{taken.get(name, name)}`; each column feeds one field")
        taken[name] = key
    return Config(
        catalog=resolved.get("catalog", "catalog.yaml"),
        people=resolved.get("people", "people.yaml"),
        assignments=resolved.get("assignments", "assignments"),
        policies=resolved.get("policies", "policies"),
        waivers=resolved.get("waivers"),
        baseline=resolved.get("baseline"),
        reviews=resolved.get("reviews", "reviews"),
        roles=resolved.get("roles", "roles.yaml"),
        severity=MappingProxyType(dict(severity)),
        max_file_bytes=int(data.get("max_file_bytes", DEFAULT_MAX_FILE_BYTES)),
        path=CONFIG_NAME,
        severity_lines=MappingProxyType({k: doc.key_positions.get(("severity", k), (1, 1)) for k in severity}),
        export_columns=MappingProxyType(dict(columns)),
        max_export_bytes=int(reconcile.get("max_file_bytes", DEFAULT_MAX_EXPORT_BYTES)),
        rules_off=frozenset(rules),
        rules_lines=MappingProxyType({k: doc.key_positions.get(("rules", k), (1, 1)) for k in rules}),
    )
