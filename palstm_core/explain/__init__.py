"""Explaining a trained run: its attention maps and how faithful they are.

    attention.py     Attention (maps per window, aggregation for plots and reports)
    faithfulness.py  Faithfulness, faithfulness (deletion check of the feature attention)
"""
from .attention import Attention
from .faithfulness import Faithfulness, faithfulness

__all__ = ["Attention", "Faithfulness", "faithfulness"]
