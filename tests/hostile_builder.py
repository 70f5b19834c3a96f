"""``examples/hostile/build_hostile.py`` as a module, for the hostile-input tests."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from tests.conftest import PROJECT


def load() -> ModuleType:
    path = PROJECT / "examples" / "hostile" / "build_hostile.py"
    spec = importlib.util.spec_from_file_location("build_hostile", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


builder = load()
