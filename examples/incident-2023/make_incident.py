#!/usr/bin/env python3
"""Write the incident-2023 replay: a grants repository as it stood on 2023-03-16.

Replays the 2023 access-right registration defect at a Japanese electric
utility (see README.md, which this script also writes): a distribution-owned
permission, item 83, was still offered on the retail-sales registration
screen, and five sales employees were given it along with every other item
the screen offered.

Output, next to this script:

  catalog.yaml                          120 permissions, P001..P120
  people.yaml                           20 employees (names are invented)
  assignments/<division>/<EMPID>.yaml   one file per employee
  policies/unbundling.yaml              the legal-unbundling rule
  policies/governance.yaml              settings of permgate's built-in rules
  policies/tests/incident.yaml          test cases for the policies (permgate test)
  README.md                             the story and the expected findings

Pure standard library and deterministic: there is no randomness, and running
it twice gives byte-identical files.  The YAML is written by hand in the
layout of bench/gen_org.py (catalog and people as yaml.safe_dump(...,
sort_keys=False, width=78) would print them, grant files as its
render_assignment does).
"""

import datetime as dt
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DIVISIONS = ("retail-sales", "distribution", "corporate")
VERBS = ("read", "write", "approve", "admin", "export")
SNAPSHOT = dt.date(2023, 3, 16)   # the day the defect was found

# ---------------------------------------------------------------- catalog

RETAIL_AREAS = ("retail-contracts", "billing", "pricing", "campaigns",
                "customer-care", "corporate-sales", "switching-desk",
                "sales-reports", "key-accounts", "household-sales",
                "payment-collection", "sales-office-admin")      # P001..P060

# P061..P090, in order.  Item 83 sits in the middle of the block.
DISTRIBUTION_ITEMS = (
    "supply-points.read", "supply-points.write", "supply-points.export",
    "wheeling-contracts.read", "wheeling-contracts.write",
    "wheeling-contracts.approve",
    "meter-data.read", "meter-data.write", "meter-data.export",
    "grid-connection.read", "grid-connection.write", "grid-connection.approve",
    "outage-ops.read", "outage-ops.write", "outage-ops.admin",
    "last-resort-supply.read", "last-resort-supply.write",
    "new-entrant-customers.read",
    "switching-notices.read", "switching-notices.write",
    "network-planning.read", "network-planning.write",
    "small-business-liaison.read",                                 # P083
    "meter-reading-routes.read", "meter-reading-routes.write",
    "field-works.read", "field-works.write", "field-works.approve",
    "network-charges.read", "network-charges.export",
)

CORPORATE_AREAS = ("hr", "finance", "legal", "it", "procurement")  # P091..P115
CORPORATE_EXTRA = ("audit.read", "audit.export", "access-admin.register",
                   "access-admin.read", "fax-gateway.admin")       # P116..P120

DESCRIPTIONS = {
    "small-business-liaison.read":
        "Small-business liaison, created at full retail liberalisation (2016)"
        " when limited sales-distribution cooperation was allowed; opens 112"
        " distribution screens including new-entrant customer information",
    "meter-data.read": "Read interval meter data of all retailers' customers",
    "meter-data.export":
        "Export interval meter data of all retailers' customers",
    "last-resort-supply.read": "Read customers on last-resort supply",
    "new-entrant-customers.read":
        "Read supply contracts of competing retailers' customers",
    "access-admin.register":
        "Register permission items for other employees (the registration"
        " screen)",
    "access-admin.read": "Read the permission registration log",
    "campaigns.export":
        "Export campaign target lists (old campaign tool, retired 2019)",
    "fax-gateway.admin": "Administer the fax order gateway (retired 2021)",
}
SENSITIVE = {"small-business-liaison.read", "meter-data.read",
             "meter-data.export", "last-resort-supply.read",
             "new-entrant-customers.read"}
RETIRED = {"campaigns.export", "fax-gateway.admin"}
GRANTS_ACCESS = {"access-admin.register"}


