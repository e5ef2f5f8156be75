"""Sequence-to-sequence LSTM: an encoder over the lookback and an attention decoder that emits
one forecast step per decoder step.

Sutskever, Vinyals & Le, "Sequence to Sequence Learning with Neural Networks", NeurIPS 2014;
attention as in the seeds' 004 ("the decoder checks the encoder's outputs at every step", an
open-book test): Luong, Pham & Manning, "Effective Approaches to Attention-based Neural Machine
Translation", EMNLP 2015 (dot-product score) or Bahdanau, Cho & Bengio, "Neural Machine
Translation by Jointly Learning to Align and Translate", ICLR 2015 (additive score), chosen by
``TrainConfig.attention``. Teacher forcing: Williams & Zipser 1989; its decay over training as in
scheduled sampling (Bengio et al., NeurIPS 2015).

Shapes: x (B, L, F); encoder states h_1 … h_L (B, L, H); S decoder steps (``steps``).

  encoder           h_j, c_j = LSTM(x_j, (h_{j-1}, c_{j-1}));   (d_0, s_0) = (h_L, c_L)
  decoder step k = 1 … S, input u_k = [ŷ_{k-1}; h̃_{k-1}]   (ŷ_0 = the target at the newest
                    input step when its history is an input, else a learned start value;
                    h̃_0 = 0: Luong's input feeding)
    Luong (dot)     d_k, s_k = LSTMCell(u_k, (d_{k-1}, s_{k-1}))
                    e_kj = d_kᵀ h_j
    Bahdanau (add.) e_kj = vᵀ tanh(W_a d_{k-1} + U_a h_j)      (scored with the previous state)
                    d_k, s_k = LSTMCell(u_k, (d_{k-1}, s_{k-1}))
    both            a_kj = softmax_j(e_kj);   c_k = Σ_j a_kj h_j
                    h̃_k = tanh(W_c [c_k; d_k] + b_c);   ŷ_k = w_oᵀ h̃_k + b_o

Teacher forcing (training only): with probability ρ the previous step's input ŷ_{k-1} is the
true target y_{k-1} instead of the model's own forecast (drawn per window and step); ρ falls
linearly from ``TrainConfig.teacher_forcing`` in epoch 1 to 0 in the last epoch
(``set_epoch``). Validation and inference never see a target: the decoder reads its own output.
With one step (S = 1) there is nothing to force.

Maps. The decoder-step × encoder-step attention a (B, S, L) is given by
``attention_maps(x)["decoder"]``: row k = which encoder states step k (the forecast of
t+horizon+k−1) reads. ``ModelOutput.temporal`` (B, L) is its mean over the S decoder steps
(sums to 1; with one step it is a itself), the window's map for the whole forecast. As in
LSTM + attention pooling, a weighs encoder *states*, which mix all inputs up to step j, not the
inputs themselves: one attention weighs time here, never features and time together (004's
remark), so ``relevance`` is None (``palstm_core.attribution.attribute`` measures the inputs).
"""
from __future__ import annotations

import torch
from torch import nn

from .base import Forecaster, ModelOutput
from ..i18n import N_


class Seq2Seq(Forecaster):
    name = "seq2seq"
    description = N_("Seq2seq LSTM encoder–decoder with an attention decoder (Luong or Bahdanau)")
    has_temporal_attention = True
    teacher_forced = True

    def __init__(self, groups, lookback, hidden_size=32, target_index=None, steps=1,
                 attention="luong", teacher_forcing=0.5):
        super().__init__(groups, lookback, hidden_size, target_index, steps)
        if attention not in ("luong", "bahdanau"):
            raise ValueError(f"attention must be 'luong' or 'bahdanau', not {attention!r}")
        H = self.hidden_size
        self.attention, self.teacher_forcing = attention, float(teacher_forcing)
        self.ratio = self.teacher_forcing               # ρ of the current epoch (set_epoch)
        self.encoder = nn.LSTM(self.n_features, H, batch_first=True)
        self.decoder = nn.LSTMCell(1 + H, H)            # input [ŷ_{k-1}; h̃_{k-1}]
        if target_index is None:                        # ŷ_0 without the target's history
            self.start = nn.Parameter(torch.zeros(1))
        if attention == "bahdanau":
            self.W_a = nn.Linear(H, H, bias=False)
            self.U_a = nn.Linear(H, H)
            self.v_a = nn.Linear(H, 1, bias=False)
        self.W_c = nn.Linear(2 * H, H)
        self.out = nn.Linear(H, 1)

    def set_epoch(self, epoch: int, epochs: int) -> None:
        """Teacher-forcing share ρ for ``epoch`` (1-based) of ``epochs``: linear decay to 0."""
        self.ratio = self.teacher_forcing * (1 - (epoch - 1) / max(epochs - 1, 1))

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> ModelOutput:
        pred, att = self._decode(x, y)
        return ModelOutput(self.shaped(pred), temporal=att.mean(1))

    @torch.no_grad()
    def attention_maps(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """{"decoder": (B, S, L)}: decoder step × encoder step attention (no teacher forcing)."""
        return {"decoder": self._decode(x, None)[1]}

    def _score(self, d: torch.Tensor, enc: torch.Tensor, keys: torch.Tensor | None) -> torch.Tensor:
        if self.attention == "luong":
            return torch.bmm(enc, d[:, :, None]).squeeze(-1)                 # d_kᵀ h_j
        return self.v_a(torch.tanh(self.W_a(d)[:, None] + keys)).squeeze(-1)  # vᵀ tanh(…)

    def _decode(self, x: torch.Tensor, y: torch.Tensor | None, forced: torch.Tensor | None = None):
        """Forecasts (B, S) and attention (B, S, L). ``y`` (B, S) or (B,): true targets, used
        for teacher forcing in training mode; ``forced`` (B, S) bool overrides the coin flips."""
        B = len(x)
        enc, (h, c) = self.encoder(x)                                       # (B, L, H)
        d, s = h[0], c[0]
        keys = self.U_a(enc) if self.attention == "bahdanau" else None
        prev = (x[:, -1, self.target_index, None] if self.target_index is not None
                else self.start.to(x.dtype).expand(B, 1))                   # ŷ_0 (B, 1)
        h_tilde = x.new_zeros(B, self.hidden_size)
        if y is not None and y.dim() == 1:
            y = y[:, None]
        force = None
        if y is not None and self.steps > 1 and (forced is not None or (self.training and self.ratio > 0)):
            force = forced if forced is not None else torch.rand(B, self.steps, device=x.device) < self.ratio
        preds, atts = [], []
        for k in range(self.steps):
            if k and force is not None:                                     # teacher forcing
                prev = torch.where(force[:, k, None], y[:, k - 1, None].to(prev.dtype), prev)
            if self.attention == "bahdanau":
                e = self._score(d, enc, keys)
                d, s = self.decoder(torch.cat([prev, h_tilde], 1), (d, s))
            else:
                d, s = self.decoder(torch.cat([prev, h_tilde], 1), (d, s))
                e = self._score(d, enc, keys)
            a = torch.softmax(e, dim=-1)                                    # (B, L)
            context = torch.bmm(a[:, None], enc).squeeze(1)                 # c_k (B, H)
            h_tilde = torch.tanh(self.W_c(torch.cat([context, d], 1)))
            prev = self.out(h_tilde)                                        # ŷ_k (B, 1)
            preds.append(prev)
            atts.append(a)
        return torch.cat(preds, 1), torch.stack(atts, 1)
