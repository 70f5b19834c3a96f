"""policy-change: a change to the gate itself, said in words (``--base`` mode only).

The gate is the policy files, ``permgate.yaml`` and the catalog's entries (ids, names, owners,
``retired``, ``sensitive``, ``grants_access``): a change to any of them changes what every
grant is judged by.  ``gate_changes`` describes
each such change; this rule reports them when the change edits no grants, and
``policy-changed-with-grants`` reports them (as errors) when it does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from permgate.change.changeset import ChangeSet
from permgate.change.compare import grant_content
from permgate.config import CONFIG_NAME, Config
from permgate.findings import Related, Violation
from permgate.model import Change, Loc, Permission, PolicyRule, Waiver, Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc

_RULE_FIELDS = ("kind", "severity", "summary", "waivable", "description")


def _fmt(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(map(str, value)) + "]"
    return "(none)" if value is None or value == "" else str(value)


def _rule_diff(before: PolicyRule, after: PolicyRule) -> list[str]:
    out = []
    for name in _RULE_FIELDS:
        b, a = getattr(before, name), getattr(after, name)
        if b != a:
            out.append(f"{name} {_fmt(b)} -> {_fmt(a)}")
    for key in sorted(set(before.params) | set(after.params)):
        b, a = before.params.get(key), after.params.get(key)
        if b != a:
            out.append(f"{key} {_fmt(b)} -> {_fmt(a)}")
    return out


def _verb(c: Change) -> str:
    if c.status == "A" or c.old is None:
        return f"{c.new} is added"
    if c.status == "D" or c.new is None:
        return f"{c.old} is deleted"
    if c.status == "R" and c.old != c.new:
        return f"{c.new} (renamed from {c.old}) is changed"
    return f"{c.new} is changed"


def _waiver_key(w: Waiver) -> tuple[str, str, str]:
    return (w.rule, w.employee or "", w.permission or "")


def _waiver_words(w: Waiver) -> str:
    what = f"{w.employee}/{w.permission}" if w.permission and w.employee else (w.employee or w.permission or "")
    return f"waiver of `{w.rule}` for {what} (until {w.expires}, ticket {w.ticket}, approved by {w.approved_by})"


def _other_changes(names: set[str], head: Workspace, base: Workspace) -> tuple[list[str], bool, Loc | None]:
    """Waivers and ``settings:`` sections that differ in the files ``names``: words, whether the base's
    version still applies (settings: yes; a waiver applies as the change has it), first place."""
    parts: list[str] = []
    weakened = False
    at: Loc | None = None
    before = {_waiver_key(w): w for w in base.waivers if w.loc.path in names}
    after = {_waiver_key(w): w for w in head.waivers if w.loc.path in names}
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        if a is not None and b is None:
            parts.append(f"{_waiver_words(a)} is added")
            at = at or a.loc
        elif b is not None and a is None:
            parts.append(f"{_waiver_words(b)} is removed")
        elif a is not None and b is not None and (a.expires, a.ticket, a.approved_by, a.reason) != (
                b.expires, b.ticket, b.approved_by, b.reason):
            parts.append(f"{_waiver_words(b)} changes to expire {a.expires} (ticket {a.ticket}, approved by "
                         f"{a.approved_by})")
            at = at or a.loc
    for section in sorted(set(base.settings) | set(head.settings)):
        b_loc, a_loc = base.settings_locs.get(section), head.settings_locs.get(section)
        if not ((b_loc is not None and b_loc.path in names) or (a_loc is not None and a_loc.path in names)):
            continue
        empty: dict[str, Any] = {}
        b_set, a_set = dict(base.settings.get(section, empty)), dict(head.settings.get(section, empty))
        diffs = [f"{k} {_fmt(b_set.get(k))} -> {_fmt(a_set.get(k))}"
                 for k in sorted(set(b_set) | set(a_set)) if b_set.get(k) != a_set.get(k)]
        if diffs:
            parts.append(f"settings of `{section}` change: " + "; ".join(diffs))
            weakened, at = True, at or a_loc
    return parts, weakened, at


def _policy_file_change(c: Change, change: ChangeSet, head: Workspace, base: Workspace) -> Violation:
    names = {p for p in (c.old, c.new) if p}
    base_rules = {r.id: r for r in change.base_policies}
    head_rules = {r.id: r for r in change.head_policies}
    parts: list[str] = []
    related: list[Related] = []
    at: Loc | None = None
    weakened = False
    for rid in sorted(set(base_rules) | set(head_rules)):
        b, h = base_rules.get(rid), head_rules.get(rid)
        if not ((b is not None and b.loc.path in names) or (h is not None and h.loc.path in names)):
            continue
        if h is None and b is not None:
            parts.append(f"rule `{rid}` ({b.kind}, {b.severity}) is removed")
            related.append(Related(b.loc.path, b.loc.line, b.loc.column,
                                   f"rule {rid} as declared at {change.base_ref}"))
            weakened = True
            if c.new is None:
                at = at or b.loc
        elif b is None and h is not None:
            parts.append(f"rule `{rid}` ({h.kind}, {h.severity}) is added: {h.summary}")
            at = at or h.loc
        elif b is not None and h is not None:
            diffs = _rule_diff(b, h)
            if diffs or b.loc.path != h.loc.path:
                parts.append(f"rule `{rid}` " + ("changes: " + "; ".join(diffs) if diffs
                                                  else f"moves from {b.loc.path} to {h.loc.path}"))
                weakened = weakened or bool(diffs)
                at = at or (h.loc if h.loc.path == c.new else None)
    more, more_weakened, more_at = _other_changes(names, head, base)
    parts += more
    weakened = weakened or more_weakened
    at = at or more_at
    path = c.new or c.old or ""
    line, column = (at.line, at.column) if at is not None and at.path == path else (1, 1)
    what = "; ".join(parts) if parts else "no rule, waiver or setting differs (comments, order or policy tests)"
    message = f"{_verb(c)}: {what}"
    if weakened:
        message += f"; the rules as they are at {change.base_ref} still apply to this change"
    return Violation(path, line, column, message, related=tuple(related))


def _config_diff(b: Config, h: Config) -> tuple[list[str], str | None]:
    out = []
    first_key: str | None = None
    for name in ("catalog", "people", "assignments", "policies"):
        if getattr(b, name) != getattr(h, name):
            out.append(f"paths.{name} {getattr(b, name)} -> {getattr(h, name)}")
    for rid in sorted(set(b.severity) | set(h.severity)):
        if b.severity.get(rid) != h.severity.get(rid):
            out.append(f"severity of `{rid}` {b.severity.get(rid, 'default')} -> {h.severity.get(rid, 'default')}")
            first_key = first_key or (rid if rid in h.severity else None)
    for rid in sorted(b.rules_off ^ h.rules_off):
        out.append(f"rule `{rid}` {'off' if rid in b.rules_off else 'on'} -> {'off' if rid in h.rules_off else 'on'}")
        first_key = first_key or (rid if rid in h.rules_off else None)
    if b.max_file_bytes != h.max_file_bytes:
        out.append(f"max_file_bytes {b.max_file_bytes} -> {h.max_file_bytes}")
    return out, first_key


def _config_change(c: Change, change: ChangeSet) -> Violation:
    diffs, first_key = _config_diff(change.base_config, change.head_config)
    head = change.head_config
    line, column = (head.severity_lines.get(first_key) or head.rules_lines.get(first_key, (1, 1))) if first_key \
        else (1, 1)
    what = "; ".join(diffs) if diffs else "no setting differs"
    message = f"{_verb(c)}: {what}"
    if any(d.startswith("severity") for d in diffs):
        message += f"; each rule keeps the stricter of its severities here and at {change.base_ref} in this change"
    if any(d.startswith("rule ") and d.endswith("-> off") for d in diffs):
        message += f"; a rule stays on in this change unless it is off at {change.base_ref} too"
    return Violation(c.new or c.old or CONFIG_NAME, line, column, message)


#: the catalog fields that decide a verdict (``description`` does not)
_PERMISSION_FIELDS = ("name", "owner_division", "retired", "sensitive", "grants_access")


def _mark(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else _fmt(value)


def same_permission(a: Permission, b: Permission) -> bool:
    """Equal in every field that decides a verdict (``loc`` and ``description`` do not)."""
    return all(getattr(a, f) == getattr(b, f) for f in _PERMISSION_FIELDS)


def renamed_permissions(ws: Workspace, base: Workspace) -> dict[str, str]:
    """New id -> old id: an id the change adds with the name and description of an id it removes."""
    gone = {(base.catalog[p].name, base.catalog[p].description): p for p in sorted(set(base.catalog) - set(ws.catalog))}
    out: dict[str, str] = {}
    for pid in sorted(set(ws.catalog) - set(base.catalog)):
        old = gone.pop((ws.catalog[pid].name, ws.catalog[pid].description), None)
        if old is not None:
            out[pid] = old
    return out


def catalog_changes(ws: Workspace, base: Workspace, ref: str) -> Iterator[tuple[str, Loc, str]]:
    """(permission id, where, words) for every catalog entry whose verdict-deciding fields differ
    between ``base`` and ``ws``: ids added, removed or renamed, owner, marks, a name another entry has."""
    if ws.catalog is base.catalog:
        return
    renamed = renamed_permissions(ws, base)
    names: dict[str, list[str]] = {}
    for pid, perm in ws.catalog.items():
        names.setdefault(perm.name, []).append(pid)
    for pid in sorted(set(ws.catalog) | set(base.catalog)):
        after, before = ws.catalog.get(pid), base.catalog.get(pid)
        if after is None and before is not None:
            if pid in renamed.values():
                continue  # said at the new id
            yield pid, Loc(ws.catalog_path, 1, 1), (
                f"{before.label} is removed from the catalog (was {before.loc} at {ref}); "
                "grants of it are unknown from now on")
            continue
        assert after is not None
        twins = [p for p in names.get(after.name, ()) if p != pid]
        twin_words = f"; its name {after.name} is also {', '.join(twins)}'s" if twins else ""
        if before is None:
            old = renamed.get(pid)
            if old is not None:
                was = base.catalog[old]
                words = (f"{after.label} renames {old} (was {was.loc} at {ref}), owned by {after.owner_division}"
                         + (f" (was {was.owner_division})" if was.owner_division != after.owner_division else "")
                         + "; holders of the new id are judged by the new entry from now on")
            else:
                marks = [m for m in ("retired", "sensitive", "grants_access") if getattr(after, m)]
                words = (f"{after.label} is added to the catalog, owned by {after.owner_division}"
                         + (f" ({', '.join(marks)})" if marks else ""))
            yield pid, after.loc, words + twin_words
            continue
        if same_permission(after, before):
            continue
        others = [f"{f} {_mark(getattr(before, f))} -> {_mark(getattr(after, f))}" for f in _PERMISSION_FIELDS
                  if f != "owner_division" and getattr(before, f) != getattr(after, f)]
        if after.owner_division != before.owner_division:
            words = (f"{after.label} changes owner_division {before.owner_division} -> {after.owner_division} "
                     f"(was {before.loc} at {ref}); its holders are judged by the new owner from now on")
            if others:
                words += "; it also changes " + "; ".join(others)
        else:
            words = (f"{after.label} changes " + "; ".join(others) + f" (was {before.loc} at {ref}); "
                     "its holders are judged by the new entry from now on")
        yield pid, after.loc, words + (twin_words if after.name != before.name else "")


def _catalog_changes(ws: Workspace, base: Workspace, change: ChangeSet) -> Iterator[Violation]:
    for pid, at, words in catalog_changes(ws, base, change.base_ref):
        yield Violation(at.path, at.line, at.column, words, permission=pid)


def _moved_as_is(c: Change, ws: Workspace, base: Workspace | None) -> bool:
    """A rename whose file holds the same grants on both sides (a division folder renamed): it edits no grant."""
    if base is None or c.status != "R" or c.old is None or c.new is None:
        return False
    after = next((f for f in ws.files if f.path == c.new), None)
    before = next((f for f in base.files if f.path == c.old), None)
    if after is None or before is None or any(p.path in (c.old, c.new) for p in (*ws.problems, *base.problems)):
        return False
    return [grant_content(g) for g in after.grants] == [grant_content(g) for g in before.grants]


def edited_grants(ws: Workspace, ctx: Context) -> list[Change]:
    """The changes to grants files that edit a grant: all but files moved as they are."""
    if ctx.change is None:
        return []
    return [c for c in ctx.change.grants_changes() if not _moved_as_is(c, ws, ctx.base)]


def gate_changes(ws: Workspace, ctx: Context) -> list[Violation]:
    """Every change to the gate in this change, described in words; empty outside ``--base`` mode."""
    change, base = ctx.change, ctx.base
    if change is None or base is None:
        return []
    out: list[Violation] = []
    for c in change.gate_file_changes():
        if CONFIG_NAME in (c.old, c.new):
            out.append(_config_change(c, change))
        else:
            out.append(_policy_file_change(c, change, ws, base))
    if not change.base_empty:  # a change that creates the grants repository adds every entry: said once, above
        out.extend(_catalog_changes(ws, base, change))
    return out


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    if ctx.change is None or edited_grants(ws, ctx):
        return  # with grants in the same change, policy-changed-with-grants reports it
    for v in gate_changes(ws, ctx):
        yield v._replace(message=v.message + "; review it as a change to the gate itself")


_POLICY_ERROR = """\
---
rules:
  - id: distribution-to-retail-sales
    kind: forbidden-owner
    severity: warning
    waivable: false
    summary: Distribution-owned permissions must not be granted to retail-sales employees
    owner_divisions: [distribution]
    grantee_divisions: [retail-sales]
