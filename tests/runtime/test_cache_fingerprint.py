"""The cache's code fingerprint covers all of permgate's code, not only the runtime package."""

from __future__ import annotations

from pathlib import Path

import permgate
from permgate.runtime import cache as caching


def test_the_code_fingerprint_hashes_every_module_of_the_package() -> None:
    # after the move of cache.py into runtime/, the fingerprint hashed runtime/ alone: a changed
    # rule, engine or reporter was answered from the cache with the old code's output
    package = Path(permgate.__file__).resolve().parent
    hashed = {p.relative_to(package).as_posix() for p in caching.code_files()}
    expected = {p.relative_to(package).as_posix() for p in package.rglob("*.py") if "__pycache__" not in p.parts}
    assert expected <= hashed
    for module in ("rules/self_grant.py", "engine/evaluation.py", "reporters/text.py",
                   "findings.py", "schemas/grants.schema.json", "runtime/cache.py"):
        assert module in hashed, module
