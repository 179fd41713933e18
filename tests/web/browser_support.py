"""The browser journeys' shared set-up (marker ``browser``): a live server on loopback with its
own seeded database, Debian's headless Chromium driven by Playwright (never a downloaded
browser), and the page helpers every journey uses (sign in, optionally in a language; a
full-page screenshot into ``artifacts/playwright/`` (git-ignored); no arm on a blinded page).

A module's fixture is one ``with`` statement::

    @pytest.fixture
    def web(tmp_path: Path) -> Iterator[Web]:
        with journey(tmp_path / "browser", "capture", slots_per_stratum=10) as web:
            yield web
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from gvhdtrial.web.loadrun import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "playwright"
#: Words that name an arm, in English and Chinese: a blinded role's page must have none.
ARM_WORDS = re.compile(r"\bMSC\b|placebo|\bcontrol|安慰剂|对照组?|间充质干细胞", re.IGNORECASE)


#: The browser locale of a user who works in a language of the service.
BROWSER_LOCALES = {"zh-hans": "zh-CN", "en-gb": "en-GB"}


@dataclass
class Web:
    """One live server and one Chromium: new pages, sign-in, screenshots."""

    server: LiveServer
    creds: dict[str, str]
    browser: Any
    artifacts: Path
    viewport: Mapping[str, int]
    seeded: Path | None = None  # a copy of the server's home as seeded (``keep_seed``)
    others: list[LiveServer] = field(default_factory=list)  # stopped with the journey

    @property
    def url(self) -> str:
        return self.server.url

    def page(self, locale: str | None = None) -> Any:
        """A page in a browser context of its own (no cookies shared with other pages); with a
        ``locale`` (``zh-CN``) the browser's own, which formats date inputs as a user's would."""
        options: dict[str, Any] = {"viewport": dict(self.viewport)}
        if locale is not None:
            options["locale"] = locale
        return self.browser.new_context(**options).new_page()

    def login(self, username: str, page: Any = None, language: str | None = None) -> Any:
        """Sign ``username`` in on ``page`` (a new page when None) and return the page. With a
        ``language`` (``en-gb``, ``zh-hans``) it is picked on the login page, or, when the user
        already has a language of their own (given back on signing in), with the header's
        switch; either way it becomes their preference."""
        if page is None:  # a user of that language runs a browser in it (date inputs)
            page = self.page(BROWSER_LOCALES.get(language or ""))
        page.goto(f"{self.url}/login/")
        if language is not None:
            page.click(f'button[name=language][value="{language}"]')
            page.wait_for_selector(f'html[lang="{language}"]', state="attached")
        page.fill("#id_username", username)
        page.fill("#id_password", self.creds[username])
        page.click("button[type=submit]")
        page.wait_for_url(f"{self.url}/")
        if language is not None and page.get_attribute("html", "lang") != language:
            page.click(f'form.language-switch button[value="{language}"]')
            page.wait_for_selector(f'html[lang="{language}"]', state="attached")
        return page

    def shot(self, page: Any, name: str) -> None:
        """A full-page screenshot ``<name>.png``. A page of a background context can fail to
        paint once under load: it is brought to the front and tried again (three times)."""
        for attempt in range(3):
            try:
                page.bring_to_front()
                page.screenshot(path=str(self.artifacts / f"{name}.png"), full_page=True)
                return
            except Exception:
                if attempt == 2:
                    raise
                page.wait_for_timeout(500)

    def second_trial(self) -> Web:
        """The same browser on a second server running a copy of the freshly seeded home (same
        keys and passwords, its own port and database), stopped with the journey."""
        if self.seeded is None or self.server.vendor != "sqlite":
            raise RuntimeError("a second trial needs journey(keep_seed=True) on SQLite")
        home = self.server.home.with_name(f"{self.server.home.name}-{len(self.others) + 2}")
        shutil.copytree(self.seeded, home)
        server = _server(home, {})
        self.others.append(server)
        server.start()
        return replace(self, server=server)


def fill_eligible_screening(page: Any, consent_date: str) -> None:
    """Fill the open screening form for an eligible 62 kg patient (3 bags per infusion) with
    written consent on ``consent_date``; the caller submits it (``#screen``)."""
    page.fill("#id_weight_kg", "62")
    page.fill("#id_age_years", "41")
    page.select_option("#id_agvhd_grade", "3")
    for box in ("haematologic_malignancy", "first_allo_hsct", "steroid_refractory"):
        page.check(f"#id_{box}")
    page.fill("#id_consent_date", consent_date)


def body(page: Any) -> str:
    return str(page.inner_text("body"))


def no_arm(page: Any, who: str = "") -> None:
    """Fail when the page names an arm (for a blinded user's page)."""
    assert not ARM_WORDS.search(body(page)), (who, page.url)


def _server(home: Path, env: Mapping[str, str]) -> LiveServer:
    server = LiveServer(home, workers=1, threads=4)
    server.env.pop("GVHDTRIAL_CHECKPOINTS", None)  # in the server's home, its default
    server.env.update(env)
    return server


@contextmanager
def live_server(
    home: Path,
    *,
    slots_per_stratum: int,
    kits_per_site: int,
    env: Mapping[str, str] = {},
    keep_seed: bool = False,
) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    """A seeded server (one gunicorn worker, 4 threads) and the demo users' passwords; ``env``
    is added to the server's environment before seeding (the capture walk's fake clock). The
    audit checkpoints stay in the server's home (its default); ``keep_seed`` copies the seeded
    home to ``<home>-seeded`` (for :meth:`Web.second_trial`)."""
    server = _server(home, env)
    try:
        # The centres, demo users, schedule and kits (not LiveServer.seed's API load users and
        # tokens: a browser signs in with a password; that step alone cost ~6 s of CPU).
        server.cli(
            "web", "seed", "--quiet", "--slots-per-stratum", str(slots_per_stratum),
            "--kits-per-site", str(kits_per_site),
        )  # fmt: skip
        if keep_seed:
            shutil.copytree(server.home, home.with_name(f"{home.name}-seeded"))
        creds = json.loads((server.home / "demo_credentials.json").read_text())
        server.start()
        yield server, creds
    finally:
        server.stop()
        server.drop_database()


@contextmanager
def journey(
    home: Path,
    artifacts: str = "",
    *,
    slots_per_stratum: int = 10,
    kits_per_site: int = 4,
    env: Mapping[str, str] = {},
    viewport: Mapping[str, int] = {"width": 1280, "height": 900},
    keep_seed: bool = False,
) -> Iterator[Web]:
    """A live server and Debian's Chromium for one journey; screenshots go to
    ``artifacts/playwright/<artifacts>/``; ``keep_seed`` allows :meth:`Web.second_trial`."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: run `make apt-deps`")
    from playwright.sync_api import sync_playwright

    folder = ARTIFACTS / artifacts
    folder.mkdir(parents=True, exist_ok=True)
    with (
        live_server(
            home,
            slots_per_stratum=slots_per_stratum,
            kits_per_site=kits_per_site,
            env=env,
            keep_seed=keep_seed,
        ) as (server, creds),
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))
        seeded = home.with_name(f"{home.name}-seeded") if keep_seed else None
        web = Web(server, creds, browser, folder, viewport, seeded)
        try:
            yield web
        finally:
            browser.close()
            for other in web.others:
                other.stop()