"""

RULE = Rule(
    scope="change",
    id="policy-change",
    summary="A change edits the gate itself: a policy file, permgate.yaml or a catalog entry",
    default_severity="warning",
    waivable=False,  # a waiver would live in policies/, inside the very change it excuses
    check=check,
    doc=RuleDoc(
        flags="In `--base` mode, a change that adds, edits or deletes a file in `policies/`, edits "
              "`permgate.yaml`, or changes a catalog entry: a permission id added, removed or renamed (same "
              "name and description, new id), a second entry with a name another has, or a changed "
              "`owner_division`, `retired`, `sensitive` or `grants_access` (at the entry's catalog line). The "
              "message says in words what changed: which rule was added, removed or changed, and how.",
        why="A pull request that edits the policy can switch off the rule that gates it. permgate applies the "
            "rules of the base and of the change together, but a reviewer still has to see that the gate "
            "itself is being changed, and the owners of `policies/` (CODEOWNERS) have to approve it.",
        fix="Nothing to fix if the change to the gate is intended: have the policy owners review it. Keep gate "
            "changes in their own pull request; together with grants they are an error "
            "(`policy-changed-with-grants`).",
        bad=Example(files={"policies/unbundling.yaml": _POLICY_ERROR}, base={},
                    expect=(("policies/unbundling.yaml", 3),)),
        good=Example(files={}, base={}),
    ),
)