def make_catalog():
    items = []
    for area in RETAIL_AREAS:
        for verb in VERBS:
            items.append(("%s.%s" % (area, verb), "retail-sales"))
    items += [(name, "distribution") for name in DISTRIBUTION_ITEMS]
    for area in CORPORATE_AREAS:
        for verb in VERBS:
            items.append(("%s.%s" % (area, verb), "corporate"))
    items += [(name, "corporate") for name in CORPORATE_EXTRA]
    assert len(items) == 120

    catalog = []
    for i, (name, owner) in enumerate(items, start=1):
        area, verb = name.split(".")
        desc = DESCRIPTIONS.get(name)
        if desc is None:
            desc = "%s access to %s systems" % (verb.capitalize(), area)
            if owner == "distribution":
                desc += " (grid company)"
        p = {"id": "P%03d" % i, "name": name, "owner_division": owner,
             "description": desc}
        if name in RETIRED:
            p["retired"] = True
        if name in SENSITIVE:
            p["sensitive"] = True
        if name in GRANTS_ACCESS:
            p["grants_access"] = True
        catalog.append(p)
    assert catalog[82]["name"] == "small-business-liaison.read"
    return catalog


def sales_grantable(catalog):
    """Every item the retail-sales registration screen could legitimately offer."""
    return [p["id"] for p in catalog
            if p["owner_division"] != "distribution" and not p.get("retired")]

# ----------------------------------------------------------------- people

# (number, name, division, manager number, division_since, function, role)
# The role column goes into README.md only; people.yaml has no such key.
PEOPLE = (
    (1, "Keiko Morita", "retail-sales", None, None, "sales",
     "head of retail sales"),
    (2, "Takeshi Arai", "distribution", None, None, "grid-operations",
     "head of distribution (the grid company)"),
    (3, "Yumi Kondo", "corporate", None, None, "management",
     "head of corporate services"),
    (4, "Satoshi Hirano", "retail-sales", 1, None, "sales",
     "general manager, corporate sales"),
    (5, "Daisuke Ogawa", "retail-sales", 4, None, "sales",
     "direct manager A (section chief), granter of holders 1 and 2"),
    (6, "Naoko Fujita", "retail-sales", 4, None, "sales",
     "direct manager B (section chief), granter of holders 3 and 4"),
    (7, "Kenji Matsuda", "retail-sales", 4, "2022-07-01", "sales",
     "holder 5: special manager (section-chief level), registered himself"),
    (8, "Aiko Shimizu", "retail-sales", 4, None, "sales",
     "special manager of another sales unit (the one holder 5 asked)"),
    (9, "Ryo Takagi", "retail-sales", 5, "2022-07-01", "sales",
     "holder 1: staff"),
    (10, "Emi Kubo", "retail-sales", 5, "2021-07-01", "sales",
     "holder 2: junior manager"),
    (11, "Shota Nishimura", "retail-sales", 6, "2022-07-01", "sales",
     "holder 3: staff"),
    (12, "Mai Okada", "retail-sales", 6, "2021-07-01", "sales",
     "holder 4: staff"),
    (13, "Yuto Ishida", "retail-sales", 5, None, "sales",
     "sales staff (clean)"),
    (14, "Sakura Noguchi", "retail-sales", 7, "2022-10-01", "sales",
     "sales staff under holder 5 (clean)"),
    (15, "Hiroshi Ueda", "retail-sales", 8, None, "sales",
     "sales staff in the other unit (clean)"),
    (16, "Tomoko Sato", "distribution", 2, None, "grid-operations",
     "distribution manager (clean)"),
    (17, "Makoto Hayashi", "distribution", 16, None, "grid-operations",
     "distribution staff (clean)"),
    (18, "Chie Endo", "distribution", 16, "2021-04-01", "grid-operations",
     "distribution staff (clean)"),
    (19, "Kazuki Mori", "corporate", 3, None, "access-administration",
     "access administrator (clean)"),
    (20, "Rina Iwasaki", "corporate", 3, None, "it-operations",
     "IT staff (clean)"),
)


