"""Plain (Elman) RNN baseline with tanh, the "vanilla RNN" of the seeds (``../shared/seeds/``
003: a latent autoregressive model whose hidden state summarises the past).

Elman, "Finding structure in time", Cognitive Science 14(2), 1990. Trained, like every model
here, by backpropagation through time over the whole lookback (no truncation: a window is
short). Shapes: x (B, L, F) -> states (B, L, H) -> ŷ (B,) or (B, S).

    h_t = tanh(W_x x_t + W_h h_{t-1} + b_h)        h_0 = 0
    ŷ   = wᵀ h_L + b                               (last hidden state → linear head)
    steps S > 1: ŷ = W h_L + b ∈ R^S

BPTT: ∂h_t/∂h_i = Π_{j=i+1..t} diag(1 − h_j²) W_h, a product of L − i Jacobians that shrinks or
grows geometrically with the distance (vanishing / exploding gradients), which is why the LSTM
and GRU add gates; gradients are clipped (``TrainConfig.grad_clip``). No attention.
"""
from __future__ import annotations

from torch import nn

from .lstm import LSTM
from ..i18n import N_


class RNN(LSTM):
    name = "rnn"
    description = N_("Plain (Elman) RNN with tanh, last hidden state → linear head (no attention)")
    rnn_class = nn.RNN                      # nonlinearity="tanh" is nn.RNN's default
