"""Catalog maintenance for ``palstm_core.i18n`` (Babel, imported only here):

    python -m palstm_core.i18n_tools extract    # the msgids of the code -> palstm_core/locale/palstm.pot
    python -m palstm_core.i18n_tools update     # merge them into every <lang>/LC_MESSAGES/palstm.po
    python -m palstm_core.i18n_tools compile    # .po -> .mo (committed; the app loads the .mo)
    python -m palstm_core.i18n_tools check      # untranslated or fuzzy entries, stale .mo: exit 1

Sources: ``app.py``, ``pages/`` and ``palstm_core/``; keywords ``_``, ``N_``, ``ngettext``
(Babel's defaults). Catalogs are written unwrapped and sorted by msgid, so diffs stay small.
"""
from __future__ import annotations

import io
from pathlib import Path

from .i18n import DOMAIN, LANGUAGES, LOCALE_DIR, reload

ROOT = LOCALE_DIR.parent.parent
SOURCES = ("app.py", "pages", "palstm_core")
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def source_files() -> list[Path]:
    files = []
    for s in SOURCES:
        p = ROOT / s
        files += [p] if p.is_file() else sorted(p.rglob("*.py"))
    return [f for f in files if "locale" not in f.parts]


def extract():
    """A Babel ``Catalog`` of every msgid in the sources, with locations."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
    cat = Catalog(project="PA-LSTM Explorer", charset="utf-8")
    for path in source_files():
        rel = path.relative_to(ROOT).as_posix()
        for lineno, msg, comments, context in extract_from_file(
                "python", str(path), keywords=DEFAULT_KEYWORDS, comment_tags=("i18n:",),
                options={"encoding": "utf-8"}):
            cat.add(msg, None, [(rel, lineno)], auto_comments=comments, context=context)
    return cat


def read(lang: str):
    from babel.messages.pofile import read_po
    with open(po_path(lang), "rb") as f:
        return read_po(f, locale=lang, domain=DOMAIN)


def write(cat, path: Path) -> None:
    from babel.messages.pofile import write_po
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    write_po(buf, cat, width=0, sort_output=True, include_previous=False)
    path.write_bytes(buf.getvalue())


def update() -> None:
    """Merge the extracted msgids into every language's .po (new ones untranslated; ones that
    left the code are dropped)."""
    from datetime import datetime, timezone

    from babel.messages.catalog import Catalog
    template = extract()
    template.creation_date = datetime(2026, 12, 1, tzinfo=timezone.utc)
    write(template, TEMPLATE)
    for lang in LANGUAGES:
        if lang == "en":
            continue
        path = po_path(lang)
        cat = read(lang) if path.exists() else Catalog(locale=lang, domain=DOMAIN)
        cat.update(template, no_fuzzy_matching=True)
        cat.obsolete.clear()
        _header(cat, lang)
        write(cat, path)


def _header(cat, lang: str) -> None:
    """A fixed header (no dates that change on every update)."""
    from datetime import datetime, timezone
    when = datetime(2026, 12, 1, tzinfo=timezone.utc)
    cat.header_comment = (f"# {LANGUAGES[lang]} catalog of PA-LSTM Explorer.\n"
                          "# python -m palstm_core.i18n_tools update, then compile.")
    cat.project, cat.version, cat.fuzzy = "PA-LSTM Explorer", "1", False
    cat.msgid_bugs_address = cat.last_translator = ""
    cat.language_team = LANGUAGES[lang]
    cat.creation_date = cat.revision_date = when


def mo_bytes(lang: str) -> bytes:
    from babel.messages.mofile import write_mo
    buf = io.BytesIO()
    write_mo(buf, read(lang))
    return buf.getvalue()


def compile_all() -> None:
    for lang in LANGUAGES:
        if lang != "en":
            po_path(lang).with_suffix(".mo").write_bytes(mo_bytes(lang))
    reload()


def problems(lang: str) -> list[str]:
    """Msgids of the code without a (non-fuzzy) translation, and a stale .mo."""
    cat = read(lang)
    out = []
    for m in extract():
        if not m.id:
            continue
        t = cat.get(m.id)
        text = t.string if t is not None else None
        if isinstance(text, tuple):
            text = text[0]
        if t is None or not text or t.fuzzy:
            first = m.id[0] if isinstance(m.id, tuple) else m.id
            where = ", ".join(f"{f}:{n}" for f, n in m.locations[:2])
            out.append(f"{lang}: no translation for {first!r} ({where})")
    mo = po_path(lang).with_suffix(".mo")
    if not mo.exists() or mo.read_bytes() != mo_bytes(lang):
        out.append(f"{lang}: {mo.relative_to(ROOT)} is not the compiled .po: run "
                   "python -m palstm_core.i18n_tools compile")
    return out


def main(argv: list[str]) -> int:
    cmd = argv[0] if argv else "check"
    if cmd == "extract":
        write(extract(), TEMPLATE)
    elif cmd == "update":
        update()
    elif cmd == "compile":
        compile_all()
    elif cmd == "check":
        found = [p for lang in LANGUAGES if lang != "en" for p in problems(lang)]
        print("\n".join(found) or "catalogs complete")
        return 1 if found else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    import sys
    sys.exit(main(sys.argv[1:]))
