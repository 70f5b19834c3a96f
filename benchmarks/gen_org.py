#!/usr/bin/env python3
"""Generate a synthetic organisation of permission grants as YAML files.

Adapted for permgate's benchmarks from the project's reference generator
(``../shared/bench/gen_org.py``, same author and licence); the layout and every file it
writes are the same, with two differences so that the benchmark measures a gate on a
mostly compliant organisation rather than the rendering of a million findings:
every reason names a ticket (``missing-justification``), and ``--policies`` also writes
``policies/`` (the unbundling rule and the head-of-division delegates that
``granter-authority`` needs).  Run with ``--reference`` to get the reference output.

Layout written under --out DIR:

  DIR/catalog.yaml                         120 permissions (P001..P120)
  DIR/people.yaml                          employees: id, name, division, manager
  DIR/assignments/<division>/<EMPID>.yaml  one file per employee, ~20 grants

The organisation is an electric utility after legal unbundling: "retail-sales"
sells power, "distribution" runs the grid (its customer and supply-point data
on new-entrant retailers' customers is non-public), "corporate" is shared
services.  Policy the data is meant to exercise: a permission owned by
"distribution" must not be granted to an employee of "retail-sales".  Normal grants respect
that rule; --violations grants (default N // 50) are planted that break it,
each on a distinct (employee, permission) pair.  The planted count is printed
on stdout as "planted_violations=K" and also written to DIR/expected.json.

Deterministic: same --seed and --employees give byte-identical output.
Needs only Python and PyYAML (PyYAML is used to emit catalog/people; the
grant files are written by hand so that their layout is stable and lint-clean).
"""

import argparse
import datetime as dt
import json
import os
import random
import sys

import yaml

DIVISIONS = ("retail-sales", "distribution", "corporate")
# share of employees per division
EMP_WEIGHTS = (0.45, 0.30, 0.25)

AREAS = {
    "retail-sales": ["retail-contracts", "billing", "pricing", "campaigns",
                     "customer-care", "corporate-sales", "switching-desk",
                     "sales-reports"],
    "distribution": ["supply-points", "wheeling-contracts", "meter-data",
                     "grid-connection", "outage-ops", "last-resort-supply"],
    "corporate": ["hr", "finance", "legal", "it", "procurement", "audit"],
}
VERBS = ["read", "write", "approve", "admin", "export"]

FIRST = ["Ada", "Ben", "Chloe", "Dev", "Elif", "Farah", "Gus", "Hana", "Ivan",
         "Jun", "Kofi", "Lena", "Mateo", "Nia", "Omar", "Priya", "Quinn",
         "Rosa", "Sven", "Tariq", "Uma", "Vera", "Wes", "Xia", "Yusuf", "Zoe"]
LAST = ["Abbott", "Baker", "Castro", "Dubois", "Eriksen", "Fischer", "Garcia",
        "Haddad", "Ito", "Jensen", "Kowalski", "Larsen", "Moreau", "Nakamura",
        "Okafor", "Patel", "Quist", "Rossi", "Silva", "Tanaka", "Urbano",
        "Varga", "Weber", "Xu", "Yilmaz", "Zhang"]

REASONS = [
    "needed for daily {area} work",
    "covering for a colleague on leave",
    "project onboarding, ticket {ticket}",
    "quarterly {area} review",
    "role change approved in ticket {ticket}",
    "temporary access for audit season",
    "standard access for the {area} team",
    "on-call rota, ticket {ticket}",
]
TICKETED = [r if "{ticket}" in r else r + ", ticket {ticket}" for r in REASONS]

POLICIES = {
    "unbundling.yaml": """\
---
# Legal unbundling (Electricity Business Act): grid data must not reach retail sales.
rules:
  - id: distribution-to-retail-sales
    kind: forbidden-owner
    severity: error
    waivable: false
    summary: Distribution-owned permissions must not be granted to retail-sales employees
    owner_divisions: [distribution]
    grantee_divisions: [retail-sales]
""",
    "governance.yaml": """\
---
# Division heads have no manager: the corporate head sets up the other two heads, and
# the retail-sales head sets up the corporate head (as the generator grants them).
settings:
  granter-authority:
    delegates:
      - granter: E000003
        employees: [E000001, E000002]
        reason: division heads are set up by corporate services
      - granter: E000001
        employees: [E000003]
        reason: the corporate head is set up by another division head
""",
}

PERMS_PER_DIVISION = {"retail-sales": 48, "distribution": 24, "corporate": 48}


