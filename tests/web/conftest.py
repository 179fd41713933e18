"""Service tests: Django configured here (pytest-django), on SQLite or, when DATABASE_URL is set,
PostgreSQL. Fixtures build a small trial: 7 centres, one user per role plus a second-site
investigator, a schedule and a kit list shipped to the sites."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gvhdtrial.web.settings")
os.environ.setdefault("GVHDTRIAL_HOME", tempfile.mkdtemp(prefix="gvhdtrial-test-"))

import django

django.setup()

import datetime as dt  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402

settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Test transactions are not visible to another thread: the report is built in the request.
settings.GVHDTRIAL_REPORT_BUILD = "inline"

PASSWORD = "demo-password-for-tests"
ELIGIBLE = {
    "age_years": 40,
    "agvhd_grade": 3,
    "haematologic_malignancy": True,
    "first_allo_hsct": True,
    "steroid_refractory": True,
}


@dataclass
class Trial:
    users: dict[str, Any]

    def actor(self, name: str) -> Any:
        from gvhdtrial.web.sites.auth import actor_for

        return actor_for(self.users[name])

    def client(self, name: str) -> Client:
        c = Client()
        c.force_login(self.users[name])
        return c


def build_trial(slots_per_stratum: int = 40, kits_per_site: int = 8) -> Trial:
    from django.contrib.auth import get_user_model

    from gvhdtrial.web.seed import DEMO_USERS, SeedConfig, ensure_user, seed
    from gvhdtrial.web.sites.roles import Role

    seed(SeedConfig(slots_per_stratum=slots_per_stratum, kits_per_site_per_arm=kits_per_site))
    user_model = get_user_model()
    for username, _, _ in DEMO_USERS:
        u = user_model.objects.get(username=username)
        u.set_password(PASSWORD)
        u.save()
    ensure_user("investigator2", Role.INVESTIGATOR, "C02", PASSWORD)
    ensure_user("pharmacist2", Role.PHARMACIST, "C02", PASSWORD)
    names = [u[0] for u in DEMO_USERS] + ["investigator2", "pharmacist2"]
    return Trial({n: user_model.objects.get(username=n) for n in names})


@pytest.fixture
def trial(db: None) -> Trial:
    return build_trial()


@pytest.fixture(autouse=True)
def own_checkpoint_file(tmp_path_factory: pytest.TempPathFactory, monkeypatch: Any) -> None:
    """Each test's database starts a new audit chain, so its signed checkpoints (written when
    on-commit hooks run) go to a file of its own, never compared with another test's chain."""
    monkeypatch.setenv("GVHDTRIAL_CHECKPOINTS", str(tmp_path_factory.mktemp("checkpoints")))


def screen(trial: Trial, who: str = "investigator", consent: bool = True, **answers: Any) -> Any:
    from gvhdtrial.web.patients.services import screen_patient

    return screen_patient(
        trial.actor(who),
        weight_kg=answers.pop("weight_kg", 55),
        answers={**ELIGIBLE, **answers},
        consent_date=dt.date(2024, 1, 2) if consent else None,
    )


@pytest.fixture(autouse=True)
def _no_language_leaks() -> Any:
    """A request activates its user's language in the thread (LocaleMiddleware, UserLanguage)
    and Django leaves it active: reset it so the next test starts in the default language."""
    yield
    from django.utils import translation

    translation.deactivate()
