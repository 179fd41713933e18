"""In Debian's headless Chromium, in Chinese (issue 11): a site investigator switches the login
page to 简体中文, signs in, screens a patient with the Chinese form, sees the result in Chinese,
and the choice follows them to a new browser. Screenshots in artifacts/playwright/zh-*.png."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from gvhdtrial.web.loadrun import LiveServer

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "playwright"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    server = LiveServer(tmp_path / "browser-zh", workers=1, threads=4)
    try:
        server.seed(slots_per_stratum=10, kits_per_site=4)
        creds = json.loads((server.home / "demo_credentials.json").read_text())
        server.start()
        yield server, creds
    finally:
        server.stop()
        server.drop_database()


def test_an_investigator_works_in_chinese(live: tuple[LiveServer, dict[str, str]]) -> None:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: run `make apt-deps`")
    from playwright.sync_api import sync_playwright

    server, creds = live
    url = server.url
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
        page.goto(f"{url}/login/")
        page.click('button[name=language][value="zh-hans"]')
        page.wait_for_selector("h1:has-text('登录')")
        page.fill("#id_username", "investigator")
        page.fill("#id_password", creds["investigator"])
        page.click("button[type=submit]")
        page.wait_for_url(f"{url}/")
        assert page.get_attribute("html", "lang") == "zh-hans"
        assert "激素耐药急性移植物抗宿主病" in page.inner_text("h1")
        page.screenshot(path=str(ARTIFACTS / "zh-01-home.png"), full_page=True)
        page.goto(f"{url}/patients/new/")
        assert "体重（kg）" in page.inner_text("main")
        page.fill("#id_weight_kg", "62")
        page.fill("#id_age_years", "41")
        page.select_option("#id_agvhd_grade", "3")
        for box in ("haematologic_malignancy", "first_allo_hsct", "steroid_refractory"):
            page.check(f"#id_{box}")
        page.fill("#id_consent_date", "2024-03-01")
        page.screenshot(path=str(ARTIFACTS / "zh-02-screening-form.png"), full_page=True)
        page.click("#screen")
        page.wait_for_selector("#eligibility")
        assert "符合入组条件" in page.inner_text("#eligibility")
        page.screenshot(path=str(ARTIFACTS / "zh-03-screened.png"), full_page=True)
        patient_url = page.url
        # the choice is the user's: a new browser (no cookie) opens in Chinese after login
        other = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
        other.goto(f"{url}/login/")
        assert other.get_attribute("html", "lang") == "en-gb"
        other.fill("#id_username", "investigator")
        other.fill("#id_password", creds["investigator"])
        other.click("button[type=submit]")
        other.wait_for_url(f"{url}/")
        other.goto(patient_url)
        assert "知情同意" in other.inner_text("body")
        other.screenshot(path=str(ARTIFACTS / "zh-04-patient-new-browser.png"), full_page=True)
        browser.close()
