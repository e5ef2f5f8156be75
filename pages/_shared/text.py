"""The translation functions of the pages, taken from ``palstm_core``'s public ``i18n`` (pages
import ``palstm_core``'s public names only): ``_`` for a sentence, ``N_`` to mark a label that is
translated where it is shown, ``ngettext`` for counted words, ``tr`` to translate a marked label
or a ``Msg`` the core returned."""
from palstm_core import i18n

_, N_, ngettext, tr = i18n._, i18n.N_, i18n.ngettext, i18n.tr

__all__ = ["_", "N_", "ngettext", "tr"]
