"""``--format json``: ``{"version": 1, "findings": [...], "summary": {...}}``.

A stable contract (docs/output-formats.md): fields are only ever added, never renamed.

The bytes are exactly those of ``json.dumps(doc, indent=2, sort_keys=True,
ensure_ascii=False)`` (a test compares them), made by ``jsontext`` one finding at a time,
and for a finding of the usual shape by filling in a template from its fields.
"""

from __future__ import annotations

from collections.abc import Callable
from json.encoder import encode_basestring

from permgate.findings import Finding, Related, Waived
from permgate.reporters.base import Report
from permgate.reporters.jsontext import ITEMS, dumps, dumps_around, encode

VERSION = 1


# One finding as ``encode(finding.to_dict(), "    ")`` writes it, filled in directly
# from the fields; used only while ``to_dict`` has exactly these keys (checked below).
_FINDING = ('{\n      "baselined": %s,\n      "column": %d,\n      "companions": [],\n      "employee": %s,\n'
            '      "line": %d,\n'
            '      "message": %s,\n'
            '      "path": %s,\n      "permission": %s,\n      "related": %s,\n      "role": %s,\n      "rule": %s,\n'
            '      "severity": %s,\n      "waived": %s\n    }')
_RELATED = ('        {\n          "column": %d,\n          "line": %d,\n          "message": %s,\n'
            '          "path": %s\n        }')
_WAIVED = ('{\n        "approved_by": %s,\n        "column": %d,\n        "expires": %s,\n        "line": %d,\n'
           '        "path": %s,\n        "reason": %s,\n        "ticket": %s\n      }')
_BASELINED = '{\n        "line": %d,\n        "path": %s\n      }'
_KEYS = (("baselined", "column", "companions", "employee", "line", "message", "path", "permission", "related",
          "role", "rule", "severity", "waived"),
         ("column", "line", "message", "path"),
         ("approved_by", "column", "expires", "line", "path", "reason", "ticket"))


def _shape_is_known() -> bool:
    sample = Finding("r", "s", "m", "p", 1, 1)
    return (tuple(sorted(sample.to_dict())), tuple(sorted(Related("p", 1, 1, "m").to_dict())),
            tuple(sorted(Waived("a", "e", "t", "r", "p", 1, 1).to_dict()))) == _KEYS


_KNOWN_SHAPE = _shape_is_known()


class _Unusual(Exception):
    """A field of a type the template does not write as json would (a bool where an int is
    expected, a non-string where a string is): the finding goes the general way."""


def _text(value: str | None) -> str:
    if value is None:
        return "null"
    if value.__class__ is not str:
        raise _Unusual
    return encode_basestring(value)


def _number(value: int) -> int:
    if value.__class__ is not int:
        raise _Unusual
    return value


def _templated(f: Finding) -> str:
    related = _templated_related(f)
    w = f.waived
    waived = "null" if w is None else _WAIVED % (
        _text(w.approved_by), _number(w.column), _text(w.expires), _number(w.line), _text(w.path), _text(w.reason),
        _text(w.ticket))
    if f.rule.__class__ is not str or f.severity.__class__ is not str or f.message.__class__ is not str \
            or f.path.__class__ is not str:
        raise _Unusual
    b = f.baselined
    baselined = "null" if b is None else _BASELINED % (_number(b.line), _text(b.path))
    return _FINDING % (baselined, _number(f.column), _text(f.employee), _number(f.line), encode_basestring(f.message),
                       encode_basestring(f.path), _text(f.permission), related, _text(f.role),
                       encode_basestring(f.rule), encode_basestring(f.severity), waived)


def _finding(f: Finding) -> str:
    # a finding with companions (a few per grant crossing the boundary) goes the general way
    if _KNOWN_SHAPE and f.__class__ is Finding and not f.companions:
        try:
            return _templated(f)
        except _Unusual:
            pass
    return encode(f.to_dict(), "    ")


#: a streamed finding with neither waiver nor baseline: the separator before it, then ``_FINDING``
_PIECE = (',\n    {\n      "baselined": null,\n      "column": %d,\n      "companions": [],\n      "employee": %s,\n'
          '      "line": %d,\n'
          '      "message": %s,\n      "path": %s,\n      "permission": %s,\n      "related": %s,\n'
          '      "role": %s,\n      "rule": %s,\n      "severity": %s,\n      "waived": null\n    }')


def _encoded(memo: dict[object, str], value: str | None) -> str:
    text = memo.get(value)
    if text is None:
        text = memo[value] = _text(value)  # only ever str or None keys: anything else raises
    return text


def _pieces(findings: list[Finding], color: bool = False) -> list[str]:
    """``",\n    " + _finding(f)`` for each finding, the same bytes (``_templated``) with the ids, paths
    and related locations that come back finding after finding encoded once."""
    memo: dict[object, str] = {None: "null"}
    related: dict[int, str] = {id(()): "[]"}  # by identity: the findings keep them alive meanwhile
    out = []
    for f in findings:
        if f.waived is None and f.baselined is None and not f.companions and _KNOWN_SHAPE and f.__class__ is Finding \
                and f.line.__class__ is int and f.column.__class__ is int and f.message.__class__ is str:
            try:
                try:  # the common case: every part seen before in this run
                    out.append(_PIECE % (f.column, memo[f.employee], f.line, encode_basestring(f.message),
                                         memo[f.path], memo[f.permission], related[id(f.related)],
                                         memo[f.role], memo[f.rule], memo[f.severity]))
                    continue
                except KeyError:
                    pass
                for part in (f.employee, f.path, f.permission, f.role, f.rule, f.severity):
                    _encoded(memo, part)
                if id(f.related) not in related:
                    related[id(f.related)] = _templated_related(f)
                out.append(_PIECE % (f.column, memo[f.employee], f.line, encode_basestring(f.message),
                                     memo[f.path], memo[f.permission], related[id(f.related)],
                                     memo[f.role], memo[f.rule], memo[f.severity]))
                continue
            except (_Unusual, TypeError):  # TypeError: a part that cannot be a key (a list)
                pass
        out.append(",\n    " + _finding(f))
    return out


def _templated_related(f: Finding) -> str:
    if not f.related:
        return "[]"
    return "[\n" + ",\n".join([_RELATED % (_number(r.column), _number(r.line), _text(r.message), _text(r.path))
                                for r in f.related]) + "\n      ]"


def stream_pieces(report: Report) -> Callable[[list[Finding]], list[str]]:
    """What a streamed report (``permgate.engine.chunked.check_streamed``) writes for each of a run of
    findings, in order."""
    return _pieces


def stream_frame(report: Report, items: bool, capped: tuple[dict[str, int], int] | None = None) -> tuple[str, str, int]:
    """``(head, tail, trim)`` around the streamed pieces: ``render(report)`` is ``head`` + the pieces
    of its findings (the first without its first ``trim`` characters) + ``tail``."""
    doc = {"version": VERSION, "findings": ITEMS, "summary": report.summary()}
    head, tail = dumps(doc).split(ITEMS.text)
    if not items:
        return head + "[]", tail + "\n", 0
    return head + "[", "\n  ]" + tail + "\n", 1


def render(report: Report) -> str:
    doc = {"version": VERSION, "findings": ITEMS, "summary": report.summary()}
    return dumps_around(doc, list(map(_finding, report.findings)), "  ", end="\n")
