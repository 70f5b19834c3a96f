"""``permgate report --html``: one self-contained page (inline CSS and JS, nothing fetched).

Three sections: the access matrix (grantee division x permission owner division; cells
a policy forbids are highlighted; clicking a cell lists its grants with file:line
links), the findings with file:line links, and the exposure timeline from ``audit``.
The page's data is one JSON block; all text is escaped, and the script builds the
grant listings with ``textContent``, never ``innerHTML``.

The page is capped with counts, so its size follows the caps, not the organisation: a
cell lists its first ``CELL_LIMIT`` grants (in file order) and says how many more there
are (``who-can`` lists them all), the findings table its first ``MAX_FINDINGS`` findings,
the timeline its first ``MAX_EXPOSURES`` exposures (``check`` and ``audit`` list them all);
every count on the page is the whole count.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from permgate.analysis.audit import AuditResult, Exposure
from permgate.analysis.matrix import Matrix
from permgate.dates import add_days
from permgate.findings import Finding
from permgate.model import Permission, Person, Workspace

#: findings listed on the page at most (the rest are counted; `permgate check` lists all)
MAX_FINDINGS = 5000
#: grants a matrix cell carries at most (the page's script lists as many; `permgate who-can` lists all)
CELL_LIMIT = 1000
#: exposures drawn on the timeline at most (the rest are counted; `permgate audit` lists all)
MAX_EXPOSURES = 2000


@dataclass(frozen=True)
class HtmlReport:
    ws: Workspace
    matrix: Matrix
    findings: tuple[Finding, ...]
    today: dt.date
    link_base: str  # prefix of every file link: a relative folder ("../repo/") or a URL
    audit: AuditResult | Timeline | None = None
    history_note: str = ""  # why there is no timeline
    title: str = ""  # the grants repository, as the page names it
    #: a report whose findings were counted, not collected (``permgate report`` over chunks): the
    #: rows of the findings listed (``finding_rows``, at most ``MAX_FINDINGS``), the count of every
    #: finding by severity, and the grants counted (``ws`` is then the frame, without grants files)
    listed: tuple[str, ...] | None = None
    severities: Mapping[str, int] | None = None
    grants: int | None = None


@dataclass(frozen=True)
class Timeline:
    """What the page shows of an ``AuditResult`` (``timeline_of``): plain records that pickle, so that
    ``permgate report`` can walk the history in a child while the chunks are judged."""

    exposures: tuple[Exposure, ...]
    commits: int
    head: str
    notes: tuple[str, ...]
    #: the people and permissions of the exposures, as the walk's judge has them
    people: Mapping[str, Person]
    catalog: Mapping[str, Permission]


def timeline_of(result: AuditResult | Timeline) -> Timeline:
    if isinstance(result, Timeline):
        return result
    people, catalog = result.judge.people, result.judge.catalog
    return Timeline(result.exposures, result.commits, result.head, result.notes,
                    {e.employee: people[e.employee] for e in result.exposures if e.employee in people},
                    {e.permission: catalog[e.permission] for e in result.exposures
                     if e.permission is not None and e.permission in catalog})


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _file_href(base: str, path: str) -> str:
    return base + quote(path)


def _href(base: str, path: str, line: int) -> str:
    return f"{_file_href(base, path)}#L{line}"


def _cell_id(matrix: Matrix, row: str, column: str) -> str:
    return f"{matrix.rows.index(row)},{matrix.columns.index(column)}"


def _data(report: HtmlReport) -> str:
    ws, m = report.ws, report.matrix
    files: dict[str, int] = {}
    people: dict[str, list[str | None]] = {}
    perms: dict[str, str] = {}
    grants: dict[str, list[list[object]]] = {}
    for (row, column), cell in sorted(m.cells.items()):
        out = grants.setdefault(_cell_id(m, row, column), [])
        for g in cell[:CELL_LIMIT]:
            fi = files.setdefault(g.path, len(files))
            person = ws.people.get(g.employee)
            people.setdefault(g.employee, [person.name if person else None])
            perm = ws.catalog.get(g.permission)
            perms.setdefault(g.permission, perm.name if perm else "")
            entry: list[object] = [fi, g.line, g.employee, g.permission, g.granted_by, g.granted_on, g.expires]
            if g.role is not None:  # access through a role: the panel marks it
                entry.append(g.role)
            out.append(entry)
    doc = {
        "rows": list(m.rows),
        "columns": list(m.columns),
        "files": [[path, _file_href(report.link_base, path)] for path in files],
        "people": people,
        "permissions": perms,
        "grants": grants,
    }
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return text.replace("</", "<\\/")


def _matrix_html(report: HtmlReport) -> str:
    m = report.matrix
    top = max(m.counts.values(), default=0) or 1
    head = "".join(f'<th scope="col">{_e(c)}</th>' for c in m.columns)
    body = []
    for row in m.rows:
        cells = []
        for column in m.columns:
            n = m.count(row, column)
            rules = m.forbidden.get((row, column), ())
            classes = ["cell"]
            title = f"{n} grant{'' if n == 1 else 's'} of {column} permissions to {row} people"
            if rules:
                classes.append("forbidden")
                title += "; forbidden by " + ", ".join(rules)
                if n:
                    classes.append("breach")
            if not n:
                classes.append("empty")
            heat = 0.0 if not n or rules else 0.08 + 0.5 * (n / top) ** 0.5
            style = f' style="--heat:{heat:.3f}"' if heat else ""
            cells.append(f'<td class="{" ".join(classes)}" data-cell="{_cell_id(m, row, column)}" '
                         f'data-row="{_e(row)}" data-column="{_e(column)}" tabindex="0" role="button" '
                         f'title="{_e(title)}"{style}><span class="n">{n}</span></td>')
        body.append(f'<tr><th scope="row">{_e(row)}</th>{"".join(cells)}</tr>')
    return (f'<table class="matrix"><thead><tr><th class="corner">grantee division &#8595; / '
            f'owner division &#8594;</th>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>')


def finding_rows(link_base: str) -> Callable[[Sequence[Finding]], list[str]]:
    """The findings table's row of each finding (what a report over chunks has them render)."""
    return functools.partial(_finding_rows, link_base)


