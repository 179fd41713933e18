"""Build the translation catalogues (``make messages``): extract, merge, compile, check.

- ``extract``: the messages of the data model (table and field meanings, choice labels) and of
  every ``_``/``N_``/``gettext`` call outside ``gvhdtrial/web`` into
  ``gvhdtrial/locale/zh_Hans/LC_MESSAGES/gvhdtrial.po``, keeping the translations already there
  (the pages' catalogue is extracted by Django's ``makemessages``, which needs GNU gettext).
- ``compile``: every ``.po`` under both locale folders to its ``.mo`` with Babel.
- ``check``: fails when a committed ``.mo`` does not hold exactly its ``.po``'s translations, or
  when ``--complete`` is given and a message has no translation.
"""

from __future__ import annotations

import argparse
import gettext
import io
import json
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from gvhdtrial.i18n import DOMAIN, LANGUAGES, LOCALE_DIR, PACKAGE, WEB_LOCALE_DIR

KEYWORDS = {
    "_": None,
    "N_": None,
    "Msg": (1,),
    "gettext": None,
    "gettext_lazy": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
}
PO_WIDTH = 100


def po_path(lang: str = "zh", root: Path = LOCALE_DIR, domain: str = DOMAIN) -> Path:
    return root / LANGUAGES[lang] / "LC_MESSAGES" / f"{domain}.po"


def catalogue_files() -> list[Path]:
    """Every committed ``.po`` file of both catalogues."""
    return sorted(
        [*LOCALE_DIR.glob("*/LC_MESSAGES/*.po"), *WEB_LOCALE_DIR.glob("*/LC_MESSAGES/*.po")]
    )


def data_model_messages() -> Iterator[tuple[str, str]]:
    """(message, where) for every label the data model shows: table and field meanings and
    the labels of enum choices."""
    from gvhdtrial.data.model import TABLES, TRIAL_FIELDS

    for f in TRIAL_FIELDS:
        yield f.meaning, f"trial.{f.name}"
    for t in TABLES:
        yield t.meaning, t.name
        for f in t.fields:
            yield f.meaning, f"{t.name}.{f.name}"
            for code, label in f.choices.items():
                yield label, f"{t.name}.{f.name}={code}"


_LETTERS = re.compile(r"[A-Za-z]{2,}")
_IDENTIFIER = re.compile(r"^[\w.\[\]]*[_.\[][\w.\[\]]*$")  # ae_window_days, response_visits.D28


def _is_message(text: str) -> bool:
    return bool(_LETTERS.search(text)) and not _IDENTIFIER.match(text) and len(text) < 400


def report_messages(data: Path | None = None) -> Iterator[tuple[str, str]]:
    """(message, where) for the labels the report's tables print, found by building them from
    the synthetic reference trial (``data/reference``) unblinded and blinded: titles,
    subtitles, footnotes, column names, row labels (the first column and the group column) and
    the analysis notes. Numbers and identifiers are not messages."""
    import tempfile

    from gvhdtrial.analysis import analyse
    from gvhdtrial.data import load_trial
    from gvhdtrial.report import tables as t

    folder = data or PACKAGE.parent / "data" / "reference"
    with tempfile.TemporaryDirectory() as tmp:
        blinded = Path(tmp) / "blinded"
        shutil.copytree(folder, blinded)
        info = json.loads((blinded / "trial.json").read_text())
        info["blinded"] = True
        (blinded / "trial.json").write_text(json.dumps(info))
        rand = (blinded / "randomization.csv").read_text().splitlines()
        header = rand[0].split(",")
        if "arm" in header:
            i = header.index("arm")
            rows = [",".join(c for j, c in enumerate(r.split(",")) if j != i) for r in rand]
            (blinded / "randomization.csv").write_text("\n".join(rows) + "\n")
        runs = [analyse(load_trial(folder)), analyse(load_trial(blinded))]
    makers = (
        t.consort_table, t.table1, t.table2, t.table_s2, t.table_s4, t.survival_summary,
        t.table3, t.safety_summary, t.published_summary, t.configuration,
    )  # fmt: skip
    for results in runs:
        where = "report (blinded)" if results.blinded else "report"
        tables = [m(results) for m in makers] + list(t.posthoc_tables(results))
        for table in tables:
            # post-hoc titles are built from translated parts ("Univariable analysis: %(what)s")
            title = None if table.key.startswith("posthoc-") else table.title
            for text in (title, table.subtitle, table.footnote, *table.spanners):
                if text:
                    yield str(text), f"{where}: {table.key}"
            frame = table.frame
            labels = [str(c) for c in frame.columns]
            for col in {frame.columns[0], table.group_column} if len(frame.columns) else ():
                if col in frame.columns:
                    labels += [str(v) for v in frame[col].dropna().unique()]
            for text in labels:
                if _is_message(text.strip()):
                    yield text.strip(), f"{where}: {table.key}"
        for raw in (results.table2, results.safety_summary, results.table3):
            for c in raw.columns:
                if _is_message(str(c)):
                    yield str(c), f"{where}: raw table"
            for col in ("endpoint", "event", "group", "quantity", "arm", "population", "subgroup"):
                if col in raw.columns:
                    for v in raw[col].dropna().astype(str).unique():
                        if _is_message(v.strip()):
                            yield v.strip(), f"{where}: raw table"
        for note in results.notes:
            yield getattr(note, "template", str(note)), f"{where}: notes"


