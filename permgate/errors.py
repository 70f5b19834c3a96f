"""Expected failures, as one small hierarchy.

    PermgateError                 anything the CLI reports as ``Error: ...`` with exit 2
     +-- LocatedError             something wrong at path:line:col
     |    +-- LoadError           a file does not parse or does not match its schema
     |    +-- ConfigError         permgate.yaml, catalog, people or a policy is unusable
     |    +-- EditError           a grants file cannot be rewritten safely (fmt, grant)
     +-- UsageError               an option or argument makes no sense (bad date, bad root)
     +-- GitError                 a git operation needed for the run failed

A grants file that cannot be read is *not* an error: it becomes an ``invalid-file``
finding, so that one bad file never hides the findings in the others.  Anything that
is not a ``PermgateError`` is a bug and is allowed to show as one.
"""

from __future__ import annotations


class PermgateError(Exception):
    """Base of every expected failure; ``str(err)`` is the message shown to the user."""


class LocatedError(PermgateError):
    """A problem at a place in a file; ``str(err)`` starts with ``path:line:col:``."""

    def __init__(self, path: str, line: int, column: int, message: str) -> None:
        self.path = path
        self.line = line
        self.column = column
        self.detail = message
        super().__init__(f"{path}:{line}:{column}: {message}")


class LoadError(LocatedError):
    """A file does not parse or does not match its schema.

    For a grants file the loader turns this into an ``invalid-file`` finding; for a file
    the whole run depends on it propagates and stops the run.
    """


class ConfigError(LocatedError):
    """The catalog, people directory, a policy or permgate.yaml cannot be used."""


class EditError(LocatedError):
    """A grants file is not in a layout permgate can rewrite without guessing."""


class UsageError(PermgateError):
    """The command line asks for something impossible."""


class GitError(PermgateError):
    """git could not answer a question the run depends on."""