def _finding_rows(link_base: str, findings: Sequence[Finding]) -> list[str]:
    rows = []
    for f in findings:
        loc = f"{f.path}:{f.line}"
        rows.append(f'<tr class="sev-{_e(f.severity)}"><td><span class="badge {_e(f.severity)}">{_e(f.severity)}'
                    f'</span></td><td><a class="loc" href="{_e(_href(link_base, f.path, f.line))}">{_e(loc)}'
                    f'</a></td><td class="rule">{_e(f.rule)}</td><td>{_e(f.message + f.also())}</td></tr>')
    return rows


def page_findings(report: HtmlReport) -> int:
    """The findings the page counts (listed or not)."""
    return len(report.findings) if report.severities is None else sum(report.severities.values())


def page_grants(report: HtmlReport) -> int:
    """The grants the page counts."""
    return report.grants if report.grants is not None else sum(len(f.grants) for f in report.ws.files)


def _findings_html(report: HtmlReport) -> str:
    if not page_findings(report):
        return '<p class="ok">No findings.</p>'
    rows = report.listed if report.listed is not None else _finding_rows(report.link_base,
                                                                           report.findings[:MAX_FINDINGS])
    more = page_findings(report) - MAX_FINDINGS
    note = f'<p class="note">{more} more findings: run <code>permgate check</code>.</p>' if more > 0 else ""
    return (f'<div class="scroll"><table class="list findings"><thead><tr><th>severity</th><th>where</th><th>rule</th>'
            f'<th>message</th></tr></thead><tbody>{"".join(rows)}</tbody></table></div>{note}')


#: how the tooltip names what opened or closed a window (``CommitRef.cause``)
_CAUSE = {"grant": "grants file", "people": "people directory", "catalog": "catalog", "policy": "policy",
          "role": "role"}


