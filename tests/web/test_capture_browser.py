"""One patient through the whole trial in Debian's headless Chromium (Playwright): screen,
consent, randomize, 8 infusions with kit checks, assessments staged live as values are typed,
PR at day 28, 8 more infusions, an SAE, a query raised, answered and closed, lock, trial
unblinding, and the analysis report. Screenshots in artifacts/playwright/capture/ (git-ignored).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from .browser_support import Web, fill_eligible_screening, journey, no_arm

pytestmark = [pytest.mark.slow, pytest.mark.browser]

INFUSION_DAYS = (0, 3, 7, 10, 14, 17, 21, 24, 28, 31, 35, 38, 42, 45, 49, 52)
# The walk happens in the past: the server runs DAYS_AGO days behind (libfaketime, Debian's
# `faketime`) from screening to the last CRF entry, its clock moving forward with the walk (a
# dispensing may neither precede randomization nor lie in the future, so each infusion is
# entered on its own day), then is restarted on the real clock for the lock, so that every CRF
# date (infusions up to day 52) lies before the export's data cut-off (today), as it would at a
# real database lock.
FAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1")
DAYS_AGO = 60


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Web]:
    if not FAKETIME.exists():
        pytest.fail("Debian's faketime is missing: run `make apt-deps`")
    clock = tmp_path / "faketime.rc"  # the server's clock offset, re-read on every call
    clock.write_text(f"-{DAYS_AGO}d\n")
    fake = {"LD_PRELOAD": str(FAKETIME), "FAKETIME_TIMESTAMP_FILE": str(clock),
            "FAKETIME_NO_CACHE": "1"}  # fmt: skip
    with journey(tmp_path / "capture-browser", "capture", kits_per_site=50, env=fake) as web:
        yield web


def test_one_patient_from_screening_to_the_report(web: Web) -> None:
    from playwright.sync_api import expect

    server, creds, url, shot = web.server, web.creds, web.url, web.shot
    day0 = dt.date.today() - dt.timedelta(days=DAYS_AGO)  # the server's today during the walk

    def day(n: int) -> str:
        return (day0 + dt.timedelta(days=n)).isoformat()

    def clock(n: int) -> None:
        """Move the server's clock to day ``n`` of the walk (sessions expire: log in again)."""
        (server.home.parent / "faketime.rc").write_text(f"-{DAYS_AGO - n}d\n")

    inv = web.login("investigator")

    # Screening (the patients app's form, eligibility by the protocol engine) with consent.
    inv.goto(f"{url}/patients/new/")
    fill_eligible_screening(inv, day(0))
    inv.click("#screen")
    inv.wait_for_selector("#eligibility")
    assert "Eligible" in inv.inner_text("#eligibility")
    patient_url = inv.url.rstrip("/")
    pid = int(patient_url.rsplit("/", 1)[1])
    inv.click("#randomize")
    inv.click("#confirm-randomize")
    inv.wait_for_selector("#randomization")
    shot(inv, "01-randomized")
    no_arm(inv)

    # Baseline CRF (demographics, transplant, aGVHD onset): without it the patient cannot
    # form a row of the exported data set, and the report would not include them.
    inv.goto(f"{url}/patients/{pid}/crf/baseline/")
    inv.fill("#id_screening_date", day(0))
    for name, value in (
        ("sex", "female"), ("diagnosis", "AML"), ("conditioning", "busulfan-based"),
        ("donor_type", "sibling"), ("stem_cell_source", "PBSC"), ("cmv_donor", "positive"),
        ("cmv_recipient", "positive"), ("ebv_donor", "negative"),
        ("ebv_recipient", "negative"), ("gvhd_prophylaxis", "mtx_cni"),
    ):  # fmt: skip
        inv.select_option(f"#id_{name}", value)
    inv.fill("#id_hsct_date", day(-60))
    inv.fill("#id_cd34_dose_1e6_per_kg", "5.2")
    inv.fill("#id_agvhd_onset_date", day(-20))
    inv.click("#save")
    inv.wait_for_selector(".messages li.success")
    no_arm(inv)

    # Baseline assessment: the stages update as the values are typed.
    inv.goto(f"{url}/patients/{pid}/crf/assessments/")
    inv.fill("#id_assessment_date", day(0))
    inv.select_option("#id_visit", "baseline")
    inv.fill("#id_skin_bsa_percent", "60")
    expect(inv.locator("#stage-skin")).to_have_text("3")
    expect(inv.locator("#grade")).to_have_text("not assessed")  # no bilirubin yet
    inv.fill("#id_bilirubin", "1.0")
    inv.fill("#id_stool_ml_per_day", "1200")
    expect(inv.locator("#stage-lower_gi")).to_have_text("2")
    expect(inv.locator("#grade")).to_have_text("III")
    shot(inv, "02-baseline-live-staging")
    inv.fill("#id_stool_ml_per_day", "800")
    expect(inv.locator("#stage-lower_gi")).to_have_text("1")
    expect(inv.locator("#grade")).to_have_text("II")
    inv.click("#save")
    inv.wait_for_selector("#assessments td")

    def infuse(number: int) -> None:
        if INFUSION_DAYS[number - 1] > 0:
            clock(INFUSION_DAYS[number - 1])
            web.login("investigator", inv)
        inv.goto(patient_url + "/")
        inv.fill("#id_infusion_number", str(number))
        inv.fill("#id_on_date", day(INFUSION_DAYS[number - 1]))
        inv.click("#dispense")
        inv.wait_for_selector(f".messages li:has-text('Infusion {number}:')")
        kits = re.findall(r"\d{4}-\d{4}-\d{2}-\d{2}", inv.inner_text(".messages"))
        assert len(kits) == 3, inv.inner_text(".messages")
        inv.goto(f"{url}/patients/{pid}/crf/infusions/")
        inv.fill("#id_infusion_number", str(number))
        inv.fill("#id_date", day(INFUSION_DAYS[number - 1]))
        if number == 1:  # a wrong kit is refused without naming an arm
            inv.fill("#id_kit_numbers", "0000-0000-00-00")
            inv.click("#save")
            # The error sits at the kit field; the entered number and date are kept.
            inv.wait_for_selector(".field.kit_numbers .errorlist")
            assert "Kit 0000-0000-00-00 is not dispensed to this patient." in inv.inner_text(
                ".field.kit_numbers"
            )
            assert inv.input_value("#id_date") == day(INFUSION_DAYS[number - 1])
            no_arm(inv)
            shot(inv, "03-wrong-kit-refused")
        inv.fill("#id_kit_numbers", ";".join(kits))
        inv.click("#save")
        inv.wait_for_selector(".messages li.success")

    for number in range(1, 9):
        try:
            infuse(number)
        except Exception:
            shot(inv, f"failed-infusion-{number}")
            raise
    shot(inv, "04-eight-infusions")
    no_arm(inv)

    # Day-28 assessment: PR against baseline, shown as typed; then confirmed.
    clock(28)
    web.login("investigator", inv)
    inv.goto(f"{url}/patients/{pid}/crf/assessments/")
    inv.fill("#id_assessment_date", day(28))
    inv.select_option("#id_visit", "d28")
    inv.fill("#id_skin_bsa_percent", "10")
    inv.fill("#id_bilirubin", "1.0")
    inv.fill("#id_stool_ml_per_day", "300")
    expect(inv.locator("#stage-skin")).to_have_text("1")
    expect(inv.locator("#stage-lower_gi")).to_have_text("0")
    expect(inv.locator("#response")).to_have_text("PR")
    shot(inv, "05-day28-live-PR")
    inv.click("#save")
    inv.goto(f"{url}/patients/{pid}/response/d28/")
    assert inv.inner_text("#computed") == "PR"
    inv.select_option("#id_confirmed", "PR")
    inv.click("#confirm-response")
    inv.wait_for_selector("#response-d28")
    assert "PR" in inv.inner_text("#response-d28")
    assert "of 16 planned" in inv.inner_text("#infusions h2")
    shot(inv, "06-PR-confirmed-16-planned")

    for number in range(9, 17):
        infuse(number)
    inv.goto(f"{url}/patients/{pid}/calendar/")
    shot(inv, "07-calendar")
    assert "Infusion 16" in inv.inner_text("#calendar")

    # A serious adverse event.
    inv.goto(f"{url}/patients/{pid}/crf/adverse-events/")
    inv.select_option("#id_term", "Sepsis")
    inv.select_option("#id_soc", "Infections and infestations")
    inv.select_option("#id_grade", "4")
    inv.check("#id_serious")
    inv.fill("#id_onset_date", day(33))
    inv.select_option("#id_outcome", "recovering")
    inv.click("#save")
    inv.wait_for_selector("#adverse-events td")
    assert "SAE" in inv.inner_text("#adverse-events")
    shot(inv, "08-sae")

    # A query: raised by the data manager, answered by the site, closed by the data
    # manager (the monitor is read-only, issue 10).
    dm = web.login("datamanager")
    # From the field itself: the SAE's form, the "Query" link beside its onset date.
    dm.goto(f"{url}/patients/{pid}/crf/")
    dm.click("#adverse-events a:has-text('open')")
    dm.click("#raise-onset_date")
    dm.wait_for_selector("#id_text")
    dm.fill("#id_text", "Please confirm the SAE onset date against the ICU notes.")
    dm.click("#raise")
    dm.wait_for_selector("#query-status")
    query_url = dm.url
    inv.goto(query_url)
    assert inv.locator("#close").count() == 0  # a site user cannot close
    inv.fill("#id_text", "Confirmed: onset on the day of ICU admission.")
    inv.click("#answer")
    inv.wait_for_selector("#query-status:has-text('answered')")
    dm.goto(query_url)
    dm.fill("#id_text", "Thank you.")
    dm.click("#close")
    dm.wait_for_selector("#query-status:has-text('closed')")
    shot(dm, "09-query-closed")
    no_arm(dm)

    # Days later (the server back on the real clock; the sessions have expired): lock,
    # trial-level unblinding by the statistician, then the report.
    server.stop()
    for name in ("LD_PRELOAD", "FAKETIME_TIMESTAMP_FILE", "FAKETIME_NO_CACHE"):
        server.env.pop(name)
    server.start()
    web.login("datamanager", dm)
    web.login("investigator", inv)
    dm.goto(f"{url}/lock/")
    dm.fill("#id_reason", "All patients finished: database lock for the final analysis")
    dm.fill("#id_password", creds["datamanager"])  # the lock is e-signed
    if dm.locator("#id_confirmed").count():  # open checklist items (issue 11): confirmed
        dm.check("#id_confirmed")
    dm.click("button[value=lock]")
    dm.wait_for_selector("text=locked")
    inv.goto(f"{url}/patients/{pid}/crf/assessments/")
    shot(inv, "10-locked-banner")
    assert "The database is locked" in inv.inner_text("body")
    stat = web.login("statistician")
    stat.goto(f"{url}/unblinding/trial/")
    stat.fill("#id_reason", "Database locked: final analysis")
    stat.fill("#id_password", creds["statistician"])  # trial unblinding is e-signed
    stat.click("button.danger")
    stat.wait_for_url(f"{url}/unblinding/")
    # Unblinding started the report's build in the background: the page shows its progress
    # (202) and reloads itself until the report is served.
    response = stat.goto(f"{url}/report/")
    assert response is not None and response.status in (200, 202), response.status
    if response.status == 202:
        assert stat.locator("#report-progress").count() == 1
        shot(stat, "11-report-building")
    try:
        stat.wait_for_selector("#section-consort", timeout=600_000)
    finally:
        shot(stat, "11-report" if stat.locator("#section-consort").count() else
             "11-report-error")  # fmt: skip
    # The report is the analysis of this trial: its one patient is randomized and counted
    # in the CONSORT figure (n = 0 without them; the figure's text has no-break spaces).
    consort = re.sub(r"\s+", " ", stat.locator("#section-consort").text_content() or "")
    assert "Randomized (n = 1)" in consort, consort[:500]
