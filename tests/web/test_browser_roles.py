"""Each role's journey in Debian's headless Chromium (Playwright), in English and then in Chinese
(issue 11), the same journey in each: the investigator screens and randomizes a patient and
enters the baseline assessment, the pharmacist and the statistician read the record status
dashboard, the data manager raises a query from a field, the monitor reads the form (read-only)
and verifies it against the source (SDV), the investigator signs the casebook, the data manager
reads the lock checklist and locks with the open items confirmed (e-signed), the statistician
unblinds the trial (e-signed) and opens the report. In Chinese also: the home page and the
screening form, and the language following the user to a new browser (once its own module).
Trial unblinding is final, so the Chinese journey runs on its own trial (a second server on a
copy of the freshly seeded home). Each user's language is their preference (picked on the
login page, ``sites.Preference``). Screenshots in artifacts/playwright/roles/ (git-ignored).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .browser_support import ARM_WORDS, Web, fill_eligible_screening, journey, no_arm

pytestmark = [pytest.mark.slow, pytest.mark.browser]

BLINDED = ("investigator", "pharmacist", "datamanager", "monitor", "admin")
#: The CONSORT box of randomized patients, in each language (the report's own wording).
RANDOMIZED = {"en-gb": r"Randomized \(n = 1\)", "zh-hans": r"随机（n = 1）"}
#: What each journey's users type (a Chinese site writes its queries and reasons in Chinese).
WORDS = {
    "en-gb": {
        "query": "Source says 50 %: please check.",
        "lock": "All patients finished: database lock",
        "unblind": "Database locked: final analysis",
    },
    "zh-hans": {
        "query": "原始记录为 50%：请核对。",
        "lock": "全部患者已完成：锁定数据库",
        "unblind": "数据库已锁定：进行最终分析",
    },
}


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Web]:
    with journey(tmp_path / "browser-roles", "roles", keep_seed=True) as web:
        yield web


def test_every_role_in_english_and_chinese(web: Web) -> None:
    # Trial unblinding is final: the Chinese journey has a trial of its own (a second server on
    # a copy of the freshly seeded home), so the English report is built in the background
    # while the Chinese journey runs.
    trials = {"en-gb": web, "zh-hans": web.second_trial()}
    statisticians = {lang: through_unblinding(w, lang) for lang, w in trials.items()}
    for lang, w in trials.items():
        the_report(w, statisticians[lang], lang)


def through_unblinding(web: Web, lang: str) -> Any:
    """One language's journey up to the trial unblinding; returns the statistician's page."""
    url, creds, shot = web.url, web.creds, web.shot
    tag = "en" if lang == "en-gb" else "zh"
    words = WORDS[lang]
    today = dt.date.today().isoformat()

    def login(username: str) -> Any:
        return web.login(username, language=lang)

    def blind(page: Any, who: str) -> None:
        if who in BLINDED:
            no_arm(page, who)

    def cell(page: Any, pid: int, key: str) -> str:
        row = page.locator(f"#record-status tr:has(a[href='/patients/{pid}/crf/'])")
        return str(row.locator(f"td[data-key='{key}']").get_attribute("class"))

    # Investigator: screen, consent, randomize (confirmation page), baseline assessment.
    inv = login("investigator")
    assert inv.get_attribute("html", "lang") == lang
    if lang == "zh-hans":  # the home page and the screening form in Chinese
        assert "激素耐药急性移植物抗宿主病" in inv.inner_text("h1")
        shot(inv, "zh-00-home")
    inv.goto(f"{url}/patients/new/")
    if lang == "zh-hans":
        assert "体重（kg）" in inv.inner_text("main")
    fill_eligible_screening(inv, today)
    inv.click("#screen")
    inv.wait_for_selector("#eligibility")
    pid = int(inv.url.rstrip("/").rsplit("/", 1)[1])
    if lang == "zh-hans":
        assert "符合入组条件" in inv.inner_text("#eligibility")
        # The language is the user's: a new browser (no cookie) shows the login page in the
        # default English, and the user's pages in Chinese once signed in.
        other = web.page()
        other.goto(f"{url}/login/")
        assert other.get_attribute("html", "lang") == "en-gb"
        web.login("investigator", other)
        assert other.get_attribute("html", "lang") == "zh-hans"
        other.goto(f"{url}/patients/{pid}/")
        assert "知情同意" in other.inner_text("body")
        shot(other, "zh-00-patient-new-browser")
        other.context.close()
    inv.click("#randomize")
    inv.click("#confirm-randomize")
    inv.wait_for_selector("#randomization")
    blind(inv, "investigator")
    inv.goto(f"{url}/patients/{pid}/crf/assessments/")
    inv.fill("#id_assessment_date", today)
    inv.select_option("#id_visit", "baseline")
    inv.fill("#id_skin_bsa_percent", "60")
    inv.fill("#id_bilirubin", "1.0")
    inv.fill("#id_stool_ml_per_day", "800")
    inv.click("#save")
    inv.wait_for_selector("#assessments td")
    row_url = inv.locator("#assessments a[href*='/crf/assessments/']").first.get_attribute("href")
    assert row_url and re.fullmatch(rf"/patients/{pid}/crf/assessments/\d+/", row_url)
    inv.goto(f"{url}/records/")
    assert "complete" in cell(inv, pid, "visit:baseline")
    shot(inv, f"{tag}-01-investigator-dashboard")

    # Pharmacist and statistician read the dashboard (the statistician is unblinded, the
    # dashboard shows no arm to anyone: it has no arm column).
    for who in ("pharmacist", "statistician"):
        page = login(who)
        page.goto(f"{url}/records/")
        assert page.locator("#record-status").count() == 1
        assert not ARM_WORDS.search(page.inner_text("#record-status")), who
        shot(page, f"{tag}-02-{who}-dashboard")
        page.context.close()

    # Data manager: a query raised from the field it is about.
    dm = login("datamanager")
    dm.goto(f"{url}{row_url}")
    dm.click("#raise-skin_bsa_percent")
    dm.fill("#id_text", words["query"])
    dm.click("#raise")
    dm.wait_for_selector("#thread li")
    blind(dm, "datamanager")
    shot(dm, f"{tag}-03-datamanager-query")

    # Monitor: reads the form (every field disabled, no reason box, no save button: the
    # monitor may not change data), verifies it against the source; the dashboard shows it.
    mon = login("monitor")
    mon.goto(f"{url}{row_url}")
    assert mon.locator("#verify-row").count() == 1
    assert mon.locator("#id_skin_bsa_percent").is_disabled()
    editable = "#crf-form :is(input, select, textarea):enabled:not([type=hidden])"
    assert mon.locator(editable).count() == 0
    assert mon.locator("#id_reason, #save").count() == 0
    shot(mon, f"{tag}-04-monitor-form-before-sdv")
    mon.click("#verify-row")
    mon.wait_for_selector("#row-sdv.sdv-verified")
    assert mon.locator("#sdv-skin_bsa_percent.sdv-verified").count() == 1
    blind(mon, "monitor")
    shot(mon, f"{tag}-05-monitor-verified")
    mon.goto(f"{url}/records/?q=")
    assert "query" in cell(mon, pid, "visit:baseline")  # the open query comes first
    shot(mon, f"{tag}-06-monitor-dashboard")

    # Investigator: the casebook e-signed (password re-entered, meaning stated).
    inv.goto(f"{url}/patients/{pid}/casebook/")
    assert inv.locator("#meaning-casebook").count() == 1
    inv.fill("#id_password", creds["investigator"])
    inv.click("#sign-casebook")
    inv.wait_for_selector("#casebook-state.casebook-signed")
    shot(inv, f"{tag}-07-casebook-signed")
    inv.goto(f"{url}/records/")
    assert "signed" in cell(inv, pid, "casebook")

    # Data manager: the lock checklist (the open query, the missing baseline form), the lock
    # refused unconfirmed, then confirmed and e-signed.
    dm.goto(f"{url}/lock/")
    assert dm.locator("#checklist-open_queries .count").inner_text() != "0"
    assert dm.locator("#checklist-missing_forms .count").inner_text() != "0"
    shot(dm, f"{tag}-08-lock-checklist")
    dm.fill("#id_reason", words["lock"])
    dm.fill("#id_password", creds["datamanager"])
    dm.click("button[value=lock]")
    dm.wait_for_selector(".messages li.error")
    assert dm.locator("#checklist-open_queries").count() == 1  # still open, not locked
    dm.fill("#id_reason", words["lock"])
    dm.fill("#id_password", creds["datamanager"])
    dm.check("#id_confirmed")
    dm.click("button[value=lock]")
    dm.wait_for_selector("#meaning-unlock, #no-unlock, .messages li.success")
    assert dm.locator("#lock-checklist").count() == 0
    shot(dm, f"{tag}-09-locked")
    inv.goto(f"{url}/records/")
    assert inv.locator(".banner.locked").count() == 1
    assert "signed" in cell(inv, pid, "casebook")  # the signature outlives the lock
    assert "query" in cell(inv, pid, "visit:baseline")  # an open query shows over it
    shot(inv, f"{tag}-10-dashboard-locked")

    # The statistician unblinds the trial (e-signed: meaning stated, password re-entered) and
    # opens the report, built in the background after the unblinding.
    stat = login("statistician")
    stat.goto(f"{url}/unblinding/trial/")
    assert stat.locator("#meaning-trial-unblind").inner_text().strip()
    stat.fill("#id_reason", words["unblind"])
    stat.fill("#id_password", creds["statistician"])
    shot(stat, f"{tag}-11-trial-unblinding")
    stat.click("button.danger")
    stat.wait_for_url(f"{url}/unblinding/")
    assert words["unblind"] in stat.inner_text("p.flag")
    for page in (inv, dm, mon):
        page.context.close()
    return stat


def the_report(web: Web, stat: Any, lang: str) -> None:
    """The statistician opens the report (its build started at the unblinding)."""
    tag = "en" if lang == "en-gb" else "zh"
    response = stat.goto(f"{web.url}/report/")
    assert response is not None and response.status in (200, 202), response.status
    if response.status == 202:
        assert stat.locator("#report-progress").count() == 1
        web.shot(stat, f"{tag}-12-report-building")
    stat.wait_for_selector("#section-consort", timeout=150_000)
    web.shot(stat, f"{tag}-13-report")
    consort = re.sub(r"\s+", " ", stat.locator("#section-consort").inner_text())
    assert re.search(RANDOMIZED[lang], consort), consort[:400]
    stat.context.close()