def _timeline_html(report: HtmlReport) -> str:
    if report.audit is None:
        return f'<p class="note">{_e(report.history_note)}</p>'
    result = timeline_of(report.audit)
    # what the walk could not read (a people version kept over): said on the page, never dropped
    warnings = "".join(f'<p class="note warning">warning: {_e(n)}</p>' for n in result.notes)
    if not result.exposures:
        return (f'{warnings}<p class="ok">No grant that violates the current policies was ever on the branch '
                f'({result.commits} commits walked).</p>')
    end_of = {id(e): dt.date.fromisoformat(e.removed.date) if e.removed else
              add_days(dt.date.fromisoformat(e.introduced.date), e.days) for e in result.exposures}
    start = min(dt.date.fromisoformat(e.introduced.date) for e in result.exposures)
    end = max(max(end_of.values()), add_days(start, 1))
    span = max((end - start).days, 1)  # 1 when every window starts on 9999-12-31

    def pos(day: dt.date) -> float:
        return 100.0 * (day - start).days / span

    ticks = []
    for year in range(start.year + 1, end.year + 1):
        if not 8.0 <= pos(dt.date(year, 1, 1)) <= 88.0:
            continue  # would collide with the first or last date
        ticks.append(f'<span class="tick" style="left:{pos(dt.date(year, 1, 1)):.2f}%">{year}</span>')
    rows = []
    for e in result.exposures[:MAX_EXPOSURES]:
        person = result.people.get(e.employee)
        perm = result.catalog.get(e.permission or "")
        who = f"{e.employee} {person.name}" if person else e.employee
        what = f"{e.permission} {perm.name}" if perm else (e.permission or "")
        left = pos(dt.date.fromisoformat(e.introduced.date))
        width = max(pos(end_of[id(e)]) - left, 0.4)
        until = e.removed.date if e.removed else "still present"
        state = "closed" if e.removed else "open"
        tip = (f"{who} held {what} {e.introduced.date} to {until} ({e.days} days); entered {e.introduced.commit[:12]} "
               f"by {e.introduced.author} ({_CAUSE[e.introduced.cause]})"
               + (f"; removed {e.removed.commit[:12]} by {e.removed.author} ({_CAUSE[e.removed.cause]})"
                  if e.removed else ""))
        rows.append(
            f'<div class="tl-row exposure {state}" data-employee="{_e(e.employee)}" '
            f'data-permission="{_e(e.permission or "")}" data-start="{_e(e.introduced.date)}" '
            f'data-end="{_e(e.removed.date if e.removed else "")}" data-days="{e.days}" '
            f'data-start-cause="{_e(e.introduced.cause)}" data-end-cause="{_e(e.removed.cause if e.removed else "")}">'
            f'<div class="tl-label"><strong>{_e(who)}</strong><br><span>{_e(what)}</span> '
            f'<a class="loc" href="{_e(_href(report.link_base, e.path, e.line))}">{_e(e.path)}:{e.line}</a></div>'
            f'<div class="tl-track"><div class="tl-bar" style="left:{left:.2f}%;width:{width:.2f}%" '
            f'title="{_e(tip)}"></div></div>'
            f'<div class="tl-dates">{_e(e.introduced.date)} &#8594; {_e(until)}<br><b>{e.days} days</b> &middot; '
            f'<span class="rule">{_e(e.rule)}</span><br><small>granted by {_e(e.granted_by or "-")} on '
            f'{_e(e.granted_on or "-")}</small></div></div>')
    hidden = len(result.exposures) - MAX_EXPOSURES
    more = (f'<p class="note">{hidden} more exposures: run <code>permgate audit</code>.</p>' if hidden > 0 else "")
    return (f'{warnings}<p class="note">{len(result.exposures)} exposures in {result.commits} commits up to '
            f'<code>{_e(result.head[:12])}</code>, judged by that revision\'s catalog and policies and by the people '
            f'directory of each commit (as <code>permgate audit</code>).</p>'
            f'<div class="timeline"><div class="tl-axis"><div class="tl-label"></div><div class="tl-track">'
            f'<span class="tick first">{start.isoformat()}</span>{"".join(ticks)}'
            f'<span class="tick last">{end.isoformat()}</span></div><div class="tl-dates"></div></div>'
            f'{"".join(rows)}</div>{more}')


