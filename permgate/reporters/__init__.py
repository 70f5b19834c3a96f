"""Output formats: each a pure ``render(report) -> str`` in its own module.

``REPORTERS`` feeds the ``--format`` choices of the CLI.  It maps each format to the
module that renders it and imports that module on first use, so a run pays only for
the format it prints.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping

from permgate.findings import Finding
from permgate.reporters.base import Report

Renderer = Callable[[Report], str]

#: format -> module under ``permgate.reporters`` whose ``render`` writes it
_MODULES: dict[str, str] = {
    "text": "text",
    "json": "json_format",
    "sarif": "sarif",
    "github": "github",
    "markdown": "markdown",
}


class _Reporters(Mapping[str, Renderer]):
    """``{format: render}``, importing a format's module when it is first looked up."""

    def __getitem__(self, name: str) -> Renderer:
        module = importlib.import_module(f"permgate.reporters.{_MODULES[name]}")
        render: Renderer = module.render
        return render

    def __contains__(self, name: object) -> bool:
        return name in _MODULES  # without importing the format's module

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


REPORTERS: Mapping[str, Renderer] = _Reporters()

#: formats that can be written as the findings come (``permgate.engine.chunked.check_streamed``): their
#: module has ``stream_pieces(report) -> (findings -> a piece each)`` and ``stream_frame(report, items,
#: capped) -> (head, tail, trim)``; a format that keeps only the most severe findings says how many
#: (``STREAM_CAP``)
STREAMED = ("text", "json", "sarif")
Pieces = Callable[[list[Finding]], list[str]]
Frame = Callable[[Report, bool, "tuple[dict[str, int], int] | None"], tuple[str, str, int]]


def streamed(name: str) -> tuple[Callable[[Report], Pieces], Frame, int | None]:
    """The streaming functions of format ``name`` (one of ``STREAMED``) and its cap on findings."""
    module = importlib.import_module(f"permgate.reporters.{_MODULES[name]}")
    return module.stream_pieces, module.stream_frame, getattr(module, "STREAM_CAP", None)


__all__ = ["REPORTERS", "STREAMED", "Renderer", "Report", "streamed"]
