"""In Debian's headless Chromium (Playwright, never a downloaded browser): an investigator
screens, randomizes and dispenses; a blinded user cannot see the arm; an emergency unblinding is
recorded. Screenshots are kept in artifacts/playwright/ (git-ignored)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from gvhdtrial.web.loadrun import LiveServer

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "playwright"
ARM_WORDS = re.compile(r"\bMSC\b|placebo|\bcontrol", re.IGNORECASE)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    server = LiveServer(tmp_path / "browser", workers=1, threads=4)
    try:
        server.seed(slots_per_stratum=20, kits_per_site=6)
        creds = json.loads((server.home / "demo_credentials.json").read_text())
        server.start()
        yield server, creds
    finally:
        server.stop()
        server.drop_database()


def test_investigator_screens_randomizes_dispenses_and_unblinds(
    live: tuple[LiveServer, dict[str, str]],
) -> None:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: run `make apt-deps`")
    from playwright.sync_api import sync_playwright

    server, creds = live
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    url = server.url

    def shot(page: object, name: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]

    def login(page: object, username: str) -> None:
        page.goto(f"{url}/login/")  # type: ignore[attr-defined]
        page.fill("#id_username", username)  # type: ignore[attr-defined]
        page.fill("#id_password", creds[username])  # type: ignore[attr-defined]
        page.click("button[type=submit]")  # type: ignore[attr-defined]
        page.wait_for_url(f"{url}/")  # type: ignore[attr-defined]

    def body(page: object) -> str:
        return str(page.inner_text("body"))  # type: ignore[attr-defined]

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        investigator = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
        login(investigator, "investigator")
        investigator.goto(f"{url}/patients/new/")
        investigator.fill("#id_weight_kg", "62")
        investigator.fill("#id_age_years", "41")
        investigator.select_option("#id_agvhd_grade", "3")
        for box in ("haematologic_malignancy", "first_allo_hsct", "steroid_refractory"):
            investigator.check(f"#id_{box}")
        investigator.fill("#id_consent_date", "2024-03-01")
        shot(investigator, "01-screening-form")
        investigator.click("#screen")
        investigator.wait_for_selector("#eligibility")
        assert "Eligible" in investigator.inner_text("#eligibility")
        patient_url = investigator.url
        shot(investigator, "02-screened-eligible")

        investigator.click("#randomize")
        investigator.wait_for_selector("#confirm-randomize")  # the confirmation page
        assert "Eligible" in investigator.inner_text("#confirm-eligibility")
        investigator.click("#confirm-randomize")
        investigator.wait_for_selector("#randomization")
        assert "C01-R0001" in investigator.inner_text("#randomization")
        shot(investigator, "03-randomized")
        assert not ARM_WORDS.search(body(investigator)), "investigator sees an arm"

        investigator.fill("#id_infusion_number", "1")
        investigator.click("#dispense")
        try:
            investigator.wait_for_selector(".messages li:has-text('Infusion 1')", timeout=10000)
        finally:
            shot(investigator, "04-dispensed")
        message = investigator.inner_text(".messages")
        kits = re.findall(r"\d{4}-\d{4}-\d{2}-\d{2}", message)
        assert len(kits) == 3, message  # 62 kg -> 3.1 -> 3 bags
        assert "3 bags per infusion" in body(investigator)
        shot(investigator, "04-dispensed")
        assert not ARM_WORDS.search(body(investigator)), "investigator sees an arm"

        investigator.goto(patient_url + "unblind/")
        investigator.fill("#id_reason", "Suspected anaphylaxis; ICU team needs the allocation")
        investigator.fill("#id_password", creds["investigator"])
        investigator.click("#unblind")
        investigator.wait_for_selector("#unblinded-arm")
        revealed = investigator.inner_text("#unblinded-arm")
        assert re.search(r"\bMSC\b|placebo", revealed), revealed
        shot(investigator, "05-emergency-unblinded-requester-sees-arm")

        monitor = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
        login(monitor, "monitor")
        monitor.goto(patient_url)
        text = body(monitor)
        assert "Emergency unblinded by investigator" in text
        assert not ARM_WORDS.search(text), "monitor sees an arm"
        shot(monitor, "06-monitor-sees-flag-not-arm")
        monitor.goto(f"{url}/audit/?record=randomization.slot:1")
        assert not ARM_WORDS.search(body(monitor))
        monitor.goto(f"{url}/unblinding/")
        assert "Suspected anaphylaxis" in body(monitor)
        shot(monitor, "07-unblinding-log")

        manager = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
        login(manager, "datamanager")
        manager.goto(f"{url}/notifications/")
        text = body(manager)
        assert "Emergency unblinding of patient C01-0001" in text
        assert not ARM_WORDS.search(text)
        shot(manager, "08-datamanager-notification")

        response = investigator.goto(f"{url}/randomization/schedule/")
        assert response is not None and response.status == 403
        assert not ARM_WORDS.search(body(investigator))
        statistician = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
        login(statistician, "statistician")
        statistician.goto(f"{url}/randomization/schedule/")
        assert ARM_WORDS.search(body(statistician)), "the unblinded statistician sees the schedule"
        assert "C01-0001" in body(statistician)
        shot(statistician, "09-statistician-schedule")
        browser.close()
