"""Explaining a trained run: its attention maps, attributions for any model, and scores that
say how faithful a map is.

    attention.py     Attention (maps per window, aggregation for plots and reports) and
                     long_table, the one builder of long tables (both from training.attention)
    attribution.py   attribute, Attribution (Captum: integrated gradients, occlusion, ...)
    faithfulness.py  Faithfulness, faithfulness (deletion check of the feature attention)
    deletion.py      deletion_curve, DeletionCurve, planted_score (deletion curves vs random)
    maps.py          named maps of a run: part_maps (the one name -> map dispatcher),
                     window_map, map_table, map_frame, available_maps, shares, agreement
    heads.py         model_maps (the transformer's heads, seq2seq's decoder × encoder map)
    scoring.py       removed_predictions, the one deletion scorer (curves and faithfulness)
    agreement.py     relevance_agreement, RelevanceAgreement (relevance vs IG, which to trust)

Everything here uses only the public members of ``TrainedRun`` (``inputs``, ``explain``,
``predict``, ``model``, ``scaler``, ...), for a Dataset or a Campaign alike.
"""
from .agreement import RelevanceAgreement, relevance_agreement
from .attention import Attention, long_table
from .attribution import Attribution, attribute
from .deletion import DeletionCurve, deletion_curve, planted_score
from .faithfulness import Faithfulness, faithfulness
from .heads import model_maps
from .maps import (DISAGREE, MAP_LABELS, MAP_NAMES, SHORT, Agreement, agreement, available_maps,
                   default_map, map_frame, map_table, part_maps, shares, window_map)

__all__ = ["Agreement", "Attention", "Attribution", "DISAGREE", "DeletionCurve", "Faithfulness",
           "MAP_LABELS", "MAP_NAMES", "RelevanceAgreement", "SHORT", "agreement", "attribute",
           "available_maps", "default_map", "deletion_curve", "faithfulness", "long_table",
           "map_frame", "map_table", "model_maps", "part_maps", "planted_score",
           "relevance_agreement", "shares", "window_map"]
