"""Each role's journey in Debian's headless Chromium (Playwright), in English and then in Chinese
(issue 11): the investigator screens and randomizes a patient and enters the baseline
assessment, the pharmacist and the statistician read the record status dashboard, the data
manager raises a query from a field, the monitor verifies the form against the source (SDV),
the investigator signs the casebook, the data manager reads the lock checklist and locks with
the open items confirmed. In English the administrator then unlocks; in Chinese the
statistician unblinds the trial and opens the report. One live server for both languages; each
user's language is their preference (picked on the login page, ``sites.Preference``).
Screenshots in artifacts/playwright/roles/ (git-ignored).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gvhdtrial.web.loadrun import LiveServer

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "playwright" / "roles"
ARM_WORDS = re.compile(r"\bMSC\b|placebo|\bcontrol|安慰剂|对照组?|间充质干细胞", re.IGNORECASE)
BLINDED = ("investigator", "pharmacist", "datamanager", "monitor", "admin")


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    server = LiveServer(tmp_path / "browser-roles", workers=1, threads=4)
    try:
        server.seed(slots_per_stratum=10, kits_per_site=4)
        creds = json.loads((server.home / "demo_credentials.json").read_text())
        server.start()
        yield server, creds
    finally:
        server.stop()
        server.drop_database()


def test_every_role_in_english_and_chinese(live: tuple[LiveServer, dict[str, str]]) -> None:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: run `make apt-deps`")
    from playwright.sync_api import sync_playwright

    server, creds = live
    url = server.url
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    today = dt.date.today().isoformat()

    def shot(page: Any, name: str) -> None:
        for attempt in range(3):
            try:
                page.bring_to_front()
                page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
                return
            except Exception:
                if attempt == 2:
                    raise
                page.wait_for_timeout(500)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )

        def login(username: str, language: str) -> Any:
            """A new browser for ``username`` working in ``language`` (picked on the login page,
            or with the header's switch when the user already has a language of their own)."""
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.goto(f"{url}/login/")
            page.click(f'button[name=language][value="{language}"]')
            page.wait_for_selector(f'html[lang="{language}"]', state="attached")
            page.fill("#id_username", username)
            page.fill("#id_password", creds[username])
            page.click("button[type=submit]")
            page.wait_for_url(f"{url}/")
            if page.get_attribute("html", "lang") != language:
                # A user with a language of their own gets it back on signing in: they switch
                # with the header's language buttons (the choice becomes their preference).
                page.click(f'form.language-switch button[value="{language}"]')
                page.wait_for_selector(f'html[lang="{language}"]', state="attached")
            return page

        def blind(page: Any, who: str) -> None:
            if who in BLINDED:
                assert not ARM_WORDS.search(page.inner_text("body")), (who, page.url)

        def cell(page: Any, pid: int, key: str) -> str:
            row = page.locator(f"#record-status tr:has(a[href='/patients/{pid}/crf/'])")
            return str(row.locator(f"td[data-key='{key}']").get_attribute("class"))

        for lang in ("en-gb", "zh-hans"):
            tag = "en" if lang == "en-gb" else "zh"
            # Investigator: screen, consent, randomize (confirmation page), baseline assessment.
            inv = login("investigator", lang)
            inv.goto(f"{url}/patients/new/")
            inv.fill("#id_weight_kg", "62")
            inv.fill("#id_age_years", "41")
            inv.select_option("#id_agvhd_grade", "3")
            for box in ("haematologic_malignancy", "first_allo_hsct", "steroid_refractory"):
                inv.check(f"#id_{box}")
            inv.fill("#id_consent_date", today)
            inv.click("#screen")
            inv.wait_for_selector("#eligibility")
            pid = int(inv.url.rstrip("/").rsplit("/", 1)[1])
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
            row_url = inv.locator("#assessments a[href*='/crf/assessments/']").first.get_attribute(
                "href"
            )
            assert row_url and re.fullmatch(rf"/patients/{pid}/crf/assessments/\d+/", row_url)
            inv.goto(f"{url}/records/")
            assert "complete" in cell(inv, pid, "visit:baseline")
            shot(inv, f"{tag}-01-investigator-dashboard")

            # Pharmacist and statistician read the dashboard (the statistician is unblinded,
            # the dashboard shows no arm to anyone: it has no arm column).
            for who in ("pharmacist", "statistician"):
                page = login(who, lang)
                page.goto(f"{url}/records/")
                assert page.locator("#record-status").count() == 1
                assert not ARM_WORDS.search(page.inner_text("#record-status")), who
                shot(page, f"{tag}-02-{who}-dashboard")
                page.context.close()

            # Data manager: a query raised from the field it is about.
            dm = login("datamanager", lang)
            dm.goto(f"{url}{row_url}")
            dm.click("#raise-skin_bsa_percent")
            dm.fill("#id_text", "Source says 50 %: please check.")
            dm.click("#raise")
            dm.wait_for_selector("#thread li")
            blind(dm, "datamanager")
            shot(dm, f"{tag}-03-datamanager-query")

            # Monitor: the form verified against the source; the dashboard shows it.
            mon = login("monitor", lang)
            mon.goto(f"{url}{row_url}")
            assert mon.locator("#verify-row").count() == 1
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

            # Data manager: the lock checklist (the open query, the missing baseline form), the
            # lock refused unconfirmed, then confirmed and e-signed.
            dm.goto(f"{url}/lock/")
            assert dm.locator("#checklist-open_queries .count").inner_text() != "0"
            assert dm.locator("#checklist-missing_forms .count").inner_text() != "0"
            shot(dm, f"{tag}-08-lock-checklist")
            dm.fill("#id_reason", "All patients finished: database lock")
            dm.fill("#id_password", creds["datamanager"])
            dm.click("button[value=lock]")
            dm.wait_for_selector(".messages li.error")
            assert dm.locator("#checklist-open_queries").count() == 1  # still open, not locked
            dm.fill("#id_reason", "All patients finished: database lock")
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

            if lang == "en-gb":
                # The administrator unlocks (e-signed) so that the Chinese run can enter data.
                admin = login("admin", lang)
                admin.goto(f"{url}/lock/")
                admin.fill("#id_reason", "Browser journey: unlock for the Chinese run")
                admin.fill("#id_password", creds["admin"])
                admin.click("button[value=unlock]")
                admin.wait_for_selector("#lock-checklist")
                admin.context.close()
            else:
                # The statistician unblinds the trial (e-signed) and opens the report.
                stat = login("statistician", lang)
                stat.goto(f"{url}/unblinding/trial/")
                stat.fill("#id_reason", "Database locked: final analysis")
                stat.fill("#id_password", creds["statistician"])
                stat.click("button.danger")
                stat.wait_for_url(f"{url}/unblinding/")
                stat.goto(f"{url}/report/")
                stat.wait_for_selector("#section-consort", timeout=150_000)
                shot(stat, f"{tag}-11-report")
                consort = re.sub(r"\s+", " ", stat.locator("#section-consort").inner_text())
                assert re.search(r"n\s*=\s*2\b", consort), consort[:400]
            for page in (inv, dm, mon):
                page.context.close()
        browser.close()
