"""Strict YAML: plain data plus the line and column of every value.

Grant data is data only.  The document is built from parser *events* (never from
PyYAML's constructors), so nothing is ever instantiated from a tag, and so that:

- duplicate keys are rejected (PyYAML would silently keep the last one, which can hide
  a grant from a checker while a provisioning system reads the first);
- anchors, aliases, merge keys (``<<``) and tags are rejected;
- only one document per file;
- plain scalars resolve as YAML 1.1 does (``no`` is a boolean, ``0123`` an octal
  number) and also flag the YAML 1.2 numbers (``1e3``, ``0o17``), so that schema
  validation can say "quote it" instead of letting an id change type;
- dates keep their text form (``2022-07-01`` stays a string; the schema checks it).

The C parser (libyaml) is used where PyYAML was built with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from permgate.errors import LoadError

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: The loader class whose parser every reader of grants files uses (``permgate.edit`` reads events too).
LOADER: type = _Loader

#: Deeper nesting than this is refused: no grants file needs it, and it bounds work.
MAX_DEPTH = 64

JsonPath = tuple[str | int, ...]
Position = tuple[int, int]

_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_MERGE = "tag:yaml.org,2002:merge"
_VALUE = "tag:yaml.org,2002:value"
# YAML 1.2 core-schema numbers that YAML 1.1 reads as strings: another parser would
# read them as numbers, so an id written this way is ambiguous.
_YAML12_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$")
_YAML12_INT = re.compile(r"^0o[0-7]+$")
#: plain scalars YAML 1.1 (PyYAML) reads as text but a YAML 1.2 reader as an integer: decimals with a
#: leading zero and an 8 or 9 (``09``, ``0128``), which 1.1 takes for failed octals
_YAML12_DECIMAL = re.compile(r"^[-+]?[0-9]+$")
#: the tag permgate gives such a scalar: refused wherever it stands (keys, ids, values)
AMBIGUOUS = "tag:permgate.invalid,2026:yaml-1.1-text-yaml-1.2-number"

_constructor = SafeConstructor()

#: Longest excerpt of a file's text that a message quotes.
SHOW_MAX = 60


def show(text: str, limit: int = SHOW_MAX) -> str:
    """``text`` made safe to quote in a one-line message.

    Line breaks, tabs, control and bidirectional-formatting characters are escaped (so a
    hostile value can neither break the ``path:line:col:`` format nor disguise itself),
    and long text is cut to ``limit`` characters.
    """
    out = []
    for ch in text[: limit + 1]:
        out.append(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii"))
    shown = "".join(out)
    return shown if len(text) <= limit else shown[:limit] + "..."


def _resolve_tag(value: str) -> str | None:
    """The YAML 1.1 (PyYAML) implicit tag of a plain scalar, or None for a string."""
    if value == "":
        return _NULL
    candidates = Resolver.yaml_implicit_resolvers.get(value[0], [])
    for tag, regexp in candidates:
        if regexp.match(value):
            return str(tag)
    if _YAML12_FLOAT.match(value):
        return _FLOAT
    if _YAML12_INT.match(value):
        return _INT
    if _YAML12_DECIMAL.match(value):
        return AMBIGUOUS
    return None


def resolve_tag(value: str) -> str | None:
    """Public name of the plain-scalar resolution (``permgate.edit`` writes ids plain only when safe)."""
    return _resolve_tag(value)


def _plain_value(value: str, tag: str) -> Any:
    """The value YAML 1.1 gives the plain scalar ``value``; ValueError when it has none.

    PyYAML's resolver accepts forms its own constructor then fails on (``0b_``, ``0x_``):
    such a value means different things to different readers, so it is refused.
    """
    node = ScalarNode(tag, value)
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return _constructor.construct_yaml_bool(node)
    if tag == _INT:
        try:
            return _constructor.construct_yaml_int(node)
        except ValueError:  # YAML 1.2 form that 1.1's constructor does not know
            if not _YAML12_INT.match(value):
                raise
            return int(value[2:], 8)
    if tag == _FLOAT:
        try:
            return _constructor.construct_yaml_float(node)
        except ValueError:
            return float(value)
    # timestamps keep their text: the schema checks the date and nothing loses its form
    return value


@dataclass
class Document:
    """One parsed YAML document.

    ``positions`` maps the JSON path of every value to its (line, column), 1-based;
    ``key_positions`` maps the path of a mapping value to the position of its key;
    ``raw`` keeps the source text of plain scalars that YAML did not read as strings.
    ``data`` is None for an empty file.
    """

    data: Any
    positions: dict[JsonPath, Position] = field(default_factory=dict)
    key_positions: dict[JsonPath, Position] = field(default_factory=dict)
    raw: dict[JsonPath, str] = field(default_factory=dict)
    empty: bool = False

    def position(self, path: JsonPath) -> Position:
        """The position of ``path``, or of its nearest located ancestor."""
        p = tuple(path)
        while p not in self.positions and p:
            p = p[:-1]
        return self.positions.get(p, (1, 1))


def decode(data: bytes, path: str) -> str:
    """UTF-8 text of ``data``; a UTF-8 byte-order mark is dropped, anything else refused.

    Every input file permgate reads is decoded here, so this is also where the characters
    that YAML readers disagree on are refused: NEL (U+0085), LS (U+2028) and PS (U+2029)
    end a line for PyYAML (YAML 1.1) but not for YAML 1.2 readers, so one file would hold
    different data for different readers (a second grant, a comment that hides one).
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise LoadError(path, 1, 1, "file is UTF-32; grants data must be UTF-8")
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise LoadError(path, 1, 1, "file is UTF-16; grants data must be UTF-8")
    nul = data.find(b"\x00")
    if nul >= 0:  # YAML forbids NUL; this is almost always UTF-16/32 without a byte-order mark
        line = data.count(b"\n", 0, nul) + 1
        column = nul - (data.rfind(b"\n", 0, nul) + 1) + 1
        raise LoadError(path, line, column, "file contains NUL bytes (UTF-16 or UTF-32 without a byte-order "
                        "mark?); grants data must be UTF-8")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        raise LoadError(
            path, line, column, f"file is not valid UTF-8 (byte 0x{data[err.start]:02x})"
        ) from None
    if not data.isascii():
        disputed = _DISPUTED_BREAK.search(text)
        if disputed is not None:
            raise _disputed_break(text, disputed.start(), path)
    return text


