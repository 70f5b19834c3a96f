"""Write (or check) ``docs/rules/``: ``python -m permgate.docsgen [--check] [--out DIR]``.

Pages are rendered by ``permgate.rules.docs`` from the rule modules.  ``--check`` writes
nothing and returns 1 when a page is missing, stale, or no longer belongs to a rule.
"""

from __future__ import annotations

import argparse
import os

from permgate.rules.docs import pages

DEFAULT_OUT = os.path.join("docs", "rules")


def stale(out_dir: str) -> list[str]:
    """Names of the pages under ``out_dir`` that differ from what the code renders."""
    wanted = pages()
    problems = []
    for name, text in sorted(wanted.items()):
        path = os.path.join(out_dir, name)
        try:
            with open(path, encoding="utf-8") as fh:
                current = fh.read()
        except FileNotFoundError:
            current = None
        if current != text:
            problems.append(name)
    if os.path.isdir(out_dir):
        problems += sorted(n for n in os.listdir(out_dir) if n.endswith(".md") and n not in wanted)
    return problems


def write(out_dir: str) -> list[str]:
    """Write every page; remove pages of rules that no longer exist. Returns the names changed."""
    changed = stale(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    wanted = pages()
    for name in changed:
        path = os.path.join(out_dir, name)
        if name in wanted:
            with open(path, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(wanted[name])
        else:
            os.remove(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m permgate.docsgen", description=__doc__)
    parser.add_argument("--out", default=DEFAULT_OUT, help="the folder of the rule pages (default docs/rules)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when a page is stale")
    args = parser.parse_args(argv)
    if args.check:
        problems = stale(args.out)
        for name in problems:
            print(f"{os.path.join(args.out, name)}: stale; run python -m permgate.docsgen")
        return 1 if problems else 0
    for name in write(args.out):
        print(f"wrote {os.path.join(args.out, name)}")
    return 0
