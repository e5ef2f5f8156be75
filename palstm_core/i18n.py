"""The one translation layer: English source strings, gettext catalogs for the other languages.

    from palstm_core.i18n import _, N_, ngettext, tr
    _("Loaded: {label}", label=ds.label)       # -> a ``Msg`` (a str) in the current language
    ngettext("{n} trained run", "{n} trained runs", n)
    LABELS = {"x": N_("speed")}; tr(LABELS["x"])   # marked now, translated when shown

Design (issue 21):

* **Standard gettext catalogs.** The source strings (msgids) are the English text. Catalogs
  live in ``palstm_core/locale/<lang>/LC_MESSAGES/palstm.po``, extracted and compiled with
  Babel (``python -m palstm_core.i18n_tools extract|update|compile|check``). The compiled ``.mo``
  files are committed next to the ``.po`` (a fresh ``pip install -r requirements.txt`` runs
  the app with no build step); ``tests/test_i18n.py`` fails when a ``.mo`` differs from its
  ``.po`` or a msgid has no translation. Loading uses only the stdlib ``gettext``.
* **Named placeholders.** Messages carry ``{name}`` fields (with format specs, e.g.
  ``{rmse:.3g}``) filled by ``str.format`` *after* translation, so Korean can reorder them.
  A message without fields is never formatted, so braces in LaTeX stay as they are.
* **The current language** is, in this order: the context variable set with ``language()``
  / ``set_language()`` (background jobs set it for their thread), the resolver the UI
  registers with ``set_resolver`` (the dashboard reads the session's choice, so fragment
  reruns and every page agree), else English. The core never imports streamlit; the CLI never
  sets a language, so it stays English whatever ``PALSTM_LANG`` says.
* **Messages that outlive the moment** (a Dataset's report lines, made when a file is loaded)
  are ``Msg`` objects: a ``str`` holding the text in the language of the moment, plus its
  msgid and fields, so ``tr(line)`` shows it again in the language chosen later.
* ``missing()`` lists the msgids looked up in a non-English language without a translation
  (the page tests assert it stays empty).
"""
from __future__ import annotations

import contextlib
import contextvars
import gettext
import os
from collections.abc import Callable
from pathlib import Path

DOMAIN = "palstm"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = {"en": "English", "ko": "한국어"}
DEFAULT = "en"

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("palstm_lang",
                                                                      default=None)
_resolver: Callable[[], str | None] | None = None
_catalogs: dict[str, gettext.NullTranslations] = {}
_missing: set[str] = set()


def normalize(lang: str | None) -> str | None:
    """'ko', 'ko-KR', 'ko_KR.UTF-8', 'KO' -> 'ko'; unknown or empty -> None."""
    if not lang:
        return None
    code = str(lang).strip().replace("-", "_").split("_")[0].split(".")[0].lower()
    return code if code in LANGUAGES else None


def env_language() -> str | None:
    """$PALSTM_LANG (en, ko), or None when unset or unknown."""
    return normalize(os.environ.get("PALSTM_LANG"))


def set_resolver(fn: Callable[[], str | None] | None) -> None:
    """Where ``current()`` asks when no language is set in this context (the dashboard's
    session choice). ``fn`` returns a language code or None; it must not raise."""
    global _resolver
    _resolver = fn


def set_language(lang: str | None) -> contextvars.Token:
    """Set this context's language (None: back to the resolver/default)."""
    return _current.set(normalize(lang))


@contextlib.contextmanager
def language(lang: str | None):
    """``with language("ko"): ...`` — messages made inside are Korean."""
    token = set_language(lang)
    try:
        yield
    finally:
        _current.reset(token)


def current() -> str:
    lang = _current.get()
    if lang is None and _resolver is not None:
        lang = normalize(_resolver())
    return lang or DEFAULT