#: NEL, LS and PS: line breaks to YAML 1.1 (PyYAML), ordinary text to YAML 1.2 readers.
_DISPUTED_BREAK = re.compile("[\x85\u2028\u2029]")
_BREAK_NAMES = {"\x85": "NEXT LINE", "\u2028": "LINE SEPARATOR", "\u2029": "PARAGRAPH SEPARATOR"}
_YAML12_BREAK = re.compile("\r\n|\r|\n")


def _disputed_break(text: str, offset: int, path: str) -> LoadError:
    """The refusal of the disputed line break at ``offset``, located as YAML 1.2 counts lines.

    Only LF, CRLF and CR end a line here: the character is on the line a YAML 1.2 reader
    (and an editor, and git) shows it on; its column counts characters from 1.
    """
    line, start = 1, 0
    for brk in _YAML12_BREAK.finditer(text, 0, offset):
        line, start = line + 1, brk.end()
    char = text[offset]
    return LoadError(path, line, offset - start + 1,
                     f"U+{ord(char):04X} ({_BREAK_NAMES[char]}) is a line break to YAML 1.1 readers but not to "
                     "YAML 1.2 readers, so they would read different data; remove it (or write it as an escape "
                     "in double quotes)")


def parse(text: str, path: str) -> Document:
    """Parse ``text`` strictly; raise ``LoadError`` at the offending line and column."""
    try:
        return _build(text, path)
    except yaml.reader.ReaderError as err:
        # a character YAML does not allow (NUL, most control characters); no mark, only an
        # offset: of characters from the Python reader, of UTF-8 bytes from libyaml
        before = text[: err.position]
        if _Loader is not yaml.SafeLoader:
            before = text.encode("utf-8", "surrogatepass")[: err.position].decode("utf-8", "replace")
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        char = err.character if isinstance(err.character, str) else chr(err.character)
        raise LoadError(path, line, column,
                        f"YAML does not allow the character U+{ord(char):04X} ({err.reason})") from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        what = err.problem or err.context or "invalid YAML"
        if err.context and err.problem:
            what = f"{err.context}: {err.problem}"
        raise LoadError(path, line, column, f"YAML syntax error: {show(what, 200)}") from None
    except yaml.YAMLError as err:
        raise LoadError(path, 1, 1, f"YAML syntax error: {show(str(err), 200)}") from None


