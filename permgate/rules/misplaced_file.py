"""misplaced-file: a grants file in another division's folder, or named after someone else."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from permgate.findings import Violation
from permgate.model import Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc, person_related


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    prefix = "" if ws.assignments_path == "." else ws.assignments_path.rstrip("/") + "/"
    people = ws.people
    for f in ws.files:
        person = people.get(f.employee)
        if person is not None and f.path == f"{prefix}{person.division}/{f.employee}.yaml":
            continue  # where it belongs (the usual case, settled without taking the path apart)
        inner = f.path[len(prefix):] if f.path.startswith(prefix) else f.path
        folders = inner.split("/")[:-1]
        stem = posixpath.splitext(posixpath.basename(f.path))[0]
        problems = []
        related = []
        if stem != f.employee:
            problems.append(f"is named {posixpath.basename(f.path)} but holds the grants of {f.employee}")
        if person is not None and folders and folders[0] != person.division:
            problems.append(f"sits in {prefix}{folders[0]}/ but {person.label} is in {person.division} "
                            f"({person.loc})")
            related.append(person_related(person))
        if problems:
            expected = f"{prefix}{person.division}/{f.employee}.yaml" if person else f"{f.employee}.yaml"
            loc = f.employee_loc
            yield Violation(loc.path, loc.line, loc.column,
                            f"this file {' and '.join(problems)}; move it to {expected}",
                            f.employee, None, tuple(related))


RULE = Rule(
    id="misplaced-file",
    summary="A grants file is not at assignments/<division>/<employee>.yaml",
    default_severity="error",
    check=check,
    doc=RuleDoc(
        flags="A grants file under `assignments/<division>/` whose employee is in another division, or whose "
              "file name is not `<employee>.yaml`. The finding is at the `employee:` line.",
        why="Folders route review: CODEOWNERS gives `assignments/distribution/` to distribution's "
            "reviewers. A sales employee's file placed in another folder is reviewed by the wrong people, and "
            "a file named after someone else is easy to miss or to edit by mistake.",
        fix="Move the file to `assignments/<division>/<employee>.yaml`, the division being the one in the "
            "people directory; when someone transfers, move their file in the same change.",
        bad=Example(
            files={"assignments/retail-sales/E000002.yaml": "",
                   "assignments/distribution/E000002.yaml": """\
---
employee: E000002
grants:
  - permission: P001
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "billing desk onboarding, ticket ACC-00101"
"""},
            expect=(("assignments/distribution/E000002.yaml", 2),),
        ),
        good=Example(files={}),
    ),
)