_CSS = """
:root{--fg:#1d2330;--muted:#5b6475;--line:#dde2ea;--bg:#f6f7f9;--card:#fff;--accent:#2457c5;
--bad:#c62828;--badbg:#fde8e8;--warn:#b26a00;--note:#2f6f8f}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--fg);
background:var(--bg)}
header{background:#1d2b4f;color:#fff;padding:20px 32px}
header h1{margin:0 0 4px;font-size:22px}
header p{margin:0;color:#c9d3ea}
main{max-width:1200px;margin:0 auto;padding:16px 32px 48px}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 22px;margin:18px 0}
h2{margin:0 0 12px;font-size:18px}
.stats{display:flex;gap:12px;flex-wrap:wrap;margin:0;padding:0;list-style:none}
.stats li{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:8px 14px}
.stats b{display:block;font-size:20px}
table{border-collapse:collapse}
.matrix th,.matrix td{border:1px solid var(--line);padding:10px 14px;text-align:center}
.matrix thead th{background:#eef1f6;font-weight:600}
.matrix th[scope=row]{background:#eef1f6;text-align:left}
.matrix .corner{font-weight:400;color:var(--muted);font-size:12px;text-align:left}
.matrix td.cell{cursor:pointer;min-width:110px;font-variant-numeric:tabular-nums;font-size:17px;
background:rgba(36,87,197,var(--heat,0))}
.matrix td.cell:hover,.matrix td.cell:focus{outline:3px solid var(--accent);outline-offset:-3px}
.matrix td.empty{color:#9aa3b2}
.matrix td.forbidden{background:repeating-linear-gradient(45deg,#fff5f5,#fff5f5 6px,#fde8e8 6px,#fde8e8 12px);
box-shadow:inset 0 0 0 2px #e9a3a3}
.matrix td.breach{background:var(--bad);color:#fff;font-weight:700;box-shadow:none}
.matrix td.selected{outline:3px solid #111;outline-offset:-3px}
.legend{display:flex;gap:18px;color:var(--muted);font-size:13px;margin-top:10px;flex-wrap:wrap}
.sw{display:inline-block;width:14px;height:14px;border-radius:3px;vertical-align:-2px;margin-right:5px}
.sw.f{background:repeating-linear-gradient(45deg,#fff5f5,#fff5f5 3px,#fde8e8 3px,#fde8e8 6px);border:1px solid #e9a3a3}
.sw.b{background:var(--bad)}.sw.h{background:rgba(36,87,197,.45)}
#cell-panel{margin-top:16px}
#cell-panel h3{margin:0 0 8px;font-size:16px}
.list{width:100%;font-size:14px}
.list th{text-align:left;color:var(--muted);font-weight:600;border-bottom:2px solid var(--line);padding:6px 10px}
.list td{border-bottom:1px solid var(--line);padding:6px 10px;vertical-align:top}
.list tr:nth-child(even) td{background:#fafbfc}
a.loc{color:var(--accent);font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px;
text-decoration:none;white-space:nowrap}
a.loc:hover{text-decoration:underline}
.rule{white-space:nowrap;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
.badge{display:inline-block;border-radius:10px;padding:1px 9px;font-size:12px;font-weight:600;color:#fff}
.badge.error{background:var(--bad)}.badge.warning{background:var(--warn)}.badge.note{background:var(--note)}
.scroll{max-height:560px;overflow:auto;border:1px solid var(--line);border-radius:6px}
.scroll thead th{position:sticky;top:0;background:var(--card)}
.note{color:var(--muted)}.ok{color:#2e7d32;font-weight:600}
.timeline{display:flex;flex-direction:column;gap:6px}
.tl-axis,.tl-row{display:grid;grid-template-columns:340px 1fr 220px;gap:14px;align-items:center}
.tl-row{border-top:1px solid var(--line);padding-top:6px}
.tl-label span{color:var(--muted);font-size:13px}
.tl-track{position:relative;height:22px;background:#f0f2f6;border-radius:4px}
.tl-axis .tl-track{background:none;height:18px;border-bottom:1px solid var(--line)}
.tick{position:absolute;font-size:11px;color:var(--muted);transform:translateX(-50%);white-space:nowrap}
.tick.first{left:0;transform:none}.tick.last{right:0;transform:none}
.tl-bar{position:absolute;top:3px;bottom:3px;border-radius:3px;background:var(--bad)}
.tl-row.open .tl-bar{background:repeating-linear-gradient(90deg,var(--bad),var(--bad) 8px,#e57373 8px,#e57373 12px)}
.tl-dates{font-size:13px}
footer{color:var(--muted);font-size:12px;text-align:center;padding:12px}
"""

