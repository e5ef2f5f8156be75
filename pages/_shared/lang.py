"""The dashboard's language: the session's choice, the sidebar switch and the translated page
links. Strings themselves go through ``palstm_core.i18n`` (``_``); this module only decides
which language that is for the session.

Default, once per session: $PALSTM_LANG (en, ko), else the browser's language
(``st.context.locale``, navigator.language, e.g. "ko-KR"), else English. The choice is kept
in ``st.session_state["lang"]`` (lifetime: all pages of the session); the sidebar radio is
only a view of it, so the choice survives page changes (Streamlit drops the state of widgets
a page does not draw). The core reads it through ``i18n.set_resolver``, so fragment reruns
and every page agree without each call passing it around.
"""
from __future__ import annotations

import re

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from palstm_core import i18n
from pages._shared.text import _

from .keys import Language

LANG_KEY = str(Language.lang)        # the chosen language code (lifetime: the session)
PICK = Language.lang_pick            # the sidebar radio, re-set from LANG_KEY on every run

# Page links in the sidebar (Streamlit's own page list shows untranslatable file names, so
# .streamlit/config.toml hides it): path, English label (msgid), icon.
NAV = [("app.py", i18n.N_("Home"), ":material/home:"),
       ("pages/1_Data.py", i18n.N_("1 · Data"), ":material/folder_open:"),
       ("pages/2_Sensor_groups.py", i18n.N_("2 · Sensor groups"), ":material/category:"),
       ("pages/3_Train.py", i18n.N_("3 · Train"), ":material/model_training:"),
       ("pages/4_Results.py", i18n.N_("4 · Results"), ":material/monitoring:"),
       ("pages/5_Downloads.py", i18n.N_("Downloads"), ":material/download:"),
       ("pages/6_Learn.py", i18n.N_("Learn"), ":material/school:")]


def _session_language() -> str | None:
    """The session's language inside a script run (any thread Streamlit runs the page in);
    None elsewhere (background jobs carry their own)."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    try:
        return Language.lang.get()
    except Exception:  # noqa: BLE001 - no session (bare mode): the default language
        return None


i18n.set_resolver(_session_language)


def browser_language() -> str | None:
    try:
        return i18n.normalize(st.context.locale)
    except Exception:  # noqa: BLE001 - no browser context (AppTest, bare mode)
        return None


def init_language() -> str:
    """The session's language, chosen once: $PALSTM_LANG, the browser, English."""
    if i18n.normalize(Language.lang.get()) is None:
        Language.lang.set(i18n.env_language() or browser_language() or i18n.DEFAULT)
    return Language.lang.get()


def _picked() -> None:
    Language.lang.set(PICK.get())


def language_switch() -> None:
    """The sidebar switch (its label in both languages, so either reader finds it) and the
    page links in the session's language."""
    PICK.set(init_language())
    with st.sidebar:
        st.radio("언어 · Language", list(i18n.LANGUAGES), key=str(PICK), horizontal=True,
                 format_func=i18n.LANGUAGES.get, on_change=_picked)
        if _runs_the_app():
            for path, label, icon in NAV:
                st.page_link(path, label=i18n.tr(label), icon=icon)


def _runs_the_app() -> bool:
    """Whether the session runs app.py with its pages/ (a page run on its own, as some tests
    do, has no other pages to link to)."""
    ctx = get_script_run_ctx(suppress_warning=True)
    return ctx is not None and str(ctx.main_script_path).endswith("app.py")


def fmt(func=None):
    """A widget's ``format_func`` that shows options in the language of this page run
    (default: ``i18n.tr`` of the option). Streamlit's test harness calls format functions
    outside the script run, where the session's language is not known."""
    lang = i18n.current()
    func = func or i18n.tr

    def format_option(value):
        with i18n.language(lang):
            return str(func(value))
    return format_option


def headers(frame, config: dict | None = None) -> dict:
    """A ``column_config`` that shows ``frame``'s column names in the session's language;
    the data keeps its English column names (the tests, the CSV downloads and the code that
    reads the table use them). Columns that are not msgids (sensor names) stay as they are."""
    config = dict(config or {})
    for c in frame.columns:
        label = i18n.tr(str(c), quiet=True)
        if label == str(c):
            continue
        cfg = config.get(c)
        config[c] = (st.column_config.Column(label=label) if cfg is None else
                     {**cfg, "label": cfg.get("label") or label} if isinstance(cfg, dict) else cfg)
    return config


def localized(frame):
    """A copy of ``frame`` for display: column names, index labels and text cells that are
    msgids in the session's language (numbers, sensor names and formulas as they are)."""
    def tr(v):
        return i18n.tr(v, quiet=True) if isinstance(v, str) else v
    out = frame.rename(columns=tr, index=tr)
    out.index.name = tr(out.index.name)
    for c in out.select_dtypes("object").columns:
        out[c] = out[c].map(tr)
    return out


def device_label(name: str) -> str:
    """``pc.device_name()`` for the page ("CPU (2 threads)" in the session's language)."""
    m = re.fullmatch(r"CPU \((\d+) threads\)", name)
    return _("CPU ({n} threads)", n=int(m.group(1))) if m else name


def first_upper(text: str) -> str:
    """``text`` with its first letter upper-case (``str.capitalize`` would lower-case the
    rest, e.g. "Captum" inside a translation)."""
    return text[:1].upper() + text[1:]


def page_setup(title: str, icon: str | None = None) -> None:
    """First call of every page: the language, the page config (browser-tab title
    "<title> · PA-LSTM Explorer" in the session's language) and the sidebar."""
    init_language()
    full = "PA-LSTM Explorer" if title == "PA-LSTM Explorer" else _(
        "{page} · PA-LSTM Explorer", page=i18n.tr(title))
    st.set_page_config(page_title=full, page_icon=icon, layout="wide")
    language_switch()
