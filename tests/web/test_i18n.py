"""Every page in English and Chinese (issue 11).

Every URL pattern is requested as every role (and anonymously) with real ids (the world of
``test_blinding_crawl``), in zh-Hans and in English. In the Chinese rendering every visible text
node (and the placeholder, title and button texts) is checked for Latin words: a word that is not
an allowed code, unit, proper name or part of an identifier (``PL0001``, ``capture.assessment:1``,
``bilirubin_unit``), or a value the test itself entered as data, is an untranslated string.
Recorded data shown verbatim (the audit trail's old and new values and reasons) sit in elements
marked ``translate="no"`` (the HTML attribute that tells translators to leave a text alone) and
are skipped. The English rendering must hold no Chinese outside the language switch, and no
blinded role's Chinese page may name an arm (the Chinese words too: the translation must not
leak what the English pages do not).
The untranslated strings found are listed (text, count, first URL) and written to
``artifacts/i18n/untranslated.txt``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from gvhdtrial.web.sites.models import user_language

from .conftest import Trial, screen
from .test_blinding_crawl import _web_urls, _world

ROLES = ("investigator", "pharmacist", "datamanager", "monitor", "statistician", "admin")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "i18n"

#: Latin words allowed in the Chinese pages: codes, abbreviations and units that Chinese
#: haematology writes in Latin letters (aGVHD, CR, MSC, mg/dL), proper names (of grading systems,
#: registries, software) and identifiers. Everything else must be translated.
ALLOWED = frozenset(
    """
    gvhdtrial GVHD aGVHD SR MSC MSCs CR PR NR PD VGPR ORR MAGIC IBMTR CIBMTR EBMT NIH REACH
    Glucksberg CTCAE MedDRA SAE SAEs AE AEs SUSAR CRF CRFs SDV BSA GI HSCT allo CMV EBV PBSC BM
    UCB AML ALL MDS CML CLL NHL MM HLA TBI MTX CNI ATG MMF CsA ID IDs API JSON CSV PDF HTML SVG
    PNG ZIP URL UTC SHA MOD CI OR HR SD IQR ITT PP FAS SAP KM mg dL mL kg µmol mmol ChiCTR BMC
    Jiang et al REDCap Chromium Excel BOM UTF QR OpenAPI docs schema openapi json api II III IV
    NYHA VOD SOS TA TMA DLI INR EB MPN mol DCR NRM OS FFS cGVHD CD min
    """.split()  # noqa: SIM905 (a word list reads better as text)
)
#: Values the crawl's world enters as data (free text typed by a user, demo user names, agents
#: and coded terms stored as entered), and the English name of the language switch.
DATA = (
    "Please check the source document",
    "crawl: response recorded early",
    "anaphylaxis, need allocation",
    "General disorders and administration site conditions",
    "Fever",
    "investigator2",
    "pharmacist2",
    "investigator",
    "pharmacist",
    "datamanager",
    "monitor",
    "statistician",
    "admin",
    "English",
    "crawl",  # an API token's label
)
#: A run of 2+ Latin letters that is not part of an identifier (next to a digit or underscore, or
#: joined to a word by "." or ":").
#: True while the translation is in progress (issue 11): untranslated strings are listed, not
#: failed; an arm named in a blinded role's Chinese page fails regardless.
PENDING = False
LATIN_WORD = re.compile(r"(?<![A-Za-z0-9_.:])[A-Za-zµ][A-Za-z]+(?![A-Za-z0-9_]|[.:]\w)")
ARM_WORDS_ZH = re.compile(r"安慰剂|对照组?|间充质干细胞|\bMSCs?\b|\bplacebo\b", re.IGNORECASE)
CJK = re.compile(r"[\u3400-\u9fff]")
#: Chinese text followed by an ASCII full stop or colon (GB/T 15834-2011: "。" and "："), e.g. a
#: sentence closed outside its translation or Django's form label suffix.
ASCII_STOP_AFTER_CHINESE = re.compile(r"[\u3400-\u9fff）]\s*[.:](?![\w.])")
VISIBLE_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")


class _VisibleText(HTMLParser):
    """Text nodes outside script/style, plus visible attribute texts and button values."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._hidden = 0
        self._skip_switch = 0
        self._verbatim: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("script", "style", "template"):
            self._hidden += 1
        if a.get("translate") == "no":
            self._verbatim.append(tag)
        if "language-switch" in (a.get("class") or ""):
            self._skip_switch += 1
        for name in VISIBLE_ATTRIBUTES:
            if a.get(name):
                self.texts.append(str(a[name]))
        if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
            self.texts.append(str(a["value"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1
        if self._verbatim and self._verbatim[-1] == tag:
            self._verbatim.pop()
        if tag == "form" and self._skip_switch:
            self._skip_switch -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and not self._skip_switch and not self._verbatim and data.strip():
            self.texts.append(" ".join(data.split()))


def visible_texts(html: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    return parser.texts


def untranslated(text: str) -> list[str]:
    """The Latin words of ``text`` that are neither allowed nor part of entered data."""
    for value in DATA:
        text = text.replace(value, " ")
    return [w for w in LATIN_WORD.findall(text) if w not in ALLOWED]


def _is_html(response: Any) -> bool:
    return not response.streaming and response.get("Content-Type", "").startswith("text/html")


def _client(trial: Trial, role: str | None, language: str) -> Client:
    client = trial.client(role) if role else Client()
    r = client.post("/language/", {"language": language, "next": "/"})
    assert r.status_code == 302
    return client


def _language_of(trial: Trial, name: str) -> str | None:
    from django.contrib.auth import get_user_model

    return user_language(get_user_model().objects.get(pk=trial.users[name].pk))


def crawl(trial: Trial, world: dict[str, list[str]], language: str) -> dict[str, dict[str, str]]:
    """{who: {url: html}} for every role and anonymous, every page, in ``language``."""
    pages: dict[str, dict[str, str]] = {}
    for role in (*ROLES, None):
        client = _client(trial, role, language)
        seen = pages.setdefault(role or "anonymous", {})
        for _name, url in _web_urls(world):
            r = client.get(url, follow=role is None)
            assert r.status_code < 500, (role, language, url, r.status_code)
            if _is_html(r):
                seen[url] = r.content.decode()
        seen["/login/"] = Client().get("/login/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    return pages


def _report(found: dict[str, list[str]]) -> str:
    lines = [f"{len(found)} untranslated texts in the zh-Hans pages:"]
    for text, urls in sorted(found.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        lines.append(f"  [{len(urls):3d}x, e.g. {urls[0]}] {text[:160]}")
    return "\n".join(lines)


@pytest.fixture
def world(trial: Trial) -> dict[str, list[str]]:
    return _world(trial)


def test_the_language_switch_is_kept_per_user_and_by_cookie(trial: Trial) -> None:
    client = _client(trial, "investigator", "zh-hans")
    assert _language_of(trial, "investigator") == "zh-hans"
    page = client.get("/patients/")
    assert page["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in page.content.decode()
    # a new session of the same user (another browser: no cookie) still gets Chinese
    other = trial.client("investigator")
    assert other.get("/patients/")["Content-Language"] == "zh-hans"
    # an anonymous visitor's choice is kept in the cookie; an unknown language changes nothing
    anonymous = _client(trial, None, "zh-hans")
    assert anonymous.get("/login/")["Content-Language"] == "zh-hans"
    anonymous.post("/language/", {"language": "xx", "next": "/"})
    assert anonymous.get("/login/")["Content-Language"] == "zh-hans"
    # Accept-Language of a Chinese browser without a choice
    assert Client().get("/login/", HTTP_ACCEPT_LANGUAGE="zh-CN")["Content-Language"] == "zh-hans"
    # ``next`` never leaves the site
    r = client.post("/language/", {"language": "en-gb", "next": "https://evil.example/"})
    assert r["Location"] == "/"
    assert _language_of(trial, "investigator") == "en-gb"


def test_dates_follow_the_page_language(trial: Trial) -> None:
    """Django's locale formats (en_GB, zh_Hans): the consent date 2024-01-02 as each reads it."""
    screen(trial)  # consent signed 2024-01-02 (conftest)
    zh = _client(trial, "investigator", "zh-hans").get("/patients/").content.decode()
    en = _client(trial, "monitor", "en-gb").get("/patients/").content.decode()
    assert "2024年1月2日" in zh and "2 Jan 2024" not in zh
    assert "2 Jan 2024" in en and "2024年1月2日" not in en


def test_the_scan_finds_an_untranslated_string() -> None:
    html = (
        "<p>患者</p><p>Screen a new patient</p><script>var x = 'Latin';</script>"
        '<input type="submit" value="Save"><p>CR · aGVHD · 5 mg/dL</p>'
        "<td>PL0001 capture.assessment:12 bilirubin_unit</td><td>No such patient.</td>"
        '<td translate="no">screening</td><p title="Close">关闭</p>'
    )
    found = {t: untranslated(t) for t in visible_texts(html)}
    assert {t for t, words in found.items() if words} == {
        "Screen a new patient",
        "Save",
        "No such patient.",
        "Close",
    }


def test_every_page_in_chinese_has_no_untranslated_string(
    trial: Trial, world: dict[str, list[str]]
) -> None:
    pages = crawl(trial, world, "zh-hans")
    found: dict[str, list[str]] = defaultdict(list)
    n = 0
    leaks = {}
    ascii_stops = {}
    for who, seen in pages.items():
        for url, html in seen.items():
            n += 1
            texts = visible_texts(html)
            if stop := ASCII_STOP_AFTER_CHINESE.search(" ".join(texts)):
                ascii_stops[f"{who} {url}"] = stop.string[max(0, stop.start() - 30) : stop.end()]
            if who != "statistician" and (arm := ARM_WORDS_ZH.search(" ".join(texts))):
                leaks[f"{who} {url}"] = arm.group(0)
            for text in texts:
                if untranslated(text):
                    found[text].append(f"{who} {url}")
    assert n > 150
    assert not leaks, f"a blinded role's Chinese page names an arm: {leaks}"
    assert not ascii_stops, f"Chinese text followed by an ASCII full stop or colon: {ascii_stops}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "untranslated.txt").write_text(_report(found) + "\n", encoding="utf-8")
    if found and PENDING:
        pytest.xfail(_report(found))
    assert not found, _report(found)


def test_every_page_in_english_has_no_chinese(trial: Trial, world: dict[str, list[str]]) -> None:
    pages = crawl(trial, world, "en-gb")
    chinese = {
        f"{who} {url}": text
        for who, seen in pages.items()
        for url, html in seen.items()
        for text in visible_texts(html)
        if CJK.search(text)
    }
    assert sum(len(s) for s in pages.values()) > 150
    assert not chinese, chinese


def test_notifications_and_emails_reach_each_user_in_their_language(
    trial: Trial, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """An emergency unblinding notifies the data manager, statistician, administrator and the
    site's investigators: each reads it in the language they chose (the in-app notification
    and the e-mail), and neither language names the arm."""
    from django.contrib.auth import get_user_model
    from django.core import mail

    from gvhdtrial.web.randomization.services import randomize
    from gvhdtrial.web.sites.models import set_user_language
    from gvhdtrial.web.unblinding.models import Notification
    from gvhdtrial.web.unblinding.services import emergency_unblind

    from .conftest import PASSWORD, screen

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    users = get_user_model().objects
    set_user_language(users.get(username="datamanager"), "zh-hans")
    set_user_language(users.get(username="admin"), "en-gb")
    patient = screen(trial)
    randomize(trial.actor("investigator"), patient.pk)
    with django_capture_on_commit_callbacks(execute=True):
        emergency_unblind(
            trial.actor("investigator"), patient.pk, "anaphylaxis, need arm", PASSWORD
        )
    zh = Notification.objects.get(recipient__username="datamanager")
    en = Notification.objects.get(recipient__username="admin")
    assert zh.subject == f"患者 {patient.code} 紧急揭盲"
    assert "本消息不包含分组信息" in zh.body
    assert en.subject == f"Emergency unblinding of patient {patient.code}"
    subjects = {m.subject: m.to for m in mail.outbox}
    assert ["datamanager@example.invalid"] in subjects.values()
    assert subjects[zh.subject] == ["datamanager@example.invalid"]
    for note in (zh, en):
        assert not ARM_WORDS_ZH.search(note.subject + note.body)


def test_the_excel_export_has_a_bom_and_a_chinese_reader_gets_a_chinese_readme(
    trial: Trial,
) -> None:
    """CSV in UTF-8 for Excel (issue 11): with the option every CSV starts with the UTF-8 byte
    order mark and is otherwise the same bytes; without it, no BOM (the folder stays
    byte-reproducible). A Chinese reader's download also holds the README in Chinese."""
    import io
    import zipfile

    screen(trial)

    def download(client: Client, **form: str) -> dict[str, bytes]:
        r = client.post("/exports/", form)
        assert r.status_code == 200
        z = zipfile.ZipFile(io.BytesIO(b"".join(r.streaming_content)))
        return {name.split("/", 1)[1]: z.read(name) for name in z.namelist()}

    plain = download(trial.client("datamanager"))
    excel = download(_client(trial, "datamanager", "zh-hans"), excel="1")
    bom = b"\xef\xbb\xbf"
    csvs = [n for n in plain if n.endswith(".csv")]
    assert csvs and not any(plain[n].startswith(bom) for n in csvs)
    for name in csvs:
        assert excel[name] == bom + plain[name]
    assert "README.zh-Hans.md" not in plain
    readme = excel["README.zh-Hans.md"].decode()
    assert readme.startswith("# 试验数据：") and "设盲（无组别列）" in readme
    assert excel["README.md"] == plain["README.md"]  # the folder's own README stays English