_JS = """
(function(){
  var D = JSON.parse(document.getElementById('report-data').textContent);
  var LIMIT = CELL_LIMIT;
  var panel = document.getElementById('cell-panel');
  function td(text, cls){ var c = document.createElement('td'); if (cls) c.className = cls;
    c.textContent = text == null ? '' : text; return c; }
  function show(cell){
    document.querySelectorAll('td.cell.selected').forEach(function(c){ c.classList.remove('selected'); });
    cell.classList.add('selected');
    var rows = D.grants[cell.dataset.cell] || [];
    var total = Number(cell.querySelector('.n').textContent);  // the page carries at most LIMIT of them
    var title = panel.querySelector('h3');
    title.textContent = cell.dataset.row + ' people holding ' + cell.dataset.column + ' permissions: ' +
      total + (total === 1 ? ' grant' : ' grants') +
      (cell.classList.contains('forbidden') ? ' (forbidden by policy)' : '');
    var body = panel.querySelector('tbody');
    body.textContent = '';
    rows.slice(0, LIMIT).forEach(function(g){
      var file = D.files[g[0]], tr = document.createElement('tr'), where = document.createElement('td');
      var a = document.createElement('a'); a.className = 'loc'; a.href = file[1] + '#L' + g[1];
      a.textContent = file[0] + ':' + g[1]; where.appendChild(a); tr.appendChild(where);
      var name = (D.people[g[2]] || [null])[0];
      tr.appendChild(td(g[2] + (name ? ' ' + name : '')));
      tr.appendChild(td(g[3] + (D.permissions[g[3]] ? ' ' + D.permissions[g[3]] : '') +
        (g[7] ? ' (via role ' + g[7] + ')' : ''), g[7] ? 'via-role' : ''));
      tr.appendChild(td(g[4])); tr.appendChild(td(g[5])); tr.appendChild(td(g[6] || 'never'));
      body.appendChild(tr);
    });
    panel.querySelector('.more').textContent = total > LIMIT ?
      (total - LIMIT) + ' more: run permgate who-can PERMISSION for a full list.' : '';
    panel.hidden = false;
  }
  document.querySelectorAll('td.cell').forEach(function(cell){
    cell.addEventListener('click', function(){ show(cell); });
    cell.addEventListener('keydown', function(ev){ if (ev.key === 'Enter' || ev.key === ' ') {
      ev.preventDefault(); show(cell); } });
  });
  var first = document.querySelector('td.cell.breach');
  if (first) show(first);
})();
""".replace("CELL_LIMIT", str(CELL_LIMIT))


def render_html(report: HtmlReport) -> str:
    ws = report.ws
    if report.severities is not None:
        counts = {s: report.severities.get(s, 0) for s in ("error", "warning", "note")}
    else:
        counts = {s: sum(1 for f in report.findings if f.severity == s) for s in ("error", "warning", "note")}
    breaches = sum(report.matrix.count(r, c) for (r, c) in report.matrix.forbidden)
    exposures = len(report.audit.exposures) if report.audit else 0
    stats = [
        ("grants", page_grants(report)),
        ("people", len(ws.people)),
        ("permissions", len(ws.catalog)), ("forbidden grants", breaches),
        ("errors", counts["error"]), ("warnings", counts["warning"]), ("exposures in history", exposures),
    ]
    stats_html = "".join(f"<li><b>{n}</b>{_e(label)}</li>" for label, n in stats)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; \
script-src 'unsafe-inline'; img-src data:">
<title>permgate access report: {_e(report.title)}</title>
<style>{_CSS}</style>
</head>
<body>
<header><h1>Access report</h1><p>{_e(report.title)} &middot; as of {report.today.isoformat()}</p></header>
<main>
<ul class="stats">{stats_html}</ul>
<section id="matrix">
<h2>Access matrix</h2>
<p class="note">Grants counted by the grantee's division (rows) and the division that owns the permission
(columns). Click a cell to list its grants.</p>
{_matrix_html(report)}
<div class="legend"><span><i class="sw h"></i>grants (darker: more)</span>
<span><i class="sw f"></i>forbidden by a policy</span><span><i class="sw b"></i>forbidden and granted</span></div>
<div id="cell-panel" hidden><h3></h3>
<div class="scroll"><table class="list grants"><thead><tr><th>where</th><th>employee</th><th>permission</th>
<th>granted by</th><th>granted on</th><th>expires</th></tr></thead><tbody></tbody></table></div>
<p class="more note"></p></div>
</section>
<section id="findings">
<h2>Findings</h2>
{_findings_html(report)}
</section>
<section id="timeline">
<h2>Exposure timeline</h2>
{_timeline_html(report)}
</section>
</main>
<footer>permgate &middot; self-contained page: nothing is loaded from the network</footer>
<script type="application/json" id="report-data">{_data(report)}</script>
<script>{_JS}</script>
</body>
</html>
"""
