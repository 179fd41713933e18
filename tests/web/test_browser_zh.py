"""In Debian's headless Chromium, in Chinese (issue 11): a site investigator switches the login
page to 简体中文, signs in, screens a patient with the Chinese form, sees the result in Chinese,
and the choice follows them to a new browser. Screenshots in artifacts/playwright/zh-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .browser_support import Web, journey

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Web]:
    with journey(tmp_path / "browser-zh", viewport={"width": 1200, "height": 900}) as web:
        yield web


def test_an_investigator_works_in_chinese(web: Web) -> None:
    url, shot = web.url, web.shot
    page = web.page()
    page.goto(f"{url}/login/")
    page.click('button[name=language][value="zh-hans"]')
    page.wait_for_selector("h1:has-text('登录')")
    page.fill("#id_username", "investigator")
    page.fill("#id_password", web.creds["investigator"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    assert page.get_attribute("html", "lang") == "zh-hans"
    assert "激素耐药急性移植物抗宿主病" in page.inner_text("h1")
    shot(page, "zh-01-home")
    page.goto(f"{url}/patients/new/")
    assert "体重（kg）" in page.inner_text("main")
    page.fill("#id_weight_kg", "62")
    page.fill("#id_age_years", "41")
    page.select_option("#id_agvhd_grade", "3")
    for box in ("haematologic_malignancy", "first_allo_hsct", "steroid_refractory"):
        page.check(f"#id_{box}")
    page.fill("#id_consent_date", "2024-03-01")
    shot(page, "zh-02-screening-form")
    page.click("#screen")
    page.wait_for_selector("#eligibility")
    assert "符合入组条件" in page.inner_text("#eligibility")
    shot(page, "zh-03-screened")
    patient_url = page.url
    # the choice is the user's: a new browser (no cookie) opens in Chinese after login
    other = web.page()
    other.goto(f"{url}/login/")
    assert other.get_attribute("html", "lang") == "en-gb"
    web.login("investigator", other)
    other.goto(patient_url)
    assert "知情同意" in other.inner_text("body")
    shot(other, "zh-04-patient-new-browser")
