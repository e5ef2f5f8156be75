"""``Attention`` (what ``TrainedRun.explain`` returns) and ``long_table``, the one builder of the
long (time, lag, feature, value) tables. They live in ``training.attention`` so that training
never imports ``explain`` (explain builds on training, not the other way round)."""
from ..training.attention import Attention, long_table

__all__ = ["Attention", "long_table"]
