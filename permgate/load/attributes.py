"""Checkout conversions: ``.gitattributes`` lines that make git rewrite a file permgate reads.

What merges is the committed blob; a checkout may hand the working tree something else.  Three
attributes change the *content* a parser reads:

- ``filter=NAME``: a smudge command of the checking-out machine's choosing (an undefined filter
  is passed through, a defined one can drop lines);
- ``ident``: ``$Id$`` becomes ``$Id: <blob id> $``;
- ``working-tree-encoding=ENC``: the blob is re-encoded (UTF-16, ...) in the working tree.

``text``, ``eol``, ``-text`` and ``binary`` only change line endings, which a YAML parser reads
alike, and are allowed.  Each line of a ``.gitattributes`` that can apply to a file permgate
reads (the root's, those of the folders on the way to the catalog, the people directory,
``permgate.yaml``, the policies and the assignments folder, and any inside the assignments
folder) and that sets one of the three is an ``invalid-file`` finding at that line, in every
mode: ``check --base`` reads git objects and is not fooled, but the working tree that ``check``
reads, and every other tool that reads the checkout, is.  A line that sets one through a macro
(``[attr]NAME filter=x``) is flagged at the macro's definition.

Which lines "can apply" is decided from the pattern's last component, conservatively: a
pattern is cleared only when it cannot match a name ending in ``.yaml``/``.yml`` nor the name
of the catalog, the people directory or ``permgate.yaml`` (``*.png filter=lfs`` is fine).
"""

from __future__ import annotations

from permgate.config import CONFIG_NAME, DEFAULT_MAX_FILE_BYTES, Config
from permgate.errors import LoadError
from permgate.load import files
from permgate.load.source import Source
from permgate.load.yamldoc import show
from permgate.model import LoadProblem

#: attributes that change the bytes a checkout writes (not only its line endings)
CONTENT_ATTRIBUTES = ("filter", "ident", "working-tree-encoding")

_WILDCARDS = "*?]"


def attribute_files(config: Config, refused: list[tuple[str, str]]) -> list[str]:
    """The ``.gitattributes`` that can apply to a file permgate reads: in the root and in each
    folder on the way to one, and those the walk of the assignments folder reported."""
    out: set[str] = set()
    reads = [config.catalog, config.people, CONFIG_NAME, config.policies + "/x", config.assignments + "/x"]
    if config.waivers_path is not None:
        reads.append(config.waivers_path)
    for rel in reads:
        parts = [p for p in rel.split("/")[:-1] if p not in ("", ".")]
        for n in range(len(parts) + 1):
            out.add("/".join([*parts[:n], files.GITATTRIBUTES]))
    out.update(p for p, _why in refused if p.rsplit("/", 1)[-1] == files.GITATTRIBUTES)
    return sorted(out)


def conversion_problems(source: Source, config: Config, refused: list[tuple[str, str]]) -> list[LoadProblem]:
    """One ``invalid-file`` problem per line of an applicable ``.gitattributes`` that sets a
    content-changing attribute (``CONTENT_ATTRIBUTES``)."""
    names = {rel.rsplit("/", 1)[-1].lower() for rel in (config.catalog, config.people, CONFIG_NAME)}
    problems: list[LoadProblem] = []
    for rel in attribute_files(config, refused):
        if not source.exists(rel) or source.is_dir(rel):
            continue
        try:
            data = source.read_bytes(rel, DEFAULT_MAX_FILE_BYTES)
        except LoadError as err:  # fail closed: an unreadable attributes file is a finding too
            problems.append(LoadProblem(err.path, err.line, err.column, err.detail))
            continue
        problems.extend(scan(rel, data.decode("utf-8", "surrogateescape"), names))
    return problems


def scan(rel: str, text: str, names: set[str]) -> list[LoadProblem]:
    """The content-changing attribute settings of the ``.gitattributes`` text ``text`` at ``rel``."""
    out: list[LoadProblem] = []
    for number, line in enumerate(text.splitlines(), 1):
        body = line.lstrip()
        if not body or body.startswith("#"):
            continue
        pattern, rest = _split(body)
        macro = pattern.startswith("[attr]")
        if not macro and not _may_match(pattern, names):
            continue
        for attr in rest.split():
            if attr.startswith(("-", "!")):  # unset or unspecified: no conversion
                continue
            name = attr.partition("=")[0]
            if name in CONTENT_ATTRIBUTES:
                column = line.find(attr) + 1
                what = "a macro that sets " if macro else ""
                out.append(LoadProblem(rel, number, column, (
                    f"checkout conversion: {what}`{show(attr)}` makes git's checkout rewrite the files "
                    f"`{show(pattern)}` matches, so the working tree is not what is committed; "
                    "remove it (permgate reads only files git checks out unchanged)")))
    return out


def _split(body: str) -> tuple[str, str]:
    """(pattern, attributes) of a non-comment line; a pattern may be C-quoted (``"a b"``)."""
    if body.startswith('"'):
        i = 1
        while i < len(body) and body[i] != '"':
            i += 2 if body[i] == "\\" else 1
        return body[1:i], body[i + 1:]
    pattern, _, rest = body.partition(" ")
    if "\t" in pattern:
        pattern, _, more = pattern.partition("\t")
        rest = more + " " + rest
    return pattern, rest.replace("\t", " ")


def _may_match(pattern: str, names: set[str]) -> bool:
    """Whether ``pattern`` could match a file permgate reads, judged from its last component."""
    last = pattern.rstrip("/").rsplit("/", 1)[-1]
    cut = max(last.rfind(c) for c in _WILDCARDS)
    tail = last[cut + 1:].lower()
    candidates = [*files.YAML_SUFFIXES, *names]
    if cut < 0:  # no wildcard: one name
        return tail.endswith(files.YAML_SUFFIXES) or tail in names
    return not tail or any(c.endswith(tail) or tail.endswith(c) for c in candidates)
