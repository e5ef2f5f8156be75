"""Grouped input-attention LSTM encoder: DA-RNN's (G = 1). PA-LSTM used it with G groups until
issue 20; its branches now have a state-free feature attention and fused LSTMs (pa_lstm.py).

For every group g and step t (x^k ∈ R^L is feature k's whole lookback, x^k_t its value at t):

    e^k_t = v_gᵀ tanh(W_g [h^g_{t-1}; c^g_{t-1}] + U_g x^k + b_k)     k in group g
    α^k_t = softmax over the group's features of e^k_t
    (h^g_t, c^g_t) = LSTM_g((α^k_t x^k_t)_k, (h^g_{t-1}, c^g_{t-1}))

b_k is a learned vector per feature (DA-RNN uses one shared bias; with b_k the attention can
learn which sensor matters, not only which series shape).

Implementation (speed; the function is the one above):
- all branches advance together. Groups are padded to the widest group (padded inputs get a
  -inf score, so α = 0 there) and every per-group product is one batched matmul over the group
  dimension, so a time step costs a fixed handful of kernels whatever G is;
- U_g x^k + b_k does not depend on t and is computed once, before the recurrence;
- one matmul per step maps [h; 1] to both the attention term W_g,h h and the recurrent gate
  term W_hh h + b; small ones add W_g,c c and the attended input's gate term;
- the recurrence is a custom ``torch.autograd.Function`` (``_Recurrence``) with a hand-written
  backward (BPTT): the forward writes every step into preallocated buffers without recording an
  autograd graph, and the backward runs ~11 fused kernels per step instead of autograd's ~45;
  the weight gradients of all steps are then formed by one batched matmul each. On CUDA the
  recurrence runs in float32 even under bf16 autocast (tiny matmuls gain nothing from bf16,
  and the state accumulates).
The naive reference (a Python loop over groups inside a loop over time, plain autograd) is
``palstm_core.bench.NaiveInputAttentionEncoder``; tests check both give the same values and
gradients.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn


def _uniform(*shape: int, fan_in: int) -> nn.Parameter:
    bound = 1.0 / math.sqrt(fan_in)
    return nn.Parameter(torch.empty(*shape).uniform_(-bound, bound))


def _softmax_backward(grad: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    try:
        return torch._softmax_backward_data(grad, out, -1, out.dtype)
    except (AttributeError, RuntimeError, TypeError):     # private op: plain formula as fallback
        return out * (grad - (grad * out).sum(-1, keepdim=True))


def _custom_fwd(fn):
    amp = getattr(torch, "amp", None)
    if amp is not None and hasattr(amp, "custom_fwd"):
        return amp.custom_fwd(device_type="cuda", cast_inputs=torch.float32)(fn)
    return fn


def _custom_bwd(fn):
    amp = getattr(torch, "amp", None)
    if amp is not None and hasattr(amp, "custom_bwd"):
        return amp.custom_bwd(device_type="cuda")(fn)
    return fn


def _sigmoid_bwd(grad, out, into):
    return torch.ops.aten.sigmoid_backward.grad_input(grad, out, grad_input=into)


def _tanh_bwd(grad, out, into):
    return torch.ops.aten.tanh_backward.grad_input(grad, out, grad_input=into)


def _recurrence_forward(S, X, W_h, W_c, v, W_ih, mask_bias, H):
    """The recurrence without autograd.

    S (G, B, K, A)  U x^k + b_k;  X (L, G, B, K) inputs per step;
    W_h (G, H+1, A+4H) maps [h; 1] to [W_g,h h | W_hh h + b];  W_c (G, H, A) maps c to W_g,c c;
    v (G, A, 1);  W_ih (G, K, 4H);  mask_bias (G, B*K, 1): -inf at padded columns, or None.
    Returns the buffers: HC (G, L+1, B, 2H+1) states [h; 1; c] before each step,
    Z (G, L, B, K, A) the tanh of the scores, ALPHA (G, L, B, K), XT (G, L, B, K) attended
    inputs, ACT (G, L, B, 4H) gate activations, TC (G, L, B, H) tanh(c_t).
    """
    L, G, B, K = X.shape
    A = S.shape[-1]
    new = S.new_empty
    HC = new(G, L + 1, B, 2 * H + 1)
    HC[:, 0].zero_()
    HC[..., H] = 1.0
    Z = new(G, L, B, K, A)
    ALPHA = new(G, L, B, K)
    XT = new(G, L, B, K)
    ACT = new(G, L, B, 4 * H)
    TC = new(G, L, B, H)
    for t in range(L):
        hc = HC[:, t]
        proj = torch.bmm(hc[..., :H + 1], W_h)                            # (G, B, A+4H)
        att = torch.baddbmm(proj[..., :A], hc[..., H + 1:], W_c)          # (G, B, A)
        z = Z[:, t]
        torch.add(S, att[:, :, None, :], out=z)
        z.tanh_()
        zf = z.view(G, B * K, A)
        e = torch.bmm(zf, v) if mask_bias is None else torch.baddbmm(mask_bias, zf, v)
        alpha = ALPHA[:, t]
        torch.softmax(e.view(G, B, K), dim=-1, out=alpha) if _SOFTMAX_OUT else alpha.copy_(
            torch.softmax(e.view(G, B, K), dim=-1))
        xt = XT[:, t]
        torch.mul(alpha, X[t], out=xt)
        gates = torch.baddbmm(proj[..., A:], xt, W_ih)                   # (G, B, 4H)
        act = ACT[:, t]
        torch.sigmoid(gates, out=act)
        torch.tanh(gates[..., 2 * H:3 * H], out=act[..., 2 * H:3 * H])
        nxt = HC[:, t + 1]
        c_new = nxt[..., H + 1:]
        torch.mul(act[..., H:2 * H], hc[..., H + 1:], out=c_new)          # f ⊙ c
        c_new.addcmul_(act[..., :H], act[..., 2 * H:3 * H])              # + i ⊙ g
        tc = TC[:, t]
        torch.tanh(c_new, out=tc)
        torch.mul(act[..., 3 * H:], tc, out=nxt[..., :H])                 # h = o ⊙ tanh(c)
    return HC, Z, ALPHA, XT, ACT, TC


def _softmax_out_supported() -> bool:
    try:
        x = torch.zeros(2, 3)
        torch.softmax(x, dim=-1, out=x[:, :3])
        return True
    except TypeError:
        return False


_SOFTMAX_OUT = _softmax_out_supported()


class _Recurrence(torch.autograd.Function):
    """(S, X, W_h, W_c, v, W_ih) -> (hidden states (G, L, B, H), alpha (G, L, B, K))."""

    @staticmethod
    @_custom_fwd
    def forward(ctx, S, X, W_h, W_c, v, W_ih, mask_bias, H):
        HC, Z, ALPHA, XT, ACT, TC = _recurrence_forward(S, X, W_h, W_c, v, W_ih, mask_bias, H)
        ctx.H = H
        ctx.save_for_backward(X, W_h, W_c, v, W_ih, HC, Z, ALPHA, XT, ACT, TC)
        return HC[:, 1:, :, :H], ALPHA

    @staticmethod
    @_custom_bwd
    @torch.autograd.function.once_differentiable
    def backward(ctx, dHs, dAlpha):
        X, W_h, W_c, v, W_ih, HC, Z, ALPHA, XT, ACT, TC = ctx.saved_tensors
        H = ctx.H
        G, L, B, K, A = Z.shape
        P = A + 4 * H
        # step-independent factors, formed for all steps at once (fused aten backward kernels)
        i, f, g, o = ACT.chunk(4, dim=-1)
        Q = torch.empty_like(ACT)                       # d gates_pre = [dc, dc, dc, dh] ⊙ Q
        qi, qf, qg, qo = Q.chunk(4, dim=-1)
        _sigmoid_bwd(g, i, qi)
        _sigmoid_bwd(HC[:, :L, :, H + 1:], f, qf)
        _tanh_bwd(i, g, qg)
        _sigmoid_bwd(TC, o, qo)
        OT = _tanh_bwd(o, TC, torch.empty_like(TC))    # dh -> dc through h = o tanh(c)
        DP = Z.new_empty(G, L, B, P)                    # [d att term | d gates_pre] per step
        DE = Z.new_empty(G, L, B, K)
        U = Z.new_empty(G, B, K, A)
        dS = Z.new_zeros(G, B, K, A)
        need_x = ctx.needs_input_grad[1]
        dX = torch.empty_like(X) if need_x else None
        W_hT = W_h.transpose(1, 2)
        W_cT = W_c.transpose(1, 2)
        W_ihT = W_ih.transpose(1, 2)
        vb = v.view(G, 1, 1, A)
        dh_carry = Z.new_zeros(G, B, H)
        dc_carry = Z.new_zeros(G, B, H)
        for t in range(L - 1, -1, -1):
            dh = dh_carry if dHs is None else dh_carry + dHs[:, t]
            dc = torch.addcmul(dc_carry, dh, OT[:, t])
            dg = DP[:, t, :, A:]
            torch.mul(Q[:, t].view(G, B, 4, H)[:, :, :3], dc[:, :, None],
                      out=dg.view(G, B, 4, H)[:, :, :3])
            torch.mul(Q[:, t, :, 3 * H:], dh, out=dg[..., 3 * H:])
            dxt = torch.bmm(dg, W_ihT)                                    # (G, B, K)
            alpha = ALPHA[:, t]
            if need_x:
                torch.mul(dxt, alpha, out=dX[t])
            dal = dxt.mul_(X[t]) if dAlpha is None else torch.addcmul(dAlpha[:, t], dxt, X[t])
            de = DE[:, t]
            de.copy_(_softmax_backward(dal, alpha))
            torch.mul(de[..., None], vb, out=U)
            dpre = _tanh_bwd(U, Z[:, t], U)                                # (G, B, K, A)
            dS.add_(dpre)
            dpa = DP[:, t, :, :A]
            torch.sum(dpre, dim=2, out=dpa)
            dh_carry = torch.bmm(DP[:, t], W_hT)[..., :H]                  # (G, B, H)
            dc_carry = torch.baddbmm(torch.mul(dc, ACT[:, t, :, H:2 * H]), dpa, W_cT)
        DPf = DP.view(G, L * B, P)
        HCf = HC[:, :L].reshape(G, L * B, -1)
        dW_h = torch.bmm(HCf[..., :H + 1].transpose(1, 2), DPf)
        dW_c = torch.bmm(HCf[..., H + 1:].transpose(1, 2), DPf[..., :A])
        dW_ih = torch.bmm(XT.view(G, L * B, K).transpose(1, 2), DPf[..., A:])
        dv = torch.bmm(Z.view(G, L * B * K, A).transpose(1, 2), DE.view(G, L * B * K, 1))
        return dS, dX, dW_h, dW_c, dv, dW_ih, None, None


class ParallelInputAttentionEncoder(nn.Module):
    """G LSTM branches, each with input attention over its own columns, advanced in lockstep.

    forward(x: (B, L, F)) -> (states (B, L, G, H), alpha (B, L, F)).
    With G = 1 this is exactly DA-RNN's encoder.
    """

    def __init__(self, groups: Sequence[Sequence[int]], lookback: int, hidden_size: int,
                 attention_size: int | None = None):
        super().__init__()
        G, L, H = len(groups), lookback, hidden_size
        K = max(len(g) for g in groups)                    # widest group
        A = attention_size or hidden_size
        self.G, self.K, self.L, self.H, self.A = G, K, L, H, A
        index = torch.zeros(G, K, dtype=torch.long)
        mask = torch.zeros(G, K, dtype=torch.bool)
        for g, cols in enumerate(groups):
            index[g, :len(cols)] = torch.tensor(cols)
            mask[g, :len(cols)] = True
        self.padded = not bool(mask.all())
        self.register_buffer("index", index, persistent=False)            # (G, K) column ids
        self.register_buffer("mask", mask, persistent=False)              # (G, K) real column?
        # column j of x sits at flat position order[j] of the (G*K) padded layout
        order = torch.empty(sum(len(g) for g in groups), dtype=torch.long)
        order[index[mask]] = torch.arange(G * K).view(G, K)[mask]
        self.register_buffer("order", order, persistent=False)

        self.W_att = _uniform(G, 2 * H, A, fan_in=2 * H)    # W_g on [h; c]
        self.U_att = _uniform(G, L, A, fan_in=L)            # U_g on the series x^k
        self.b_att = _uniform(G, 1, K, A, fan_in=A)         # b_k, one vector per feature
        self.v_att = _uniform(G, A, fan_in=A)               # v_g
        self.W_ih = _uniform(G, K, 4 * H, fan_in=H)         # LSTM input weights  (i, f, g, o)
        self.W_hh = _uniform(G, H, 4 * H, fan_in=H)         # LSTM recurrent weights
        self.b = nn.Parameter(torch.zeros(G, 1, 4 * H))
        with torch.no_grad():
            self.b[..., H:2 * H] = 1.0                      # forget-gate bias 1 (Jozefowicz 2015)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        B, L, _ = x.shape
        G, K, H, A = self.G, self.K, self.H, self.A
        xg = x[:, :, self.index]                                            # (B, L, G, K)
        if self.padded:
            xg = xg * self.mask
        xg = xg.permute(2, 0, 3, 1)                                         # (G, B, K, L)
        S = torch.matmul(xg, self.U_att[:, None]) + self.b_att              # (G, B, K, A)
        X = xg.permute(3, 0, 1, 2).contiguous()                             # (L, G, B, K)
        # [h; 1] -> [W_g,h h | W_hh h + b];  c -> W_g,c c   (W_g = [W_g,h; W_g,c])
        W_h = torch.cat([torch.cat([self.W_att[:, :H], self.W_hh], 2),
                         torch.cat([self.W_att.new_zeros(G, 1, A), self.b], 2)], 1)
        W_c = self.W_att[:, H:]
        mask_bias = None
        if self.padded:
            mask_bias = torch.zeros(G, K, dtype=S.dtype, device=S.device)
            mask_bias = mask_bias.masked_fill(~self.mask, float("-inf"))
            mask_bias = mask_bias[:, None].expand(G, B, K).reshape(G, B * K, 1)
        v = self.v_att[..., None]                                           # (G, A, 1)
        if torch.is_grad_enabled() and (S.requires_grad or W_h.requires_grad):
            hs, alpha = _Recurrence.apply(S, X, W_h, W_c, v, self.W_ih, mask_bias, H)
        else:
            dt = torch.float32 if S.dtype in (torch.bfloat16, torch.float16) else S.dtype
            with torch.autocast(S.device.type, enabled=False):
                hs, _, alpha, *_ = _recurrence_forward(
                    S.to(dt), X.to(dt), W_h.to(dt), W_c.to(dt), v.to(dt), self.W_ih.to(dt),
                    None if mask_bias is None else mask_bias.to(dt), H)
                hs = hs[:, 1:, :, :H]
        states = hs.permute(2, 1, 0, 3)                                     # (B, L, G, H)
        alpha = alpha.permute(2, 1, 0, 3).reshape(B, L, G * K)
        return states, alpha[..., self.order]                               # (B, L, F)
