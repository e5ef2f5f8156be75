"""Computations behind the Learn page: small, live torch models that show what an LSTM cell,
a GRU cell and attention do, step by step. Plain functions returning numpy arrays and
DataFrames (no UI code, testable on their own), one module per topic:

    sequence   seq  = sample_sequence("urban", "speed", start=120, length=40)   # simulated data
    cell       lstm = next_value_model("lstm", seq.scaled, hidden=4, train_steps=150)
               tr   = lstm_trace(lstm.module, seq.scaled)   # every gate at every step, (T, H) each
    gradients  grad = gradient_by_step(lookback=60)         # ||dL/dx_t|| for RNN, LSTM, GRU
    attention  w    = dot_attention(query, keys), additive_attention(query, keys)
    planted    res  = planted_attention(cache=pc.ModelCache())  # DA-RNN vs PA-LSTM, known answer
    explanations  chk = attention_vs_attribution(cache=...)  # α vs relevance vs IG, scored
    decoder    dec  = decoder_demo(seq.scaled, lookback=12, steps=5, attention="luong")
                                  # seq2seq: which encoder steps each decoder step reads
    self_attention  sa = self_attention(seq.scaled[:16], heads=2)   # Q·K scores, softmax, heads
    conformal  demo = conformal_demo(level=0.9)   # split-conformal band, its coverage on a test part

torch's CPU thread count is not changed here: the caller (the app's job runner) sets it.
"""
from .attention import (AdditiveParams, additive_attention, additive_params, attention_keys,
                        attention_pooling, dot_attention, softmax)
from .cell import (GATE_NAMES, LSTM_GATES, RECURRENT, NextValueModel, build_recurrent,
                   cell_demo, cell_update_table, compare_table, gate_breakdown, gru_trace,
                   lstm_trace, next_value_model)
from .conformal import ConformalDemo, conformal_demo
from .decoder import DecoderDemo, decoder_demo
from .explanations import ExplanationCheck, attention_vs_attribution, explanation_verdict
from .gradients import gradient_by_step
from .planted import (MODEL_LABELS, PlantedResult, planted_attention, planted_summary,
                      planted_verdict, step_labels)
from .self_attention import SelfAttention, self_attention
from .sequence import Sequence, parse_values, sample_sequence, scale

__all__ = [
    "AdditiveParams", "ConformalDemo", "DecoderDemo", "conformal_demo", "ExplanationCheck", "SelfAttention", "decoder_demo",
    "self_attention", "GATE_NAMES", "LSTM_GATES", "MODEL_LABELS", "NextValueModel",
    "PlantedResult", "RECURRENT", "Sequence", "additive_attention", "additive_params",
    "attention_keys", "attention_pooling", "attention_vs_attribution", "build_recurrent", "cell_demo", "cell_update_table",
    "compare_table", "dot_attention", "explanation_verdict", "gate_breakdown", "gradient_by_step", "gru_trace",
    "lstm_trace", "next_value_model", "parse_values", "planted_attention", "planted_summary",
    "planted_verdict", "sample_sequence", "scale", "softmax", "step_labels",
]
