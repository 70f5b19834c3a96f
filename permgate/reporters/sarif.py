"""``--format sarif``: SARIF 2.1.0 for code scanning (docs/output-formats.md).

Plain dicts, validated in the tests against the official schema.  One ``tool.driver.rules``
entry per rule in force, with its help taken from the rule docs; one result per finding,
located at its line and column, with the catalog, people and policy lines behind it as
``relatedLocations``.  Paths are relative to the git repository's top level (the grants
repository may be a folder in it), percent-encoded as URI references.

Code scanning takes at most 25,000 results a run: past ``MAX_RESULTS`` the most severe are
kept (errors, then warnings, then notes, then waived, each in the findings' order) and a
tool notification plus ``properties.omitted`` say how many of each rule were left out.

A finding with companions (other rules' findings on the same grant, ``permgate.engine.grouping``)
is one result: its message ends with ``(also: RULE, ...)`` and ``properties.companions`` holds
each companion's ``ruleId``, ``level`` and ``message``.
"""

from __future__ import annotations

import hashlib
from functools import cache, lru_cache
from json.encoder import encode_basestring
from typing import Any
from urllib.parse import quote

from permgate import __version__
from permgate.findings import Finding, most_severe_first
from permgate.reporters.base import Report
from permgate.reporters.jsontext import ITEMS, Raw, dumps_around, encode
from permgate.reporters.rulehelp import help_markdown, help_text, rule_doc

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"error": "error", "warning": "warning", "note": "note"}
#: GitHub's ``security-severity`` (0-10; 7 and above is "high") for a rule's effective severity
_SECURITY_SEVERITY = {"error": "8.0", "warning": "5.0", "note": "2.0"}
#: results code scanning accepts in one run
MAX_RESULTS = 25_000
#: where ``runs[0].results`` and its items sit in the indented document
_RESULTS_PAD = " " * 6
_RESULT_PAD = " " * 8
#: where a result's locations[i].physicalLocation (and relatedLocations[i]'s) and its
#: suppressions[0].location.physicalLocation begin
_LOCATION_PAD = " " * 14
_SUPPRESSION_PAD = " " * 16


def _uri(report: Report, path: str) -> str:
    return _quoted(report.path_prefix + path)


@lru_cache(maxsize=1 << 16)
def _quoted(path: str) -> str:
    # the same few paths come back for every finding (the catalog, people, the policy file)
    return quote(path, safe="/-._~")


def _number(value: int, pad: str) -> str:
    return int.__repr__(value) if value.__class__ is int else encode(value, pad)


def _location(report: Report, path: str, line: int, column: int, pad: str) -> dict[str, Any]:
    """``{"physicalLocation": {"artifactLocation": {"uri": ...}, "region": {"startLine": ...,
    "startColumn": ...}}}``, the inner part already written as json text at ``pad`` (the
    indentation of the line it starts on): four of these per finding are most of a result."""
    return {"physicalLocation": Raw(_physical(pad) % (
        encode_basestring(_uri(report, path)), _number(max(column, 1), pad), _number(max(line, 1), pad)))}


@cache
def _physical(pad: str) -> str:
    return (f'{{\n{pad}  "artifactLocation": {{\n{pad}    "uri": %s\n{pad}  }},\n'
            f'{pad}  "region": {{\n{pad}    "startColumn": %s,\n{pad}    "startLine": %s\n{pad}  }}\n{pad}}}')


def _fingerprint(f: Finding) -> str:
    key = f.rule + "\0" + (f"{f.employee or ''}\0{f.permission}" if f.permission is not None else f.path)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _camel(rule_id: str) -> str:
    return "".join(part.capitalize() for part in rule_id.split("-"))


def render(report: Report) -> str:
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for info in report.rules:
        if info.id in index:
            continue
        index[info.id] = len(rules)
        doc = rule_doc(info)
        entry: dict[str, Any] = {
            "id": info.id,
            "name": _camel(info.id),
            "shortDescription": {"text": info.summary},
            "fullDescription": {"text": doc.flags if doc is not None else info.summary},
            "help": {"text": help_text(info), "markdown": help_markdown(info)},
            "defaultConfiguration": {"level": _LEVEL[info.severity]},
            "properties": {"kind": info.kind, "waivable": info.waivable,
                           "security-severity": _SECURITY_SEVERITY[info.severity],
                           "tags": ["security", "access-governance", info.kind]},
        }
        rules.append(entry)
    # each result is written as soon as it is built: the dicts of a large run never all exist at once
    results: list[str] = []
    findings = report.findings
    omitted: dict[str, int] = {}
    if len(findings) > MAX_RESULTS:
        order = most_severe_first(findings)
        kept = sorted(order[:MAX_RESULTS])
        for i in order[MAX_RESULTS:]:
            omitted[findings[i].rule] = omitted.get(findings[i].rule, 0) + 1
        findings = tuple(findings[i] for i in kept)
    for f in findings:
        result: dict[str, Any] = {
            "ruleId": f.rule,
            "level": _LEVEL[f.severity],
            "message": {"text": f.message + f.also()},
            "locations": [_location(report, f.path, f.line, f.column, _LOCATION_PAD)],
            "partialFingerprints": {"permgateFinding/v1": _fingerprint(f)},
            "properties": {"employee": f.employee, "permission": f.permission,
                           **({"role": f.role} if f.role is not None else {})},
        }
        if f.rule in index:
            result["ruleIndex"] = index[f.rule]
        if f.companions:  # the other rules' findings on this grant (permgate/engine/grouping.py)
            result["properties"]["companions"] = [
                {"ruleId": c.rule, "level": _LEVEL[c.severity], "message": c.message} for c in f.companions]
        if f.related:
            result["relatedLocations"] = [
                {"id": i, **_location(report, r.path, r.line, r.column, _LOCATION_PAD), "message": {"text": r.message}}
                for i, r in enumerate(f.related, start=1)
            ]
        if f.waived is not None:
            w = f.waived
            result["suppressions"] = [{
                "kind": "external", "status": "accepted",
                "justification": f"{w.reason} (approved by {w.approved_by} until {w.expires}, ticket {w.ticket})",
                "location": _location(report, w.path, w.line, w.column, _SUPPRESSION_PAD),
            }]
        elif f.baselined is not None:
            b = f.baselined
            result["suppressions"] = [{
                "kind": "external", "status": "accepted",
                "justification": f"accepted by the baseline ({b.path}:{b.line})",
                "location": _location(report, b.path, b.line, 3, _SUPPRESSION_PAD),
            }]
        if report.base_ref is not None:
            result["baselineState"] = "new"
        results.append(encode(result, _RESULT_PAD))
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "permgate",
            "version": __version__,
            "semanticVersion": __version__,
            "rules": rules,
        }},
        "columnKind": "unicodeCodePoints",
        "results": ITEMS,
        "properties": {"summary": report.summary()},
    }
    if omitted:
        left = sum(omitted.values())
        run["properties"]["omitted"] = {"results": left, "by_rule": dict(sorted(omitted.items()))}
        run["invocations"] = [{"executionSuccessful": True, "toolExecutionNotifications": [{
            "level": "warning",
            "message": {"text": f"{left} of {len(report.findings)} findings are not in this file: code scanning "
                                f"takes {MAX_RESULTS} results a run. The most severe are kept; the text and JSON "
                                "reports list every finding."},
        }]}]
    sarif = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    # as json.dumps(sarif, indent=2, sort_keys=True, ensure_ascii=False) writes it
    return dumps_around(sarif, results, _RESULTS_PAD, end="\n")