def make_catalog(rng):
    owners = []
    for div in DIVISIONS:
        owners += [div] * PERMS_PER_DIVISION[div]
    rng.shuffle(owners)
    perms = []
    for i, owner in enumerate(owners, start=1):
        area = rng.choice(AREAS[owner])
        verb = rng.choice(VERBS)
        perms.append({
            "id": "P%03d" % i,
            "name": "%s.%s" % (area, verb),
            "owner_division": owner,
            "description": "%s access to %s systems" % (verb.capitalize(), area),
        })
    return perms


def make_people(rng, n):
    """Employees with a manager hierarchy inside each division."""
    people = []
    by_div = {d: [] for d in DIVISIONS}
    for i in range(1, n + 1):
        eid = "E%06d" % i
        if i <= len(DIVISIONS):          # first three are the division heads
            div = DIVISIONS[i - 1]
        else:
            div = rng.choices(DIVISIONS, weights=EMP_WEIGHTS)[0]
        members = by_div[div]
        if not members:
            manager = None
        else:
            # managers come from the first ~1/8 of each division (a shallow tree)
            pool = members[: max(1, len(members) // 8)]
            manager = rng.choice(pool)
        person = {
            "id": eid,
            "name": "%s %s" % (rng.choice(FIRST), rng.choice(LAST)),
            "division": div,
            "manager": manager,
        }
        people.append(person)
        members.append(eid)
    return people


def allowed_perms(catalog, div):
    if div == "retail-sales":
        return [p["id"] for p in catalog if p["owner_division"] != "distribution"]
    if div == "distribution":
        return [p["id"] for p in catalog if p["owner_division"] != "retail-sales"]
    return [p["id"] for p in catalog]


def granter_of(person):
    """Direct manager; division heads are granted by another head, never by themselves."""
    if person["manager"]:
        return person["manager"]
    return "E000003" if person["id"] != "E000003" else "E000001"


def make_grants(rng, person, pool, catalog_by_id, base, reasons=REASONS):
    k = rng.randint(15, 25)
    grants = []
    granter = granter_of(person)
    for pid in sorted(rng.sample(pool, k)):
        granted_on = base + dt.timedelta(days=rng.randint(0, 3 * 365))
        area = catalog_by_id[pid]["name"].split(".")[0]
        reason = rng.choice(reasons).format(
            area=area, ticket="ACC-%05d" % rng.randint(1, 99999))
        g = {"permission": pid, "granted_by": granter,
             "granted_on": granted_on, "reason": reason}
        if rng.random() < 0.3:
            g["expires"] = granted_on + dt.timedelta(days=rng.choice((90, 180, 365)))
        grants.append(g)
    return grants


def make_roles(rng, catalog, teams):
    """``--roles``: per division a base role (10 permissions) and ``teams`` team roles (8 each) that
    include it, drawn from what the division may hold; roles.yaml entries in file order."""
    roles = []
    for div in DIVISIONS:
        pool = allowed_perms(catalog, div)
        base_perms = sorted(rng.sample(pool, 10))
        roles.append({"id": "%s-base" % div, "name": "%s base" % div, "owner_division": div,
                      "description": "what everyone in %s holds" % div, "permissions": base_perms})
        rest = [p for p in pool if p not in base_perms]
        for k in range(teams):
            roles.append({"id": "%s-team-%02d" % (div, k), "name": "%s team %d" % (div, k), "owner_division": div,
                          "description": "a team of %s" % div, "permissions": sorted(rng.sample(rest, 8)),
                          "includes": ["%s-base" % div]})
    return roles


def make_role_grants(rng, person, roles_of_div, gives, pool, catalog_by_id, base, reasons=REASONS):
    """``--roles``: one team role (18 permissions through its base) and 0-4 direct grants of others."""
    granter = granter_of(person)
    granted_on = base + dt.timedelta(days=rng.randint(0, 3 * 365))
    team = rng.choice(roles_of_div)
    grants = [g for g in make_grants(rng, person, pool, catalog_by_id, base, reasons)
              if g["permission"] not in gives[team]][:rng.randint(0, 4)]
    grants.append({"role": team, "granted_by": granter, "granted_on": granted_on,
                   "reason": "team onboarding, ticket ACC-%05d" % rng.randint(1, 99999)})
    return grants


def render_assignment(person, grants):
    out = ["---",
           "# grants held by %s (%s)" % (person["name"], person["division"]),
           "employee: %s" % person["id"],
           "grants:"]
    # permission entries by id, then role entries by id (the canonical layout, permgate fmt)
    grants = sorted(grants, key=lambda g: (0, g["permission"]) if "permission" in g else (1, g["role"]))
    for g in grants:
        if "role" in g:
            out.append("  - role: %s" % g["role"])
        else:
            out.append("  - permission: %s" % g["permission"])
        out.append("    granted_by: %s" % g["granted_by"])
        out.append("    granted_on: %s" % g["granted_on"].isoformat())
        out.append("    reason: \"%s\"" % g["reason"])
        if "expires" in g:
            out.append("    expires: %s" % g["expires"].isoformat())
    return "\n".join(out) + "\n"


def dump_yaml(path, header, obj):
    with open(path, "w", encoding="utf-8") as f:
        f.write("---\n# %s\n" % header)
        yaml.safe_dump(obj, f, sort_keys=False, default_flow_style=False,
                       width=78)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--employees", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=20261125)
    ap.add_argument("--violations", type=int, default=None,
                    help="planted violations (default: employees // 50)")
    ap.add_argument("--reference", action="store_true",
                    help="reasons exactly as the reference generator writes them")
    ap.add_argument("--policies", action="store_true",
                    help="also write policies/ (unbundling rule, delegates)")
    ap.add_argument("--roles", type=int, default=0, metavar="TEAMS",
                    help="grant mostly through roles: write roles.yaml (per division a base role and TEAMS team "
                         "roles including it) and give each person one team role and 0-4 direct grants")
    args = ap.parse_args(argv)
    reasons = REASONS if args.reference else TICKETED

    rng = random.Random(args.seed)
    n = args.employees
    n_viol = n // 50 if args.violations is None else args.violations

    catalog = make_catalog(rng)
    catalog_by_id = {p["id"]: p for p in catalog}
    dist_perms = [p["id"] for p in catalog if p["owner_division"] == "distribution"]
    people = make_people(rng, n)
    base = dt.date(2023, 1, 1)

    grants_of = {}
    roles = make_roles(random.Random(args.seed + 1), catalog, args.roles) if args.roles else []
    teams = {div: [r["id"] for r in roles if r["owner_division"] == div and "includes" in r] for div in DIVISIONS}
    by_id = {r["id"]: r for r in roles}
    gives = {r["id"]: set(r["permissions"]) | {p for inc in r.get("includes", ()) for p in by_id[inc]["permissions"]}
             for r in roles}
    for person in people:
        pool = allowed_perms(catalog, person["division"])
        if roles:
            grants_of[person["id"]] = make_role_grants(rng, person, teams[person["division"]], gives, pool,
                                                       catalog_by_id, base, reasons)
        else:
            grants_of[person["id"]] = make_grants(rng, person, pool, catalog_by_id, base, reasons)

    # plant violations: distribution-owned permission granted to a sales employee
    sales = [p for p in people if p["division"] == "retail-sales"]
    planted = 0
    attempts = 0
    while planted < n_viol and attempts < n_viol * 20:
        attempts += 1
        person = rng.choice(sales)
        grants = grants_of[person["id"]]
        held = {g["permission"] for g in grants if "permission" in g}
        choices = [pid for pid in dist_perms if pid not in held]
        if not choices:
            continue
        pid = rng.choice(choices)
        granted_on = base + dt.timedelta(days=rng.randint(0, 3 * 365))
        grants.append({"permission": pid,
                       "granted_by": granter_of(person),
                       "granted_on": granted_on,
                       "reason": "urgent cover, ticket ACC-%05d" % rng.randint(1, 99999)})
        grants.sort(key=lambda g: (0, g["permission"]) if "permission" in g else (1, g["role"]))
        planted += 1

    os.makedirs(args.out, exist_ok=True)
    dump_yaml(os.path.join(args.out, "catalog.yaml"), "permission catalog",
              {"permissions": catalog})
    dump_yaml(os.path.join(args.out, "people.yaml"), "employees",
              {"people": people})
    if roles:
        dump_yaml(os.path.join(args.out, "roles.yaml"), "roles", {"roles": roles})
    total_grants = 0
    for div in DIVISIONS:
        os.makedirs(os.path.join(args.out, "assignments", div), exist_ok=True)
    for person in people:
        grants = grants_of[person["id"]]
        total_grants += len(grants)
        path = os.path.join(args.out, "assignments", person["division"],
                            person["id"] + ".yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(render_assignment(person, grants))
    if args.policies:
        os.makedirs(os.path.join(args.out, "policies"), exist_ok=True)
        for name, text in POLICIES.items():
            with open(os.path.join(args.out, "policies", name), "w", encoding="utf-8") as f:
                f.write(text)
    with open(os.path.join(args.out, "expected.json"), "w") as f:
        json.dump({"employees": n, "grants": total_grants,
                   "planted_violations": planted, "seed": args.seed}, f)
        f.write("\n")
    print("employees=%d grants=%d planted_violations=%d" % (n, total_grants, planted))
    return 0


if __name__ == "__main__":
    sys.exit(main())
