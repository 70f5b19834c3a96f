"""permgate report --html on a large organisation: the page is capped with counts, so its size
follows the caps and not the organisation, and it loads and answers a click in a real browser."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from permgate.analysis.audit import AuditResult, CommitRef, Exposure, Judge
from permgate.analysis.matrix import access_matrix
from permgate.config import load_config
from permgate.load.workspace import load_workspace
from permgate.reporters import html
from permgate.reporters.html import CELL_LIMIT, MAX_FINDINGS, HtmlReport, render_html
from tests.cli.test_report_html import browser, needs_chromium
from tests.conftest import gen_org, run_cli

__all__ = ["browser"]  # the fixture, shared with test_report_html


def report(root: Path, page: Path) -> str:
    result = run_cli("report", "--root", str(root), "--html", str(page), "--today", "2026-11-27")
    assert result.exit_code == 0, result.output
    return result.stdout


def page_data(page: Path) -> dict[str, Any]:
    text = page.read_text("utf-8")
    block = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', text, re.S)
    assert block is not None
    data: dict[str, Any] = json.loads(block.group(1).replace("<\\/", "</"))
    return data


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[Path, Path]]:
    """The report of a 1,500- and of a 3,000-employee reference organisation: (page, root)."""
    out = {}
    for size in (1500, 3000):
        root = tmp_path_factory.mktemp(f"org{size}") / "org"
        gen_org(root, size, 7)
        page = root.parent / "report.html"
        report(root, page)
        out[size] = (page, root)
    return out


@pytest.mark.slow
def test_the_page_size_follows_the_caps_not_the_organisation(pages: dict[int, tuple[Path, Path]]) -> None:
    small, large = (pages[n][0].stat().st_size for n in (1500, 3000))
    ws = load_workspace(str(pages[3000][1]))
    matrix = access_matrix(ws)
    assert max(len(c) for c in matrix.cells.values()) > 3 * CELL_LIMIT  # the large org's cells are capped
    assert large < 1.15 * small  # twice the grants, about the same page
    assert large < 5_000_000
    data = page_data(pages[3000][0])
    for (row, column), cell in matrix.cells.items():
        carried = data["grants"][f"{matrix.rows.index(row)},{matrix.columns.index(column)}"]
        assert len(carried) == min(len(cell), CELL_LIMIT)
        first = cell[:CELL_LIMIT]  # the first ones in file order, each with its file and line
        assert [(data["files"][g[0]][0], g[1], g[3]) for g in carried] == [(g.path, g.line, g.permission)
                                                                            for g in first]
    text = pages[3000][0].read_text("utf-8")
    assert text.count('<tr class="sev-') == MAX_FINDINGS
    shown = int(re.search(r'<p class="note">(\d+) more findings', text).group(1))  # type: ignore[union-attr]
    counted = re.search(r"<li><b>(\d+)</b>errors</li><li><b>(\d+)</b>warnings", text)
    assert counted is not None and shown + MAX_FINDINGS == int(counted.group(1)) + int(counted.group(2))


@pytest.mark.slow
@needs_chromium
def test_a_large_page_loads_and_a_capped_cell_answers_a_click(pages: dict[int, tuple[Path, Path]],
                                                              browser: Any) -> None:
    from selenium.webdriver.common.by import By

    page, root = pages[3000]
    start = time.perf_counter()
    browser.get(page.as_uri())
    loaded = time.perf_counter() - start
    assert loaded < 20, loaded
    matrix = access_matrix(load_workspace(str(root)))
    (row, column), cell = max(matrix.cells.items(), key=lambda kv: len(kv[1]))
    element = browser.find_element(By.CSS_SELECTOR, f'td.cell[data-row="{row}"][data-column="{column}"]')
    assert int(element.text) == len(cell)
    start = time.perf_counter()
    element.click()
    listed = browser.find_elements(By.CSS_SELECTOR, "#cell-panel tbody tr")
    answered = time.perf_counter() - start
    assert answered < 5, answered
    assert len(listed) == CELL_LIMIT
    title = browser.find_element(By.CSS_SELECTOR, "#cell-panel h3").text
    assert title.startswith(f"{row} people holding {column} permissions: {len(cell)} grants")
    more = browser.find_element(By.CSS_SELECTOR, "#cell-panel .more").text
    assert more == f"{len(cell) - CELL_LIMIT} more: run permgate who-can PERMISSION for a full list."
    first = listed[0].find_element(By.CSS_SELECTOR, "a.loc").text
    assert first == f"{cell[0].path}:{cell[0].line}"


def _exposure(i: int) -> Exposure:
    start = CommitRef(f"{i:040x}", "2024-01-01", "someone", "grant")
    return Exposure("distribution-to-retail-sales", f"E{i:06d}", "P083", start, None, 100, "E000001",
                    "2024-01-01", f"assignments/retail-sales/E{i:06d}.yaml", 5)


def test_the_timeline_draws_at_most_max_exposures_and_counts_the_rest(monkeypatch: pytest.MonkeyPatch,
                                                                     tmp_path: Path) -> None:
    gen_org(tmp_path / "org", 30, 7)
    ws = load_workspace(str(tmp_path / "org"))
    judge = Judge(load_config(str(tmp_path / "org")), ws.catalog, ws.people, ws.policies)

    def page(exposures: int) -> str:
        result = AuditResult(tuple(_exposure(i) for i in range(1, exposures + 1)), judge, 7, "ab" * 20)
        return render_html(HtmlReport(ws, access_matrix(ws), (), dt.date(2026, 11, 27), "", result, "", "org"))

    monkeypatch.setattr(html, "MAX_EXPOSURES", 3)
    for exposures, drawn, more in ((3, 3, None), (5, 3, 2)):
        text = page(exposures)
        assert text.count('<div class="tl-row exposure') == drawn
        assert f"{exposures} exposures in 7 commits" in text
        assert (f"{more} more exposures: run <code>permgate audit</code>." in text) if more else \
            "more exposures" not in text
    assert 'data-employee="E000003"' in page(5) and 'data-employee="E000004"' not in page(5)
