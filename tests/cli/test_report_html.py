"""permgate report --html: one self-contained page, checked in real headless Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest
import yaml

from tests.conftest import run_cli

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
needs_chromium = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="headless Chromium is not installed (/usr/bin/chromium, /usr/bin/chromedriver): "
           "apt-get install -y chromium chromium-driver")


@pytest.fixture(scope="module")
def incident_report(incident_history: tuple[Path, list[tuple[str, str, str]]],
                    tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The report of the incident as it stood the day before removal: (page, grants repository)."""
    source, log = incident_history
    base = tmp_path_factory.mktemp("report")
    work = base / "grants"
    shutil.copytree(source, work)
    subprocess.run(["git", "checkout", "-q", log[-2][0]], cwd=work, check=True)
    page = base / "out" / "report.html"
    result = run_cli("report", "--root", str(work), "--html", str(page), "--today", "2023-03-16")
    assert result.exit_code == 0, result.output
    assert re.fullmatch(rf"wrote {re.escape(str(page))}: 502 grants, \d+ findings, 5 exposures\n", result.stdout)
    return page, work


def expected_matrix(root: Path) -> Counter[tuple[str, str]]:
    """Counts recomputed from the YAML with PyYAML, independently of permgate's loader."""
    division = {p["id"]: p["division"] for p in yaml.safe_load((root / "people.yaml").read_text())["people"]}
    owner = {p["id"]: p["owner_division"] for p in yaml.safe_load((root / "catalog.yaml").read_text())["permissions"]}
    counts: Counter[tuple[str, str]] = Counter()
    for path in (root / "assignments").rglob("*.yaml"):
        doc = yaml.safe_load(path.read_text())
        for g in doc["grants"]:
            counts[(division[doc["employee"]], owner[g["permission"]])] += 1
    return counts