def catalog(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of ``lang`` (English: the identity), loaded once."""
    if lang not in _catalogs:
        if lang == DEFAULT:
            _catalogs[lang] = gettext.NullTranslations()
        else:
            _catalogs[lang] = gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang],
                                                  fallback=True)
    return _catalogs[lang]


def reload() -> None:
    """Forget the loaded catalogs (after ``compile``)."""
    _catalogs.clear()


def _lookup(msgid: str, lang: str, plural: str | None = None, n: int = 1) -> str:
    cat = catalog(lang)
    if lang == DEFAULT:
        return msgid if plural is None or n == 1 else plural
    if plural is None:
        text = cat.gettext(msgid)
        if text == msgid and msgid and msgid not in getattr(cat, "_catalog", {}):
            _missing.add(msgid)
        return text
    text = cat.ngettext(msgid, plural, n)
    if text in (msgid, plural) and (msgid, 0) not in getattr(cat, "_catalog", {}):
        _missing.add(msgid)
    return text


class Msg(str):
    """A translated message (a plain ``str`` to every caller) that remembers its msgid and
    fields, so ``tr`` can show it in another language later. Pickles and JSON-encodes as
    text."""

    msgid: str
    fields: dict
    plural: str | None
    n: int

    def __new__(cls, text: str, msgid: str | None = None, fields: dict | None = None,
                plural: str | None = None, n: int = 1):
        self = super().__new__(cls, text)
        self.msgid = text if msgid is None else msgid
        self.fields = dict(fields or {})
        self.plural, self.n = plural, n
        return self

    def __getnewargs__(self):
        return (str(self), self.msgid, self.fields, self.plural, self.n)

    def render(self, lang: str | None = None) -> str:
        """This message in ``lang`` (default: the current language)."""
        return _render(self.msgid, self.fields, lang or current(), self.plural, self.n)


def _render(msgid: str, fields: dict, lang: str, plural: str | None = None, n: int = 1) -> str:
    text = _lookup(msgid, lang, plural, n)
    if not fields:
        return text
    fields = {k: v.render(lang) if isinstance(v, Msg) else v for k, v in fields.items()}
    try:
        return text.format(**fields)
    except (KeyError, IndexError, ValueError):      # a broken translation: the English text
        return (msgid if plural is None or n == 1 else plural).format(**fields)


def _(msgid: str, **fields) -> Msg:
    """``msgid`` in the current language, its ``{name}`` fields filled from ``fields``."""
    return Msg(_render(msgid, fields, current()), msgid, fields)


def ngettext(singular: str, plural: str, n: int, **fields) -> Msg:
    """Singular or plural form for ``n`` (``n`` is also a field: ``{n}``)."""
    fields = {"n": n, **fields}
    return Msg(_render(singular, fields, current(), plural, n), singular, fields, plural, n)


def N_(msgid: str) -> str:
    """Mark ``msgid`` for extraction without translating it now (module-level constants);
    ``tr`` translates it where it is shown."""
    return msgid


def tr(text, lang: str | None = None, quiet: bool = False) -> str:
    """A ``Msg`` in ``lang`` (default: current), a plain string looked up in the catalog
    (``N_`` constants), anything else as ``str``. ``quiet``: a plain string that is not a
    msgid (a sensor name, a formula) is not logged as missing."""
    lang = normalize(lang) or current()
    if isinstance(text, Msg):
        return text.render(lang)
    if isinstance(text, str):
        if quiet and not has_translation(text, lang):
            return text
        return _lookup(text, lang) if text else text
    return str(text)


def missing() -> set[str]:
    """Msgids looked up in a non-English language that have no translation (since the last
    ``clear_missing``)."""
    return set(_missing)


def clear_missing() -> None:
    _missing.clear()


def has_translation(msgid: str, lang: str = "ko") -> bool:
    if lang == DEFAULT:
        return True
    cat = catalog(lang)
    return msgid in getattr(cat, "_catalog", {}) or (msgid, 0) in getattr(cat, "_catalog", {})

