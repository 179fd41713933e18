"""The committed translation catalogues (issue 11): each compiled ``.mo`` holds exactly its
``.po``'s translations, placeholders survive translation, and the core catalogue is read by
:mod:`gvhdtrial.i18n` in the language asked for."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gvhdtrial import i18n
from gvhdtrial.i18n_build import catalogue_files, mo_mismatches, translations

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w*\}|%[sd]")


def test_both_catalogues_are_committed() -> None:
    names = {p.relative_to(i18n.PACKAGE).as_posix() for p in catalogue_files()}
    assert names == {
        "locale/zh_Hans/LC_MESSAGES/gvhdtrial.po",
        "web/locale/zh_Hans/LC_MESSAGES/django.po",
    }


@pytest.mark.parametrize("po", catalogue_files(), ids=lambda p: p.parent.parent.parent.parent.name)
def test_the_committed_mo_matches_its_po(po) -> None:  # type: ignore[no-untyped-def]
    assert mo_mismatches(po) == [], "run `python -m gvhdtrial.i18n_build compile`"


@pytest.mark.parametrize("po", catalogue_files(), ids=lambda p: p.parent.parent.parent.parent.name)
def test_translations_keep_every_placeholder(po) -> None:  # type: ignore[no-untyped-def]
    bad = {}
    for msgid, msgstr in translations(po).items():
        source = msgid if isinstance(msgid, str) else msgid[-1]
        target = msgstr if isinstance(msgstr, str) else msgstr[0]
        if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(target)):
            bad[source] = target
    assert not bad


def test_the_language_is_chosen_by_a_block_and_restored_after_it() -> None:
    before = i18n.current()  # en, or the language Django has active in this thread
    with i18n.language("zh"):
        assert i18n.current() == "zh"
        assert i18n.gettext("Complete response") in ("Complete response", "完全缓解")
        assert i18n.gettext("Patient identifier") == "患者编号"
        with i18n.language("en"):
            assert i18n.current() == "en"
            assert i18n.gettext("Patient identifier") == "Patient identifier"
        assert i18n.current() == "zh"
    assert i18n.current() == before
    with pytest.raises(ValueError, match="expected one of en, zh"), i18n.language("fr"):
        pass
    assert i18n.check_language("zh-hans") == i18n.check_language("zh_Hans") == "zh"
    assert i18n.normalize("en-gb") == "en"


def test_a_stored_english_finding_is_shown_in_the_readers_language() -> None:
    """Edit-check findings are stored in English (the record); a Chinese reader sees the
    catalogue's translation of the message they were made from, with the same values (and a
    value the catalogue knows translated too); text made from no message stays as it is."""
    stored = "grade 5 AE 'Fever' but no death event"
    with i18n.language("zh"):
        assert i18n.translate_text(stored) == "5 级 AE“发热”，但无死亡事件"
        assert (
            i18n.translate_text("infusion 9 but 8 planned (day-28 response not confirmed)")
            == "第 9 次输注，但计划为 8 次（第 28 天疗效 未确认）"
        )
        assert i18n.translate_text("I1 age 13-70") == "I1 age 13-70"  # not a whole message
        assert i18n.translate_text("age 13-70") == "年龄 13-70 岁"  # a criterion, {name} style
        assert i18n.translate_text("Please check the source") == "Please check the source"
    assert i18n.translate_text(stored) == stored  # English: unchanged


def test_keep_order_puts_the_committed_messages_first_in_their_order_and_new_ones_after(
    tmp_path: Path,
) -> None:
    """``make messages`` (makemessages reorders the file) keeps the committed order of the
    pages' catalogue, appends new messages, drops vanished ones and keeps the header."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    from gvhdtrial.i18n_build import keep_order

    def po(path: Path, items: list[tuple[str, str]], comment: str) -> Path:
        cat = Catalog(locale="zh_Hans", header_comment=comment)
        for msgid, msgstr in items:
            cat.add(msgid, msgstr)
        with path.open("wb") as fh:
            write_po(fh, cat, sort_output=False)
        return path

    before = po(tmp_path / "before.po", [("Zebra", "斑马"), ("Apple", "苹果"), ("Gone", "走了")],
                "# committed header")  # fmt: skip
    made = po(tmp_path / "django.po", [("Apple", "苹果"), ("New", ""), ("Zebra", "斑马")],
              "# makemessages header")  # fmt: skip
    keep_order(made, before)
    with made.open("rb") as fh:
        cat = read_po(fh)
    assert [(m.id, m.string) for m in cat if m.id] == [
        ("Zebra", "斑马"), ("Apple", "苹果"), ("New", "")]  # fmt: skip
    assert made.read_text(encoding="utf-8").startswith("# committed header")