def template() -> Catalog:
    """The messages of the core catalogue (no translations)."""
    cat = Catalog(domain=DOMAIN, project="gvhdtrial", fuzzy=False)
    for message, where in data_model_messages():
        if message:
            cat.add(message, auto_comments=[f"data model: {where}"])
    for message, where in report_messages():
        if message and message not in cat:
            cat.add(message, auto_comments=[where])
    for filename, _lineno, message, comments, context in extract_from_dir(
        str(PACKAGE),
        method_map=[("web/**", "ignore"), ("**.py", "python")],
        keywords=KEYWORDS,
        comment_tags=("Translators:",),
        strip_comment_tags=True,
    ):
        cat.add(
            message,
            locations=[(f"gvhdtrial/{filename}", None)],
            auto_comments=comments,
            context=context,
        )
    return cat


def _write_po(cat: Catalog, path: Path, *, sort: bool = True) -> None:
    buf = io.BytesIO()
    write_po(buf, cat, width=PO_WIDTH, sort_output=sort, ignore_obsolete=True, include_lineno=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())


def extract() -> Path:
    """Merge the current messages into the zh catalogue, keeping existing translations."""
    path = po_path()
    tmpl = template()
    if path.exists():
        with path.open("rb") as fh:
            cat = read_po(fh, locale="zh_Hans_CN", domain=DOMAIN)
        cat.locale = "zh_Hans"  # type: ignore[assignment]
    else:
        cat = Catalog(locale="zh_Hans", domain=DOMAIN, project="gvhdtrial")
    cat.update(tmpl, no_fuzzy_matching=True, update_header_comment=False)
    cat.fuzzy = False
    cat.obsolete.clear()
    _write_po(cat, path)
    return path


def keep_order(path: Path, before: Path) -> Path:
    """Rewrite ``path`` (the pages' catalogue just made by ``makemessages``) in the order of its
    committed version ``before``: its messages first in their old order, new ones after, so a
    new string is a small diff, not a reshuffled file. Translations come from ``path`` (which
    ``makemessages`` merged from ``before``)."""
    with before.open("rb") as fh:
        old = read_po(fh, locale="zh_Hans")
    with path.open("rb") as fh:
        new = read_po(fh, locale="zh_Hans")
    rank = {m.id if not m.context else (m.context, m.id): i for i, m in enumerate(old) if m.id}
    out = old  # its header (comment, metadata) as committed; its messages replaced below
    for m in list(old):
        if m.id:
            out.delete(m.id, context=m.context)
    out.revision_date, out.creation_date = new.revision_date, new.creation_date
    end = len(rank)

    def key(m: Any) -> tuple[int, int]:
        k = m.id if not m.context else (m.context, m.id)
        k = tuple(k) if isinstance(k, list) else k
        return (rank.get(k, end), order[id(m)])

    messages = [m for m in new if m.id]
    order = {id(m): i for i, m in enumerate(messages)}
    for m in sorted(messages, key=key):
        out[m.id] = m  # (context messages keep theirs: the Message object is added as is)
    _write_po(out, path, sort=False)
    return path


