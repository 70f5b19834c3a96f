"""Output formats: each a pure ``render(report) -> str`` in its own module.

``REPORTERS`` feeds the ``--format`` choices of the CLI.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from permgate.reporters import github, json_format, markdown, sarif, text
from permgate.reporters.report import Report

Renderer = Callable[[Report], str]

REPORTERS: Mapping[str, Renderer] = {
    "text": text.render,
    "json": json_format.render,
    "sarif": sarif.render,
    "github": github.render,
    "markdown": markdown.render,
}

__all__ = ["REPORTERS", "Renderer", "Report"]
