"""Explaining a trained run: its attention maps, attributions for any model, and scores that
say how faithful a map is.

    attention.py     Attention (maps per window, aggregation for plots and reports)
    attribution.py   attribute, Attribution (Captum: integrated gradients, occlusion, ...)
    faithfulness.py  Faithfulness, faithfulness (deletion check of the feature attention)
    deletion.py      deletion_curve, DeletionCurve, planted_score (deletion curves vs random)
    maps.py          named maps of a run (available_maps, window_map, part_maps), map_frame,
                     shares, agreement (what the pages and the CLI use)
"""
from .attention import Attention
from .attribution import Attribution, attribute
from .deletion import DeletionCurve, deletion_curve, planted_score
from .faithfulness import Faithfulness, faithfulness
from .maps import (DISAGREE, MAP_LABELS, SHORT, Agreement, agreement, available_maps, default_map,
                   map_frame, part_maps, shares, window_map)

__all__ = ["Agreement", "Attention", "Attribution", "DISAGREE", "DeletionCurve", "Faithfulness",
           "MAP_LABELS", "SHORT", "agreement", "attribute", "available_maps", "default_map",
           "deletion_curve", "faithfulness", "map_frame", "part_maps", "planted_score", "shares",
           "window_map"]