def clear_fuzzy(path: Path) -> list[str]:
    """Empty the guesses ``msgmerge`` made (fuzzy entries) so they show as untranslated."""
    cat = _read(path)
    cleared = []
    for m in cat:
        if m.id and m.fuzzy:
            m.string = "" if isinstance(m.id, str) else ("",) * len(m.string)
            m.flags.discard("fuzzy")
            m.previous_id = []
            cleared.append(m.id if isinstance(m.id, str) else m.id[0])
    if cleared:
        _write_po(cat, path, sort=False)  # blanks guesses only: the order stays
    return cleared


def _read(path: Path) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh)


def compile_all() -> list[Path]:
    written = []
    for po in catalogue_files():
        cat = _read(po)
        buf = io.BytesIO()
        write_mo(buf, cat, use_fuzzy=False)
        mo = po.with_suffix(".mo")
        mo.write_bytes(buf.getvalue())
        written.append(mo)
    return written


def translations(po: Path) -> dict[str | tuple[str, ...], str | tuple[str, ...]]:
    """The non-fuzzy translated messages of a ``.po`` (msgid -> msgstr)."""
    out: dict[str | tuple[str, ...], str | tuple[str, ...]] = {}
    for m in _read(po):
        if not m.id or m.fuzzy:
            continue
        if isinstance(m.string, (tuple, list)):
            if all(m.string):
                out[tuple(m.id) if not m.context else (m.context, *m.id)] = tuple(m.string)
        elif m.string:
            out[m.id if not m.context else (m.context, m.id)] = m.string
    return out


def untranslated(po: Path) -> list[str]:
    """The messages of a ``.po`` without a (non-fuzzy) translation."""
    return [
        m.id if isinstance(m.id, str) else m.id[0]
        for m in _read(po)
        if m.id and (m.fuzzy or not m.string or (isinstance(m.string, tuple) and not all(m.string)))
    ]


def mo_mismatches(po: Path) -> list[str]:
    """How the committed ``.mo`` next to ``po`` differs from it (empty when it matches)."""
    mo = po.with_suffix(".mo")
    if not mo.exists():
        return [f"{mo} is missing"]
    with mo.open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)._catalog  # type: ignore[attr-defined]
    got: dict[str, str] = {k: v for k, v in compiled.items() if k != ""}
    want: dict[str, str] = {}
    for key, value in translations(po).items():
        if isinstance(key, tuple) and isinstance(value, tuple):  # plural
            msgid = key[0] if len(key) == 2 else f"{key[0]}\x04{key[1]}"
            for i, form in enumerate(value):
                want[(msgid, i)] = form  # type: ignore[index]
        elif isinstance(key, tuple):  # context
            want[f"{key[0]}\x04{key[1]}"] = str(value)
        else:
            want[key] = str(value)
    problems = [
        f"{mo.name}: {k!r} missing or different" for k, v in want.items() if got.get(k) != v
    ]
    problems += [f"{mo.name}: {k!r} is not in the .po" for k in got if k not in want]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("extract", "compile", "check"))
    parser.add_argument("--complete", action="store_true", help="check: every message translated")
    parser.add_argument(
        "--web-before", type=Path,
        help="extract: the pages' catalogue as committed (before makemessages), to keep its order",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.command == "extract":
        print(extract())
        if args.web_before is not None:
            print(keep_order(po_path(root=WEB_LOCALE_DIR, domain="django"), args.web_before))
        for po in catalogue_files():
            for msgid in clear_fuzzy(po):
                print(f"{po.name}: needs a translation: {msgid!r}")
        return 0
    if args.command == "compile":
        for mo in compile_all():
            print(mo)
        return 0
    problems = [p for po in catalogue_files() for p in mo_mismatches(po)]
    if args.complete:
        problems += [
            f"{po}: untranslated {m!r}" for po in catalogue_files() for m in untranslated(po)
        ]
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
