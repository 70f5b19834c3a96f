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

#: formats that can be written as the findings come (``permgate.engine.stream``): their module has
#: ``stream_pieces(color) -> (findings -> a piece each)`` and ``stream_frame(report, items) -> (head, tail, trim)``
STREAMED = ("text", "json")


def streamed(name: str) -> tuple[Callable[[bool], Callable[[list[Finding]], list[str]]],
                                 Callable[[Report, bool], tuple[str, str, int]]]:
    """The streaming pair of format ``name`` (one of ``STREAMED``)."""
    module = importlib.import_module(f"permgate.reporters.{_MODULES[name]}")
    return module.stream_pieces, module.stream_frame

__all__ = ["REPORTERS", "STREAMED", "Renderer", "Report", "streamed"]
