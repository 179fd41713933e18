"""In Debian's headless Chromium (Playwright, never a downloaded browser): an investigator
screens, randomizes and dispenses; a blinded user cannot see the arm; an emergency unblinding is
recorded. Screenshots are kept in artifacts/playwright/ (git-ignored)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from .browser_support import ARM_WORDS, Web, body, fill_eligible_screening, journey, no_arm

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Web]:
    with journey(
        tmp_path / "browser", slots_per_stratum=20, kits_per_site=6,
        viewport={"width": 1200, "height": 900},
    ) as web:  # fmt: skip
        yield web


def test_investigator_screens_randomizes_dispenses_and_unblinds(web: Web) -> None:
    url, creds, shot = web.url, web.creds, web.shot
    investigator = web.login("investigator")
    investigator.goto(f"{url}/patients/new/")
    fill_eligible_screening(investigator, "2024-03-01")
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
    no_arm(investigator, "investigator")

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
    no_arm(investigator, "investigator")

    investigator.goto(patient_url + "unblind/")
    investigator.fill("#id_reason", "Suspected anaphylaxis; ICU team needs the allocation")
    investigator.fill("#id_password", creds["investigator"])
    investigator.click("#unblind")
    investigator.wait_for_selector("#unblinded-arm")
    revealed = investigator.inner_text("#unblinded-arm")
    assert re.search(r"\bMSC\b|placebo", revealed), revealed
    shot(investigator, "05-emergency-unblinded-requester-sees-arm")

    monitor = web.login("monitor")
    monitor.goto(patient_url)
    text = body(monitor)
    assert "Emergency unblinded by investigator" in text
    assert not ARM_WORDS.search(text), "monitor sees an arm"
    shot(monitor, "06-monitor-sees-flag-not-arm")
    monitor.goto(f"{url}/audit/?record=randomization.slot:1")
    no_arm(monitor, "monitor")
    monitor.goto(f"{url}/unblinding/")
    assert "Suspected anaphylaxis" in body(monitor)
    shot(monitor, "07-unblinding-log")

    manager = web.login("datamanager")
    manager.goto(f"{url}/notifications/")
    text = body(manager)
    assert "Emergency unblinding of patient C01-0001" in text
    assert not ARM_WORDS.search(text)
    shot(manager, "08-datamanager-notification")

    response = investigator.goto(f"{url}/randomization/schedule/")
    assert response is not None and response.status == 403
    no_arm(investigator, "investigator")
    statistician = web.login("statistician")
    statistician.goto(f"{url}/randomization/schedule/")
    assert ARM_WORDS.search(body(statistician)), "the unblinded statistician sees the schedule"
    assert "C01-0001" in body(statistician)
    shot(statistician, "09-statistician-schedule")