class _Frame:
    __slots__ = ("container", "key", "key_pos", "keys", "path")

    def __init__(self, container: dict[str, Any] | list[Any], path: JsonPath) -> None:
        self.container = container
        self.path = path
        self.key: str | None = None
        self.key_pos: Position = (1, 1)


def _build(text: str, path: str) -> Document:
    doc = Document(data=None)
    stack: list[_Frame] = []
    documents = 0
    root_set = False

    def reject(event: Any, message: str) -> LoadError:
        mark = event.start_mark
        return LoadError(path, mark.line + 1, mark.column + 1, message)

    def place(event: Any, value: Any) -> JsonPath | None:
        """Attach ``value`` to the current container; return its path (None for a key)."""
        nonlocal root_set
        pos = (event.start_mark.line + 1, event.start_mark.column + 1)
        if not stack:
            doc.data = value
            root_set = True
            doc.positions[()] = pos
            return ()
        top = stack[-1]
        if isinstance(top.container, dict):
            if top.key is None:
                return None
            key = top.key
            child: JsonPath = (*top.path, key)
            top.container[key] = value
            doc.key_positions[child] = top.key_pos
            top.key = None
        else:
            child = (*top.path, len(top.container))
            top.container.append(value)
        doc.positions[child] = pos
        return child

    event: Any
    for event in yaml.parse(text, Loader=_Loader):
        kind = type(event)
        if kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise reject(event, "more than one YAML document in the file; use one")
            continue
        if kind is yaml.AliasEvent:
            raise reject(event, "YAML aliases (*name) are not allowed in permgate data")
        if kind in (yaml.StreamStartEvent, yaml.StreamEndEvent, yaml.DocumentEndEvent):
            continue
        if kind in (yaml.MappingEndEvent, yaml.SequenceEndEvent):
            stack.pop()
            continue

        if getattr(event, "anchor", None) is not None:
            raise reject(event, f"YAML anchors (&{show(event.anchor)}) are not allowed in permgate data")
        tag = getattr(event, "tag", None)
        if tag is not None:
            raise reject(event, f"YAML tags ({show(tag)}) are not allowed in permgate data")

        in_key_slot = bool(stack) and isinstance(stack[-1].container, dict) and stack[-1].key is None
        if kind is yaml.ScalarEvent:
            plain = bool(event.implicit[0])
            resolved = _resolve_tag(event.value) if plain else None
            if resolved in (_MERGE, _VALUE):
                raise reject(event, f"the plain scalar `{event.value}` is a YAML 1.1 merge/value "
                             "indicator, not text; quote it")
            if resolved == AMBIGUOUS:
                raise reject(event, f"`{show(event.value)}` is text to YAML 1.1 readers but a number to YAML 1.2 "
                             "readers; quote it")
            if in_key_slot:
                top = stack[-1]
                if resolved is not None:
                    raise reject(event, f"key `{show(event.value) or '(empty)'}` is not read as text by YAML; quote it")
                key = event.value
                assert isinstance(top.container, dict)
                if key in top.container:
                    first = doc.key_positions.get((*top.path, key), (0, 0))
                    raise reject(event, f"duplicate key `{show(key)}` (first at line {first[0]}); "
                                 "YAML readers disagree on which one wins")
                top.key = key
                top.key_pos = (event.start_mark.line + 1, event.start_mark.column + 1)
                continue
            try:
                value = _plain_value(event.value, resolved) if resolved else event.value
            except ValueError:
                raise reject(event, f"`{show(event.value)}` looks like a YAML number but is not a valid one; "
                             "quote it") from None
            child = place(event, value)
            if resolved is not None and not isinstance(value, str) and child is not None:
                doc.raw[child] = event.value
            continue

        # a collection starts
        if in_key_slot:
            raise reject(event, "complex (non-scalar) keys are not allowed")
        if len(stack) >= MAX_DEPTH:
            raise reject(event, f"nesting deeper than {MAX_DEPTH} levels")
        container: dict[str, Any] | list[Any] = {} if kind is yaml.MappingStartEvent else []
        child = place(event, container)
        assert child is not None
        stack.append(_Frame(container, child))

    if not root_set:
        doc.empty = True
    return doc
