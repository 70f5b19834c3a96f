"""The people directory in the cache, by git blob id: one string per column, built lazily.

``check --base`` judged incrementally reads the people directory on every run; when it is the
same at both revisions its parse is shared and cached here (``people-v2``): 100,000 people decode
several times faster than a parse, and only the people a run asks for are built.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from permgate.config import Config
from permgate.load.source import Source
from permgate.load.workspace import load_people
from permgate.model import Loc, Person
from permgate.runtime import cache as caching

#: the cache entry kind of a parsed people directory, by git blob id
PEOPLE_KIND = "people-v2"


#: the people directory's fields, in ``Person`` order (the location is its line and column)
_PEOPLE_COLUMNS = ("id", "name", "division", "manager", "line", "column", "division_since", "function")


#: fields that may be None (stored as ""; the schema gives none of them an empty value)
_NULLABLE = frozenset({"manager", "division_since", "function"})


#: fields stored as decimal numbers
_NUMBERS = frozenset({"line", "column"})


#: what separates the values of a column in the cache: one string per column decodes many
#: times faster than a JSON list of 100,000 strings.  A directory with a value that holds
#: it (or an empty value) is not stored, and is parsed on every run.
_SEP = "\n"


class LazyPeople(Mapping[str, Person]):
    """The people directory from its cached columns: each ``Person`` is built when first asked for.

    Equal, entry by entry and in order, to what ``load_people`` returned when the entry was
    stored (only a directory ``load_people`` accepted is stored); 100,000 people cost a
    fraction of a parse, and a run that asks for a few hundred builds only those.
    """

    def __init__(self, rel: str, columns: dict[str, list[str]]) -> None:
        self._rel = rel
        self._columns = [columns[c] for c in _PEOPLE_COLUMNS]
        self._row = dict(zip(columns["id"], range(len(columns["id"])), strict=True))
        self._built: dict[str, Person] = {}

    def __getitem__(self, key: str) -> Person:
        person = self._built.get(key)
        if person is None:
            i = self._row[key]
            pid, name, division, manager, line, column, since, function = (c[i] for c in self._columns)
            person = self._built[key] = Person(pid, name, division, manager or None,
                                               Loc(self._rel, int(line), int(column)), since or None,
                                               function or None)
        return person

    def get(self, key: str, default: Person | None = None) -> Person | None:  # type: ignore[override]
        """``Mapping.get`` without its ``try``/``KeyError`` (rules ask once per grant)."""
        person = self._built.get(key)
        if person is not None:
            return person
        return self[key] if key in self._row else default

    def __contains__(self, key: object) -> bool:
        return key in self._row

    def __iter__(self) -> Iterator[str]:
        return iter(self._row)

    def __len__(self) -> int:
        return len(self._row)


def _people_encoded(people: Mapping[str, Person], rel: str) -> dict[str, str] | None:
    """The cache entry of ``people`` (``load_people``'s result for ``rel``): one string per
    column; None when a value cannot be stored so (see ``_SEP``)."""
    values = list(people.values())
    if not values or any(p.loc.path != rel for p in values):
        return None
    columns = {"id": [p.id for p in values], "name": [p.name for p in values],
               "division": [p.division for p in values], "manager": [p.manager or "" for p in values],
               "line": [str(p.loc.line) for p in values], "column": [str(p.loc.column) for p in values],
               "division_since": [p.division_since or "" for p in values],
               "function": [p.function or "" for p in values]}
    if any(p.manager == "" or p.division_since == "" or p.function == "" for p in values):
        return None  # "" stands for None
    encoded = {name: _SEP.join(column) for name, column in columns.items()}
    if any(text.count(_SEP) != len(values) - 1 for text in encoded.values()):
        return None  # a value holds the separator
    return encoded if _people_columns(encoded) is not None else None


def _people_columns(value: object) -> dict[str, list[str]] | None:
    """The columns of a cache entry written by ``_people_encoded``; None when it does not check out."""
    if not isinstance(value, dict) or set(value) != set(_PEOPLE_COLUMNS) \
            or not all(type(v) is str for v in value.values()):
        return None
    columns: dict[str, list[str]] = {name: text.split(_SEP) for name, text in value.items()}
    ids = columns["id"]
    count = len(ids)
    for name, column in columns.items():
        if len(column) != count:
            return None
        if name in _NUMBERS:
            digits = value[name].replace(_SEP, "")
            if not (digits.isascii() and digits.isdigit()) or "" in column:
                return None
        elif name not in _NULLABLE and "" in column:
            return None
    if len(set(ids)) != count:
        return None
    return columns


def shared_people(source: Source, config: Config, blob: str,
                  cache: caching.Cache | None) -> Mapping[str, Person]:
    """The people directory (unchanged at both revisions, git blob ``blob``): from the cache, or parsed."""
    key = caching.entry_key(blob, config.people)
    if cache is not None:
        columns = _people_columns(cache.get_index(PEOPLE_KIND, key))
        if columns is not None:
            return LazyPeople(config.people, columns)
    people = load_people(source, config)
    if cache is not None:
        encoded = _people_encoded(people, config.people)
        if encoded is not None:
            cache.put_index(PEOPLE_KIND, key, encoded)
    return people
