"""The fused SGD steps: the paper's network, and its denoising auto-encoders, trained without
autograd.

One minibatch step of plain SGD on the mean negative log-likelihood plus the L1 activation
penalty, written by hand: the forward pass keeps each layer's input, pre-activation and code; the
backward pass walks down the layers and, as soon as a layer's gradient is known and its input's
gradient has been taken through the old weights, updates that layer in place with one `addmm_`
(W <- W - lr g^T a) and one `add_` for the bias. No autograd graph, no gradient tensors kept, no
optimiser pass: at minibatch 10 those cost more than the arithmetic (see benchmarks/train_step.py).

Each computes what its autograd reference computes (train.AutogradStep,
pretrain.AutogradDenoisingStep): loss, gradients, update; tests/test_fused.py holds them equal to
1e-10 in float64. Plain tensor code: it runs on any device.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .activations import derivative
from .model import MLP


class FusedStep:
    """`step(x, y)` trains `model` in place on one minibatch and returns the minibatch's summed
    NLL, summed L1 term and error count (a float64 tensor on the model's device)."""

    def __init__(self, model: MLP, lr: float, l1: float):
        self.lr, self.l1 = lr, l1
        self.hidden = [(layer.weight.data, layer.bias.data) for layer in model.hidden]
        self.output = (model.output.weight.data, model.output.bias.data)
        self.act, self.slope = model.act, derivative(model.activation_name)
        self.signs = [model.signs(i) for i in range(len(model.hidden))]

    @torch.no_grad()
    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        n, lr = len(x), self.lr
        # Forward: keep what the backward pass needs.
        inputs, pre, codes = [], [], []
        a = x
        for (w, b), signs in zip(self.hidden, self.signs):
            z = torch.addmm(b, a, w.t())
            h = self.act(z)
            inputs.append(a)
            pre.append(z)
            codes.append(h)
            a = h * signs if signs is not None else h
        w, b = self.output
        logits = torch.addmm(b, a, w.t())
        log_p = torch.log_softmax(logits, dim=1)
        target = y.unsqueeze(1)
        nll = -log_p.gather(1, target).sum()
        # d(mean NLL)/d(logits) = (softmax - one-hot) / n
        g = log_p.exp_().scatter_add_(1, target, torch.full_like(target, -1, dtype=x.dtype))
        g.div_(n)
        # Backward, updating each layer once its input's gradient has used the old weights.
        g_a = g @ w
        w.addmm_(g.t(), a, alpha=-lr)
        b.add_(g.sum(0), alpha=-lr)
        l1_sum = x.new_zeros(())
        for k in reversed(range(len(self.hidden))):
            w, b = self.hidden[k]
            h, signs = codes[k], self.signs[k]
            g_h = g_a * signs if signs is not None else g_a
            if self.l1:
                # d(l1 * mean_n sum_units |h|)/dh = l1 * sign(h) / n
                g_h.add_(torch.sign(h), alpha=self.l1 / n)
                l1_sum += h.abs().sum()
            g_z = g_h.mul_(self.slope(pre[k], h))
            if k:
                g_a = g_z @ w
            w.addmm_(g_z.t(), inputs[k], alpha=-lr)
            b.add_(g_z.sum(0), alpha=-lr)
        errors = (logits.argmax(1) != y).sum()
        return torch.stack((nll.double(), (self.l1 * l1_sum).double(), errors.double()))


# d(unit)/d(pre-activation) of a reconstruction unit, from the pre-activation and the unit's value.
UNIT_SLOPES = {"softplus": derivative("softplus"), "tanh": derivative("tanh")}


class FusedDenoisingStep:
    """One SGD step of a tied-weight denoising auto-encoder (rectifier.pretrain), by hand:
    code = act(W x~ + b), reconstruction = unit((s_out code) W + c) against s_in x, cost summed
    over inputs and averaged over examples, plus the L1 penalty on the clean input's code. The
    tied W takes the encoder's, the decoder's and the penalty's gradients by in-place `addmm_`.
    Returns the summed cost and summed L1 term."""

    def __init__(self, dae, lr: float, l1: float):
        self.lr, self.l1 = lr, l1
        self.w, self.b = dae.encoder.weight.data, dae.encoder.bias.data
        self.c = dae.decoder_bias.data
        self.act, self.slope = dae.act, derivative(dae.activation_name)
        self.cost, self.clip_code, self.unit = dae.cost, dae.clip_code, dae.unit
        self.signs_in, self.signs_out = dae.signs_in, dae.signs_out

    def _encode(self, x: torch.Tensor):
        """Pre-activation, activation and code (clipped to 1 in the text recipe)."""
        z = torch.addmm(self.b, x, self.w.t())
        h = self.act(z)
        return z, h, (h.clamp(max=1.0) if self.clip_code else h)

    def _through_code(self, g_code: torch.Tensor, z, h) -> torch.Tensor:
        """d/dz from d/dcode: the clamp passes the gradient where h <= 1, then the slope."""
        if self.clip_code:
            g_code.mul_(h <= 1.0)
        return g_code.mul_(self.slope(z, h))

    @torch.no_grad()
    def __call__(self, corrupted: torch.Tensor, clean: torch.Tensor) -> torch.Tensor:
        n, lr, w = len(clean), self.lr, self.w
        z, h, code = self._encode(corrupted)
        signed = code * self.signs_out if self.signs_out is not None else code
        pre = torch.addmm(self.c, signed, w)
        target = clean * self.signs_in if self.signs_in is not None else clean
        if self.cost == "cross_entropy":      # sigmoid units
            cost = F.binary_cross_entropy_with_logits(pre, target, reduction="sum")
            g_pre = torch.sigmoid(pre).sub_(target)
        else:                                 # squared error of softplus or tanh units
            out = F.softplus(pre) if self.unit == "softplus" else torch.tanh(pre)
            error = out - target
            cost = (error * error).sum()
            g_pre = error.mul_(2).mul_(UNIT_SLOPES[self.unit](pre, out))
        g_pre.div_(n)
        g_code = g_pre @ w.t()                # through the old W, before the update
        if self.signs_out is not None:
            g_code.mul_(self.signs_out)
        g_z = self._through_code(g_code, z, h)
        l1_sum = code.new_zeros(())
        if self.l1:                           # the penalty sits on the clean input's code
            z_c, h_c, code_c = self._encode(clean)
            l1_sum = code_c.abs().sum()
            g_zc = self._through_code(torch.sign(code_c).mul_(self.l1 / n), z_c, h_c)
            w.addmm_(g_zc.t(), clean, alpha=-lr)
            self.b.add_(g_zc.sum(0), alpha=-lr)
        w.addmm_(g_z.t(), corrupted, alpha=-lr)        # the encoder's share
        w.addmm_(signed.t(), g_pre, alpha=-lr)         # the decoder's share
        self.b.add_(g_z.sum(0), alpha=-lr)
        self.c.add_(g_pre.sum(0), alpha=-lr)
        return torch.stack((cost.double(), (self.l1 * l1_sum).double()))