def eid(n):
    return "E%06d" % n


def make_people():
    people, roles = [], {}
    for n, name, div, mgr, since, function, role in PEOPLE:
        p = {"id": eid(n), "name": name, "division": div,
             "manager": eid(mgr) if mgr else None}
        if since:
            p["division_since"] = dt.date.fromisoformat(since)
        p["function"] = function
        people.append(p)
        roles[eid(n)] = role
    return people, roles

# ----------------------------------------------------------------- grants

# The five holders of item 83: (holder, granter, date, ticket).
HOLDERS = (
    (9, 5, "2022-07-01", "ACC-22701"),    # staff, by direct manager A
    (10, 5, "2021-07-01", "ACC-21702"),   # junior manager, by direct manager A
    (11, 6, "2022-07-01", "ACC-22703"),   # staff, by direct manager B
    (12, 6, "2021-07-01", "ACC-21704"),   # staff, by direct manager B
    (7, 7, "2022-07-01", "ACC-22705"),    # special manager, by himself
)

# Everyone else: (employee, granter, date, reason, item names).
# Granter is the direct manager (heads: another head); a distribution-owned
# item is only ever granted by a distribution manager.
ORDINARY = (
    (1, 3, "2020-04-01", "division head set-up at legal unbundling, ticket ACC-10001",
     ["pricing.approve", "corporate-sales.read", "sales-reports.read",
      "audit.read"]),
    (2, 3, "2020-04-01", "division head set-up at legal unbundling, ticket ACC-10002",
     ["finance.read", "audit.read"]),
    (3, 2, "2020-04-01", "division head set-up at legal unbundling, ticket ACC-10003",
     ["finance.approve", "legal.read", "audit.read"]),
    (4, 1, "2020-04-01", "standard access for the corporate-sales team, ticket ACC-10004",
     ["pricing.read", "corporate-sales.read", "corporate-sales.approve",
      "sales-reports.read", "sales-reports.export", "key-accounts.read"]),
    (5, 4, "2020-10-01", "standard access for the corporate-sales team, ticket ACC-10105",
     ["corporate-sales.read", "corporate-sales.write", "switching-desk.read",
      "sales-reports.read", "key-accounts.read"]),
    (6, 4, "2020-10-01", "standard access for the corporate-sales team, ticket ACC-10106",
     ["corporate-sales.read", "corporate-sales.write", "switching-desk.read",
      "sales-reports.read", "key-accounts.read"]),
    (8, 4, "2021-04-01", "role change approved in ticket ACC-11408",
     ["customer-care.read", "corporate-sales.read", "corporate-sales.write",
      "sales-reports.read"]),
    (13, 5, "2021-10-01", "needed for daily corporate-sales work, ticket ACC-11913",
     ["billing.read", "corporate-sales.read", "corporate-sales.write",
      "switching-desk.read"]),
    (14, 7, "2022-10-01", "transfer-in registration, ticket ACC-22914",
     ["billing.read", "corporate-sales.read", "switching-desk.read"]),
    (15, 8, "2021-10-01", "needed for daily customer-care work, ticket ACC-11915",
     ["customer-care.read", "customer-care.write", "corporate-sales.read"]),
    (16, 2, "2020-04-01", "standard access for the grid-connection team, ticket ACC-10016",
     ["supply-points.read", "grid-connection.read", "grid-connection.approve",
      "outage-ops.read", "outage-ops.admin"]),
    (17, 16, "2020-07-01", "needed for daily field-works work, ticket ACC-10417",
     ["supply-points.read", "supply-points.write", "field-works.read",
      "field-works.write"]),
    (18, 16, "2021-04-01", "transfer-in registration, ticket ACC-11418",
     ["outage-ops.read", "outage-ops.write", "meter-reading-routes.read"]),
    (19, 3, "2020-04-01", "access administrator appointment, ticket ACC-10019",
     ["access-admin.register", "access-admin.read", "it.read"]),
    (20, 3, "2020-04-01", "standard access for the it team, ticket ACC-10020",
     ["it.read", "it.write", "it.admin"]),
)


