"""`permgate check` imports only what it uses; `permgate --help` still lists every command."""

from __future__ import annotations

import importlib
import inspect
import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from permgate.cli import COMMANDS, LazyGroup, cli

PROJECT = Path(__file__).resolve().parents[2]
INCIDENT = PROJECT / "examples" / "incident-2023"

#: modules a `check` of a valid repository must never import: other commands, the HTML
#: report, the editors, and jsonschema (only a document the fast check cannot vouch for needs it)
NOT_FOR_CHECK = ("jsonschema", "permgate.analysis.audit", "permgate.cli.audit", "permgate.commands.audit",
                 "permgate.reporters.html", "permgate.reporters.exposures", "permgate.analysis.matrix",
                 "permgate.edit", "permgate.change.whatif", "permgate.rules.docs", "permgate.cli.report",
                 "permgate.cli.grant", "permgate.cli.fmt", "permgate.reporters.sarif",
                 "permgate.reporters.markdown", "permgate.reporters.json_format")

_PROBE = """
import json, sys
from permgate.cli import main
code = main(sys.argv[1:])
print(json.dumps([code, sorted(sys.modules)]))
"""


def _modules_after(*argv: str) -> tuple[int, set[str]]:
    out = subprocess.run([sys.executable, "-c", _PROBE, *argv], capture_output=True, text=True, check=True,
                         cwd=PROJECT).stdout
    code, modules = json.loads(out.splitlines()[-1])
    return code, set(modules)


def test_check_imports_only_what_it_uses(tmp_path: Path) -> None:
    code, modules = _modules_after("check", "--root", str(INCIDENT), "--today", "2023-03-16",
                                   "--cache-dir", str(tmp_path), "--format", "text")
    assert code == 1  # the incident's 103 errors: the check really ran
    assert {"permgate.engine.evaluation", "permgate.load.workspace", "permgate.reporters.text"} <= modules
    loaded = sorted(m for m in modules if m.split(".")[0] == "jsonschema"
                    or any(m == bad or m.startswith(bad + ".") for bad in NOT_FOR_CHECK))
    assert loaded == []


def test_a_run_answered_from_the_cache_imports_no_loader_and_no_yaml(tmp_path: Path) -> None:
    import shutil
    import time

    from permgate.runtime.cache import RACY_SECONDS

    root = tmp_path / "org"
    shutil.copytree(INCIDENT, root)
    time.sleep(RACY_SECONDS + 0.1)  # a tree written a moment ago is not stored
    argv = ("check", "--root", str(root), "--today", "2023-03-16", "--cache-dir", str(tmp_path / "cache"))
    first_code, first = _modules_after(*argv)
    code, modules = _modules_after(*argv)
    assert code == first_code == 1 and "permgate.engine.evaluation" in first
    assert not {"permgate.engine.evaluation", "permgate.load.workspace", "permgate.reporters.text", "yaml"} & modules


def test_check_loads_jsonschema_to_explain_an_invalid_file(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    for rel in ("catalog.yaml", "people.yaml", "policies/unbundling.yaml"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes((INCIDENT / rel).read_bytes())
    bad = root / "assignments" / "corporate" / "E000001.yaml"
    bad.parent.mkdir(parents=True)
    bad.write_text("employee: E000001\ngrants:\n  - permission: P001\n    granted_on: 2022-13-01\n")
    code, modules = _modules_after("check", "--root", str(root), "--today", "2023-03-16",
                                   "--cache-dir", str(tmp_path / "cache"))
    assert code == 1
    assert "jsonschema" in modules  # the explanation of the invalid file needs it


def test_format_imports_its_reporter_only(tmp_path: Path) -> None:
    code, modules = _modules_after("check", "--root", str(INCIDENT), "--today", "2023-03-16",
                                   "--cache-dir", str(tmp_path), "--format", "json")
    assert code == 1
    assert "permgate.reporters.json_format" in modules
    assert "permgate.reporters.sarif" not in modules and "permgate.reporters.markdown" not in modules


def test_help_imports_no_command() -> None:
    code, modules = _modules_after("--help")
    assert code == 0
    assert sorted(m for m in modules if m.startswith("permgate.") and m != "permgate.cli") == []


def _eager_group() -> click.Group:
    """The same group with every command imported and added, as it was built before."""
    group = click.Group(name="cli", help=cli.help, context_settings=cli.context_settings, params=list(cli.params))
    for name, (module, attribute, _) in COMMANDS.items():
        group.add_command(getattr(importlib.import_module(f"permgate.cli.{module}"), attribute), name)
    return group


@pytest.mark.parametrize("width", [60, 80, 100, 200])
def test_help_lists_every_command_as_an_eager_group_would(width: int) -> None:
    runner = CliRunner()
    fresh = LazyGroup(name="cli", help=cli.help, context_settings=cli.context_settings,
                      params=list(cli.params))  # no command loaded yet
    assert fresh.commands == {}
    lazy = runner.invoke(fresh, ["--help"], terminal_width=width, prog_name="permgate")
    eager = runner.invoke(_eager_group(), ["--help"], terminal_width=width, prog_name="permgate")
    assert lazy.exit_code == eager.exit_code == 0
    assert lazy.output == eager.output
    for name in COMMANDS:
        assert f"\n  {name} " in lazy.output


def test_short_help_in_the_table_is_the_commands_own() -> None:
    for name, (module, attribute, short) in COMMANDS.items():
        command = getattr(importlib.import_module(f"permgate.cli.{module}"), attribute)
        assert isinstance(command, click.Command)
        assert command.name == name
        assert command.help is not None
        assert inspect.cleandoc(command.help).split("\n\n")[0] == short, name


def test_every_cli_module_command_is_listed() -> None:
    found = set()
    for path in sorted((PROJECT / "permgate" / "cli").glob("*.py")):
        module = importlib.import_module(f"permgate.cli.{path.stem}")
        commands = [obj for obj in vars(module).values() if isinstance(obj, click.Command)]
        # a group's subcommands (``review open``) are reached through the group, which is listed
        inner = {id(c) for g in commands if isinstance(g, click.Group) for c in g.commands.values()}
        found |= {c.name for c in commands if id(c) not in inner
                  and (not isinstance(c, click.Group) or c.name in COMMANDS)}
    assert found == set(COMMANDS)


@pytest.mark.parametrize("argv", [["chec"], ["who-cn", "P1"], ["nothing-like-it"], ["--bogus"]])
def test_unknown_commands_are_answered_as_an_eager_group_would(argv: list[str]) -> None:
    runner = CliRunner()
    fresh = LazyGroup(name="cli", help=cli.help, context_settings=cli.context_settings, params=list(cli.params))
    lazy = runner.invoke(fresh, argv, prog_name="permgate")
    eager = runner.invoke(_eager_group(), argv, prog_name="permgate")
    assert (lazy.exit_code, lazy.output) == (eager.exit_code, eager.output)
    assert lazy.exit_code == 2
    if argv == ["chec"]:
        assert "Did you mean one of: 'check', 'schema'?" in lazy.output


def test_reporters_mapping_imports_a_format_when_it_is_looked_up() -> None:
    probe = ("import sys; from permgate.reporters import REPORTERS; "
             "listed = sorted(REPORTERS); member = 'sarif' in REPORTERS and 'nope' not in REPORTERS; "
             "before = 'permgate.reporters.sarif' in sys.modules; render = REPORTERS['sarif']; "
             "print(listed, member, before, 'permgate.reporters.sarif' in sys.modules, render.__module__)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["['github',", "'json',", "'markdown',", "'sarif',", "'text']", "True", "False", "True",
                           "permgate.reporters.sarif"]
