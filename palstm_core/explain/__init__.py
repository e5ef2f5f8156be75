"""Explaining a trained run: its attention maps, attributions for any model, and scores that
say how faithful a map is.

    attention.py     Attention (maps per window, aggregation for plots and reports)
    attribution.py   attribute, Attribution (Captum: integrated gradients, occlusion, ...)
    faithfulness.py  Faithfulness, faithfulness (deletion check of the feature attention)
    deletion.py      deletion_curve, DeletionCurve, planted_score (deletion curves vs random)
    agreement.py     relevance_agreement, RelevanceAgreement (relevance vs IG, which to trust)
"""
from .agreement import RelevanceAgreement, relevance_agreement
from .attention import Attention
from .attribution import Attribution, attribute
from .deletion import DeletionCurve, deletion_curve, planted_score
from .faithfulness import Faithfulness, faithfulness

__all__ = ["Attention", "Attribution", "DeletionCurve", "Faithfulness", "attribute",
           "deletion_curve", "faithfulness", "planted_score", "RelevanceAgreement",
           "relevance_agreement"]