def test_page_is_self_contained(incident_report: tuple[Path, Path]) -> None:
    page, _ = incident_report
    text = page.read_text("utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert "<link" not in text and "@import" not in text and "url(" not in text
    assert "default-src 'none'" in text


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("headless Chromium is not installed (/usr/bin/chromium, /usr/bin/chromedriver): "
                    "apt-get install -y chromium chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1300,1800",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def line_of(href: str) -> tuple[Path, int]:
    url = urlparse(href)
    assert url.scheme == "file" and url.fragment.startswith("L"), href
    return Path(unquote(url.path)), int(url.fragment[1:])


@pytest.mark.slow
@needs_chromium
def test_matrix_values_forbidden_cells_and_click_lists_grants_with_working_links(
        incident_report: tuple[Path, Path], browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    page, root = incident_report
    browser.get(page.as_uri())
    cells = browser.find_elements(By.CSS_SELECTOR, "table.matrix td.cell")
    shown = {(c.get_attribute("data-row"), c.get_attribute("data-column")): int(c.text) for c in cells}
    expected = expected_matrix(root)
    divisions = ("corporate", "distribution", "retail-sales")
    assert shown == {(r, c): expected.get((r, c), 0) for r in divisions for c in divisions}
    assert shown[("retail-sales", "distribution")] == 5
    forbidden = {(c.get_attribute("data-row"), c.get_attribute("data-column")): c.get_attribute("class").split()
                 for c in cells if "forbidden" in (c.get_attribute("class") or "")}
    assert list(forbidden) == [("retail-sales", "distribution")]
    assert "breach" in forbidden[("retail-sales", "distribution")]

    def click(row: str, column: str) -> list[tuple[str, str, list[str]]]:
        browser.find_element(By.CSS_SELECTOR, f'td.cell[data-row="{row}"][data-column="{column}"]').click()
        panel = browser.find_element(By.ID, "cell-panel")
        assert panel.is_displayed()
        out = []
        for tr in panel.find_elements(By.CSS_SELECTOR, "tbody tr"):
            a = tr.find_element(By.CSS_SELECTOR, "a.loc")
            out.append((a.text, a.get_attribute("href"), [td.text for td in tr.find_elements(By.TAG_NAME, "td")]))
        return out

    listed = click("retail-sales", "distribution")
    holders = ("E000007", "E000009", "E000010", "E000011", "E000012")
    assert [text for text, _, _ in listed] == [f"assignments/retail-sales/{e}.yaml:241" for e in holders]
    for (_, href, cols), e in zip(listed, holders, strict=True):
        path, line = line_of(href)
        assert path == (root / f"assignments/retail-sales/{e}.yaml").resolve()
        assert path.read_text("utf-8").splitlines()[line - 1] == "  - permission: P083"
        assert cols[1].startswith(e) and cols[2] == "P083 small-business-liaison.read" and cols[5] == "never"
    assert "5 grants (forbidden by policy)" in browser.find_element(By.CSS_SELECTOR, "#cell-panel h3").text

    listed = click("corporate", "corporate")
    assert len(listed) == expected[("corporate", "corporate")] == 9
    for text, href, cols in listed:
        path, line = line_of(href)
        assert text == f"{path.relative_to(root.resolve()).as_posix()}:{line}"
        assert path.read_text("utf-8").splitlines()[line - 1] == f"  - permission: {cols[2].split()[0]}"


    exposures = browser.find_elements(By.CSS_SELECTOR, "#timeline .exposure")
    assert sorted((x.get_attribute("data-employee"), x.get_attribute("data-start"), x.get_attribute("data-end"),
                   x.get_attribute("data-days")) for x in exposures) == sorted(
        [("E000010", "2021-07-01", "", "623"), ("E000012", "2021-07-01", "", "623"),
         ("E000007", "2022-07-01", "", "258"), ("E000009", "2022-07-01", "", "258"),
         ("E000011", "2022-07-01", "", "258")])
    finding_links = {a.text for a in browser.find_elements(By.CSS_SELECTOR, "#findings a.loc")}
    assert {f"assignments/retail-sales/{e}.yaml:241" for e in holders} <= finding_links
    shot = tmp_path / "report.png"
    assert browser.save_screenshot(str(shot)) and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
@needs_chromium
def test_after_removal_the_timeline_shows_closed_windows(
        incident_history: tuple[Path, list[tuple[str, str, str]]], browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    root, _ = incident_history
    page = tmp_path / "after.html"
    result = run_cli("report", "--root", str(root), "--html", str(page), "--today", "2023-04-01",
                     "--link-base", "https://example.invalid/grants/blob/main/")
    assert result.exit_code == 0, result.output
    browser.get(page.as_uri())
    cell = browser.find_element(By.CSS_SELECTOR, 'td.cell[data-row="retail-sales"][data-column="distribution"]')
    assert cell.text == "0" and "breach" not in (cell.get_attribute("class") or "")
    rows = browser.find_elements(By.CSS_SELECTOR, "#timeline .exposure.closed")
    assert sorted((r.get_attribute("data-employee"), r.get_attribute("data-end"), r.get_attribute("data-days"))
                  for r in rows) == sorted([("E000010", "2023-03-17", "624"), ("E000012", "2023-03-17", "624"),
                                            ("E000007", "2023-03-17", "259"), ("E000009", "2023-03-17", "259"),
                                            ("E000011", "2023-03-17", "259")])
    link = rows[0].find_element(By.CSS_SELECTOR, "a.loc").get_attribute("href")
    assert re.fullmatch(r"https://example\.invalid/grants/blob/main/assignments/retail-sales/E0000\d\d\.yaml#L241",
                        link)


def test_without_git_the_page_says_why_there_is_no_timeline(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2] / "examples" / "incident-2023"
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    page = tmp_path / "r.html"
    result = run_cli("report", "--root", str(copy), "--html", str(page), "--today", "2023-03-16")
    assert result.exit_code == 0, result.output
    text = page.read_text("utf-8")
    assert "No exposure timeline: " in text and "not inside a git repository" in text
    assert 'data-row="retail-sales" data-column="distribution"' in text


def test_the_replay_report_opens_with_the_boundary_findings_not_false_authority_errors(
        incident_report: tuple[Path, Path]) -> None:
    """The replay carries the snapshot's policies (the delegates that let the three division heads,
    who have no manager, register each other): its report opens with the five retail-sales holders
    of P083, each one finding naming its companions, and has no granter-authority row at all."""
    page, _ = incident_report
    text = page.read_text("utf-8")
    section = text.split('<section id="findings">', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r'<tr class="sev-(\w+)"><td>.*?<a class="loc"[^>]*>([^<]+)</a></td>'
                      r'<td class="rule">([^<]+)</td><td>([^<]*)</td></tr>', section)
    holders = ("E000007", "E000009", "E000010", "E000011", "E000012")
    assert [(sev, where, rule) for sev, where, rule, _ in rows[:5]] == [
        ("error", f"assignments/retail-sales/{e}.yaml:241", "distribution-to-retail-sales") for e in holders]
    for _, _, _, message in rows[:5]:
        assert message.startswith("P083 small-business-liaison.read is owned by distribution")
        assert "granter-authority" in message.rsplit("(also: ", 1)[1]
    assert not [r for r in rows if r[2] == "granter-authority"]
    assert not [r for r in rows if re.search(r"/E00000[123]\.yaml:", r[1])]  # nothing about the division heads