def make_grants(catalog):
    by_name = {p["name"]: p["id"] for p in catalog}
    p083 = by_name["small-business-liaison.read"]
    grants = {}
    for holder, granter, on, ticket in HOLDERS:
        reason = "transfer-in registration, ticket %s" % ticket
        if holder == granter:
            reason = "transfer-in registration (self), ticket %s" % ticket
        pids = sorted(sales_grantable(catalog) + [p083])
        grants[eid(holder)] = [
            {"permission": pid, "granted_by": eid(granter),
             "granted_on": dt.date.fromisoformat(on), "reason": reason}
            for pid in pids]
    for emp, granter, on, reason, names in ORDINARY:
        grants[eid(emp)] = [
            {"permission": pid, "granted_by": eid(granter),
             "granted_on": dt.date.fromisoformat(on), "reason": reason}
            for pid in sorted(by_name[n] for n in names)]
    return grants

# ---------------------------------------------------------------- writing

PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9 .,;()'/-]*$")
RESERVED = {"y", "n", "yes", "no", "true", "false", "on", "off", "null"}


def scalar(value):
    if value is None:
        return "null"
    if value is True:
        return "true"
    if isinstance(value, dt.date):
        return value.isoformat()
    # Only strings that yaml.safe_dump prints plain are allowed, so that the
    # output needs no quoting logic and matches PyYAML byte for byte.
    if (not PLAIN.match(value) or value.lower() in RESERVED
            or "  " in value or value.endswith(" ")):
        raise ValueError("not a plain YAML scalar: %r" % value)
    return value


def fold(prefix, text, width=78, indent=4):
    """PyYAML's plain-scalar line folding: break at a space once past width."""
    words = text.split(" ")
    out, col = prefix + words[0], len(prefix) + len(words[0])
    for w in words[1:]:
        if col > width:
            out += "\n" + " " * indent
            col = indent
        else:
            out += " "
            col += 1
        out += w
        col += len(w)
    return out


def render_list(header, key, records):
    lines = ["---", "# %s" % header, "%s:" % key]
    for rec in records:
        for i, (k, v) in enumerate(rec.items()):
            lead = "- " if i == 0 else "  "
            lines.append(fold("%s%s: " % (lead, k), scalar(v)))
    return "\n".join(lines) + "\n"


def render_assignment(person, grants):
    out = ["---",
           "# grants held by %s (%s)" % (person["name"], person["division"]),
           "employee: %s" % person["id"],
           "grants:"]
    for g in grants:
        out.append("  - permission: %s" % g["permission"])
        out.append("    granted_by: %s" % g["granted_by"])
        out.append("    granted_on: %s" % g["granted_on"].isoformat())
        out.append("    reason: \"%s\"" % g["reason"])
        if "expires" in g:
            out.append("    expires: %s" % g["expires"].isoformat())
    return "\n".join(out) + "\n"


def grant_lines(grants):
    """Line number of each grant's '- permission:' line, by permission id."""
    lines, n = {}, 5
    for g in grants:
        lines[g["permission"]] = n
        n += 5 if "expires" in g else 4
    return lines


POLICY = """---
# Legal unbundling (Electricity Business Act): grid data must not reach retail sales.
rules:
  - id: distribution-to-retail-sales
    kind: forbidden-owner
    severity: error
    waivable: false
    summary: Distribution-owned permissions must not be granted to retail-sales employees
    owner_divisions: [distribution]
    grantee_divisions: [retail-sales]
"""


