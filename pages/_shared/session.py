"""THE owner of session state: every key the app keeps in ``st.session_state`` is declared once,
in ``keys.py``, in the namespace of the page or concern that owns it, with its lifetime:

    PAGE     this page: a widget's value is dropped by Streamlit when its page is left; a plain
             value is dropped by ``enter_page`` when another page is opened
    SESSION  all pages: kept across page changes (a widget's value is re-assigned on every run,
             so Streamlit keeps it while the widget is not drawn)
    DATA     the loaded data: kept across page changes like SESSION, and dropped by the one
             ``forget_data()`` when new data is loaded

A page reads and writes state only through these keys: ``K = ui.keys.Results``, then
``st.slider(…, key=K.res_time)`` for a widget and ``K.res_time.get()`` / ``.set(v)`` /
``.pop()`` for its value. A key's attribute name is its session-state name (tests use them).
A ``prefix`` key stands for a family of widgets (``K.gname_.of(3)`` is ``gname_3``).
Element keys of charts and tables (``st.plotly_chart(key=…)``), which hold no state, stay
literal in the pages. ``tests/test_session.py`` walks every page and checks that nothing
undeclared is written.
"""
from __future__ import annotations

from collections import OrderedDict

import streamlit as st

PAGE, SESSION, DATA = "page", "session", "data"
MEMO_SIZE = 32          # memo entries kept per session (predictions/attention of a few runs)
UPLOAD_SIZE = 8         # parsed uploads kept per session (the PEMS/OBD files of a merge or two)


class Memo(OrderedDict):
    """A least-recently-used memo of at most ``size`` entries (oldest use dropped first): the
    per-session memo and the parsed uploads both use it."""

    def __init__(self, size: int = MEMO_SIZE):
        super().__init__()
        self.size = size

    def get_or_compute(self, key, compute):
        if key in self:
            self.move_to_end(key)
        else:
            self[key] = compute()
            while len(self) > self.size:
                self.popitem(last=False)
        return self[key]


class Key:
    """One declared session-state key (or widget-key prefix) and its lifetime."""

    def __init__(self, life: str = PAGE, widget: bool = False, prefix: bool = False,
                 doc: str = ""):
        assert life in (PAGE, SESSION, DATA), life
        self.life, self.widget, self.prefix, self.doc = life, widget, prefix, doc
        self.name, self.space = "", ""

    def __set_name__(self, owner, attr: str) -> None:
        self.name, self.space = attr, owner.__name__

    def __str__(self) -> str:             # what Streamlit's ``key=`` takes (``str(key)``)
        return self.name

    def __repr__(self) -> str:
        return f"<{self.space}.{self.name} {self.life}{' widget' if self.widget else ''}>"

    def of(self, suffix) -> Key:
        """The member ``prefix + suffix`` of a prefix key's family."""
        assert self.prefix, f"{self!r} is not a prefix"
        key = Key(self.life, self.widget, doc=self.doc)
        key.name, key.space = f"{self.name}{suffix}", self.space
        return key

    def matches(self, name: str) -> bool:
        return name.startswith(self.name) if self.prefix else name == self.name

    # ------------------------------------------------------------------ access
    def get(self, default=None):
        return st.session_state.get(self.name, default)

    def set(self, value):
        st.session_state[self.name] = value
        return value

    def setdefault(self, value):
        return st.session_state.setdefault(self.name, value)

    def pop(self, default=None):
        return st.session_state.pop(self.name, default)

    @property
    def present(self) -> bool:
        return self.name in st.session_state

    def memo(self, size: int) -> Memo:
        """The bounded ``Memo`` kept under this key (a fresh one when there is none)."""
        store = self.get()
        if not isinstance(store, Memo):
            store = self.set(Memo(size))
        return store


SPACES: list[type] = []


class Space:
    """A namespace of declared keys; subclasses register themselves in ``SPACES``."""

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        SPACES.append(cls)

    @classmethod
    def keys(cls) -> list[Key]:
        return [v for v in vars(cls).values() if isinstance(v, Key)]