GOVERNANCE = """---
# Settings of permgate's built-in rules (the other values are the defaults).
settings:
  granter-authority:
    # The three division heads have no manager: at legal unbundling (2020-04-01)
    # the corporate head set up the other two, and the distribution head set up her.
    delegates:
      - granter: E000003
        employees: [E000001, E000002]
      - granter: E000002
        employees: [E000003]
  privilege-management:
    functions: [access-administration]
"""

# Test cases for the policies above, run by `permgate test --root examples/incident-2023`.
# Each case lays its grants files over this catalog, people directory and policies.
POLICY_TESTS = """---
tests:
  - name: a sales section chief grants item 83 to his own staff
    today: 2023-03-16
    files:
      assignments/retail-sales/E000013.yaml: |
        ---
        employee: E000013
        grants:
          - permission: P083
            granted_by: E000005
            granted_on: 2022-11-01
            reason: "small-business liaison, ticket ACC-22801"
            expires: 2023-03-31
    expect:
      distribution-to-retail-sales: [assignments/retail-sales/E000013.yaml:4]
      granter-authority: [assignments/retail-sales/E000013.yaml:4]
      self-grant: []
  - name: a distribution manager grants a distribution item to her own staff
    today: 2023-03-16
    files:
      assignments/distribution/E000017.yaml: |
        ---
        employee: E000017
        grants:
          - permission: P083
            granted_by: E000016
            granted_on: 2022-11-01
            reason: "small-business liaison, ticket ACC-22802"
            expires: 2023-03-31
    expect:
      distribution-to-retail-sales: []
      granter-authority: []
      expiry-required: []
  - name: the access administrator holds the registration ability, a sales manager does not
    today: 2023-03-16
    files:
      assignments/corporate/E000019.yaml: |
        ---
        employee: E000019
        grants:
          - permission: P118
            granted_by: E000003
            granted_on: 2020-04-01
            reason: "access administrator appointment, ticket ACC-10019"
      assignments/retail-sales/E000005.yaml: |
        ---
        employee: E000005
        grants:
          - permission: P118
            granted_by: E000004
            granted_on: 2022-07-01
            reason: "register the transfer-ins, ticket ACC-22706"
    expect:
      privilege-management: [assignments/retail-sales/E000005.yaml:4]
      granter-authority: []
  - name: the corporate head sets up the head of retail sales (a delegate)
    today: 2023-03-16
    files:
      assignments/retail-sales/E000001.yaml: |
        ---
        employee: E000001
        grants:
          - permission: P016
            granted_by: E000003
            granted_on: 2020-04-01
            reason: "division head set-up at legal unbundling, ticket ACC-10001"
    expect:
      granter-authority: []
      distribution-to-retail-sales: []
"""


def write(relpath, text):
    path = os.path.join(HERE, relpath)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def ranges(numbers):
    """'5, 9, ..., 357' style for an arithmetic run of line numbers."""
    if len(numbers) <= 4:
        return ", ".join(str(n) for n in numbers)
    return "%d, %d, ..., %d" % (numbers[0], numbers[1], numbers[-1])


def make_readme(catalog, people, roles, grants):
    cat = {p["id"]: p for p in catalog}
    person = {p["id"]: p for p in people}
    p083 = next(p["id"] for p in catalog
                if p["name"] == "small-business-liaison.read")
    register = next(p["id"] for p in catalog if p.get("grants_access"))
    n_grantable = len(sales_grantable(catalog))

    def path(e):
        return "assignments/%s/%s.yaml" % (person[e]["division"], e)

    holder_rows, dist_locs, reg_locs = [], [], []
    for n, (holder, granter, on, ticket) in enumerate(HOLDERS, start=1):
        h, g = eid(holder), eid(granter)
        lines = grant_lines(grants[h])
        loc = "%s:%d" % (path(h), lines[p083])
        dist_locs.append(loc)
        reg_locs.append("%s:%d" % (path(h), lines[register]))
        by = "himself" if h == g else "%s (%s)" % (g, roles[g].split(" (")[0])
        holder_rows.append("| %d | %s %s | %s | %s | %s | %d | `%s` |" % (
            n, h, person[h]["name"], roles[h].split(": ", 1)[1], by, on,
            len(grants[h]), loc))
    self_holder = next(eid(h) for h, g, _, _ in HOLDERS if h == g)
    self_lines = sorted(grant_lines(grants[self_holder]).values())

    people_rows = ["| %s | %s | %s | %s | %s |" % (
        p["id"], p["name"], p["division"], p["manager"] or "-", roles[p["id"]])
        for p in people]

    count = {d: sum(1 for p in catalog if p["owner_division"] == d)
             for d in DIVISIONS}
    retired = ", ".join("%s `%s`" % (p["id"], p["name"])
                        for p in catalog if p.get("retired"))
    sensitive = ", ".join(p["id"] for p in catalog if p.get("sensitive"))
    total = sum(len(g) for g in grants.values())

    nl = "\n"
    return f"""# incident-2023: replay of the 2023 "item 83" registration defect

This directory is a grants repository in permgate's layout, reconstructed from
the utility's report of 2023-03-28 to the Electricity and Gas Market
Surveillance Commission (`/work/shared/incident/` holds the report and an
English fact sheet). It shows the state on **{SNAPSHOT.isoformat()}**, the
day a corporate-sales field office reported "customer data that should be
masked is visible". All names, ids, ticket numbers and the other 119 item names are
invented; the structure (120 items, item 83, five holders, three granters,
the dates) follows the report.

Everything here is written by `make_incident.py` (standard library only,
deterministic). Edit the script, not the output, and re-run it:

    python3 examples/incident-2023/make_incident.py

## What happened

- Retail sales and the legally unbundled grid company share one
  customer-information system with about 120 permission items. A manager
  registers items per employee by putting "1" in a "new" column.
- When someone transfers into a sales unit, a special manager
  (section-chief level) registers the items their work needs.
- Item 83 was a distribution permission set up at full retail liberalisation
  (2016) for small-business liaison, when some sales-distribution cooperation
  was still allowed. It stayed on the sales registration screen. It opens 112
  distribution screens, including competing retailers' customers
  ("new-entrant customer information").
- The granters gave "every item I am able to grant", did not know item 83
  belonged to distribution, or simply made mistakes. Five sales employees
  held it on 2023-03-16. Four of them viewed 69 competitor-customer contracts
  between 2022-11-17 and 2023-03-16 while handling customers who wanted to
  switch. One never used it. None of them knew they could see that data.
- By 2023-03-17 the permission and the ability to register it had been
  deleted.

## How the replay models it

- `catalog.yaml`: P001-P{count['retail-sales']:03d} are retail-sales,
  P{count['retail-sales'] + 1:03d}-P{count['retail-sales'] + count['distribution']:03d} distribution, the rest
  ({count['corporate']}) corporate. **{p083} `small-business-liaison.read`**
  is owned by `distribution` and is `sensitive: true`.
  Sensitive items: {sensitive}.
  {register} `{cat[register]['name']}` is the registration ability
  (`grants_access: true`).
  Retired, and held by nobody: {retired}.
- "Every item the screen offered" means all {n_grantable} items that
  retail-sales may hold (not distribution-owned, not retired) plus {p083}.
  Each holder has {n_grantable + 1} grants, all from one granter on one day
  under one ticket. Each holder's `division_since` is that transfer-in date.
- The report's table leaves the granter blank for holders 3 and 4. The fact
  sheet reads that as "(direct manager)". With "five holders, three granters"
  this replay uses two direct managers with two holders each, plus holder 5,
  who registered himself.
- Everyone else has a handful of ordinary grants. They are dated before the
  snapshot and granted by the direct manager (division heads are granted by
  another head). Distribution items are only ever granted by a distribution
  manager. No grant here has an `expires` date: the 2021/2022 registrations
  had none.

| # | holder | role | granted by | on | grants | {p083} grant |
|---|---|---|---|---|---|---|
{nl.join(holder_rows)}

## Expected findings

The four findings the replay is built to produce:

1. `distribution-to-retail-sales` (policies/unbundling.yaml, error, not
   waivable): exactly the five {p083} grants, nothing else:
{nl.join("   - `%s`" % loc for loc in dist_locs)}
2. `self-grant`: every grant in `{path(self_holder)}` ({len(self_lines)}
   grants, `- permission:` lines {ranges(self_lines)}; every 4th line). No
   other file has one.
3. `bulk-grant`: the five holders, each at the `employee:` line (3) of
   their file. Each holds {n_grantable + 1} items
   against {n_grantable} that retail-sales may hold, which is over any 80%
   threshold. Nobody else holds more than {max(len(grants[eid(e)]) for e, *_ in ORDINARY)}.
4. `granter-authority`: the same five {p083} grant lines as in (1). In each,
   a retail-sales manager (or holder 5 himself) granted a distribution-owned
   item. permgate's management-chain check leaves self-grants to
   `self-grant`, so holder 5's other {len(self_lines) - 1} grants are not
   reported here. The three division heads have no manager; the grants
   between them are allowed by the delegates in `policies/governance.yaml`.

Two more rules fire on the holders, because the replay keeps the facts
rather than tidying them:

5. `expiry-required`: {p083} is `sensitive: true`, and the five {p083}
   grants above (the same lines as in 1) have no `expires`.
6. `privilege-management`: each holder also got {register}
   `{cat[register]['name']}`, since it was on the screen too. None of them
   has `function: access-administration`:
{nl.join("   - `%s`" % loc for loc in reg_locs)}

Nothing else is reported: no unknown permission or granter, no duplicate
grant, no retired item held, no grant dated before the grantee's
`division_since` (`stale-after-transfer`), every reason names a ticket
(`missing-justification`), no grant has expired, every file sits in its
holder's division folder (`misplaced-file`). With `--today 2023-03-16`:
{len(dist_locs) * 4 + len(self_lines) + len(reg_locs)} findings (5 + {len(self_lines)} + 5 + 5 + 5 + 5), reported as
{len(dist_locs) * 2 + len(self_lines) - 1 + len(reg_locs)} errors: on each {p083} line the boundary finding (1) is listed once and
names the other rules that flag the same grant as its companions,
`(also: expiry-required, granter-authority)`, and for holder 5 `self-grant`
too (docs/output-formats.md, "Companions"). Removing the grant answers
them all.

`policies/tests/incident.yaml` holds test cases for the policies, run by
`permgate test --root examples/incident-2023`.

Size: {len(people)} people, {len(grants)} grant files, {total} grants.

## People

| id | name | division | manager | role in the replay |
|---|---|---|---|---|
{nl.join(people_rows)}
"""


def main():
    catalog = make_catalog()
    people, roles = make_people()
    grants = make_grants(catalog)

    write("catalog.yaml", render_list(
        "permission catalog of the shared customer-information system, as of "
        "2023-03-16", "permissions", catalog))
    write("people.yaml", render_list("employees (names are invented)",
                                     "people", people))
    for div in DIVISIONS:   # drop files of a previous run
        d = os.path.join(HERE, "assignments", div)
        if os.path.isdir(d):
            for fn in os.listdir(d):
                if fn.endswith(".yaml"):
                    os.remove(os.path.join(d, fn))
    for p in people:
        write("assignments/%s/%s.yaml" % (p["division"], p["id"]),
              render_assignment(p, grants[p["id"]]))
    write("policies/unbundling.yaml", POLICY)
    write("policies/governance.yaml", GOVERNANCE)
    write("policies/tests/incident.yaml", POLICY_TESTS)
    write("README.md", make_readme(catalog, people, roles, grants))
    print("permissions=%d people=%d grants=%d" % (
        len(catalog), len(people), sum(len(g) for g in grants.values())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
