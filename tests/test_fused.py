"""The fused SGD step against the autograd reference: the same losses and the same weights."""
import copy

import pytest
import torch

from rectifier.fused import FusedStep
from rectifier.model import MLP
from rectifier.train import AutogradStep

# (activation, sign trick, hidden sizes): every activation, the trick on and off, one to four
# hidden layers of unequal widths (NORB's two layers narrow from 4000 to 2000).
NETWORKS = [("rectifier", True, (24, 16, 12)), ("rectifier", False, (24, 16, 12)),
            ("tanh", False, (24, 16, 12)), ("softplus", False, (24, 16, 12)),
            ("sigmoid", False, (24, 16, 12)), ("rectifier", True, (40, 20)),
            ("tanh", False, (30,)), ("softplus", False, (16, 16, 16, 16)),
            ("softplus_a3", False, (24, 16, 12))]
N_IN, N_OUT, LR = 20, 5, 0.1


def data(n, scale=1.0, dtype=torch.float64, seed=0, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    return (scale * torch.randn(n, N_IN, generator=g, dtype=dtype).to(device),
            torch.randint(0, N_OUT, (n,), generator=g).to(device))


def pair(activation, signs, hidden, dtype, device="cpu"):
    model = MLP(N_IN, hidden, N_OUT, activation, signs, torch.Generator().manual_seed(1))
    model = model.to(device=device, dtype=dtype)
    return model, copy.deepcopy(model)


def minibatches(steps, x):
    """`steps` random minibatches of 10, the last partial (3 examples)."""
    g = torch.Generator().manual_seed(2)
    for i in range(steps):
        idx = torch.randperm(len(x), generator=g)[:3 if i == steps - 1 else 10]
        yield idx


def train_both(activation, signs, hidden, l1, steps, dtype=torch.float64, scale=1.0, lr=LR,
               device="cpu"):
    reference, fused = pair(activation, signs, hidden, dtype, device)
    autograd_step, fused_step = AutogradStep(reference, lr, l1), FusedStep(fused, lr, l1)
    x, y = data(200, scale, dtype, device=device)
    sums = []
    for idx in minibatches(steps, x):
        sums.append((autograd_step(x[idx], y[idx]) / len(idx), fused_step(x[idx], y[idx]) / len(idx)))
    return reference, fused, sums


def max_difference(a: MLP, b: MLP) -> float:
    return max(float((p - q).abs().max()) for p, q in zip(a.state_dict().values(),
                                                          b.state_dict().values()))


@pytest.mark.parametrize("steps", [1, 50])
@pytest.mark.parametrize("l1", [0.0, 0.001, 0.05])
@pytest.mark.parametrize("activation,signs,hidden", NETWORKS)
def test_fused_equals_autograd_in_float64(activation, signs, hidden, l1, steps):
    reference, fused, sums = train_both(activation, signs, hidden, l1, steps)
    assert max_difference(reference, fused) <= 1e-10
    untrained = pair(activation, signs, hidden, torch.float64)[0]
    assert max_difference(reference, untrained) > 1e-3   # equal is not "both unchanged"
    for ours, theirs in sums:    # each step's mean NLL, L1 term and error rate
        assert torch.allclose(ours, theirs, rtol=0, atol=1e-10), (ours, theirs)
    if l1:
        assert all(s[0][1] > 0 for s in sums)


def test_softplus_beyond_its_linear_threshold():
    """torch's softplus is the identity above 20, and so is its slope: inputs scaled so that
    some pre-activations pass it."""
    model = MLP(N_IN, (24,), N_OUT, "softplus", False, torch.Generator().manual_seed(1)).double()
    x, _ = data(200, scale=40.0)
    assert (model.hidden[0](x) > 20).any()
    reference, fused, sums = train_both("softplus", False, (24,), 0.001, 20, scale=40.0, lr=1e-3)
    assert max_difference(reference, fused) <= 1e-10
    assert all(torch.allclose(ours, theirs, rtol=1e-12, atol=0) for ours, theirs in sums)


@pytest.mark.parametrize("activation,signs,hidden", NETWORKS[:5])
def test_fused_agrees_with_autograd_in_float32(activation, signs, hidden):
    """Rounding differs (another order of operations), so float32 agrees to a tolerance:
    after 50 steps at rate 0.1, every weight within 1e-5 of the reference's."""
    reference, fused, sums = train_both(activation, signs, hidden, 0.001, 50, torch.float32)
    assert max_difference(reference, fused) <= 1e-5
    for ours, theirs in sums:
        assert torch.allclose(ours, theirs, rtol=1e-5, atol=1e-5)


# (activation, reconstruction unit, cost, clipped code, input range, signs): every auto-encoder
# that rectifier.pretrain builds; signs "in" and "out" as a signed rectifier stack's upper layers
# (they read signed codes), "out" as its first layer (it reads the inputs).
AUTO_ENCODERS = [("rectifier", "softplus", "squared_error", False, (0, 3), ""),
                 ("rectifier", "softplus", "squared_error", False, (0, 3), "out"),
                 ("rectifier", "softplus", "squared_error", False, (0, 3), "in out"),
                 ("rectifier", "sigmoid", "cross_entropy", True, (0, 1), ""),
                 ("rectifier", "sigmoid", "cross_entropy", True, (0, 1), "in out"),
                 # (inputs up to 3 at rate 0.1 make this one chaotic: rounding grows to 1e-9)
                 ("softplus", "softplus", "squared_error", False, (0, 2), ""),
                 ("sigmoid", "sigmoid", "cross_entropy", False, (0, 1), ""),
                 ("tanh", "sigmoid", "cross_entropy", False, (0, 1), ""),
                 ("tanh", "tanh", "squared_error", False, (-1, 1), "")]


def train_auto_encoders(activation, unit, cost, clip, span, signs, l1, steps,
                        dtype=torch.float64, lr=LR):
    from rectifier.activations import sign_pattern
    from rectifier.fused import FusedDenoisingStep
    from rectifier.pretrain import AutogradDenoisingStep, DenoisingAutoEncoder
    signs_in = sign_pattern(N_IN).to(dtype) if "in" in signs else None
    signs_out = sign_pattern(16).to(dtype) if "out" in signs else None
    reference = DenoisingAutoEncoder(N_IN, 16, activation, unit, cost, clip,
                                     torch.Generator().manual_seed(1), signs_in,
                                     signs_out).to(dtype)
    fused = copy.deepcopy(reference)
    g = torch.Generator().manual_seed(3)
    lo, hi = span
    clean = lo + (hi - lo) * torch.rand(200, N_IN, generator=g, dtype=dtype)
    if signs_in is not None:     # a signed code: the layer below's signs applied
        clean = clean * signs_in
    corrupted = clean * (torch.rand(clean.shape, generator=g) >= 0.25)
    steps_ = AutogradDenoisingStep(reference, lr, l1), FusedDenoisingStep(fused, lr, l1)
    sums = []
    for idx in minibatches(steps, clean):
        sums.append([step(corrupted[idx], clean[idx]) / len(idx) for step in steps_])
    return reference, fused, sums, corrupted


@pytest.mark.parametrize("steps", [1, 50])
@pytest.mark.parametrize("l1", [0.0, 0.001, 0.05])
@pytest.mark.parametrize("activation,unit,cost,clip,span,signs", AUTO_ENCODERS)
def test_fused_auto_encoder_equals_autograd_in_float64(activation, unit, cost, clip, span, signs,
                                                       l1, steps):
    reference, fused, sums, x = train_auto_encoders(activation, unit, cost, clip, span, signs,
                                                    l1, steps)
    assert max_difference(reference, fused) <= 1e-10
    for ours, theirs in sums:    # each step's mean reconstruction cost and L1 term
        assert torch.allclose(ours, theirs, rtol=0, atol=1e-10), (ours, theirs)
    if clip and not signs:       # the clipped code's mask was exercised
        assert (reference.encoder(x) > 1).any()


def test_fused_auto_encoder_agrees_with_autograd_in_float32():
    """Within 1e-5 after 50 steps at rate 0.01. (At 0.1 the squared-error auto-encoders on
    inputs up to 3 move their weights by ~10 in 50 steps, and float32 rounding grows with them.)"""
    for case in AUTO_ENCODERS:
        reference, fused, sums, _ = train_auto_encoders(*case, 0.001, 50, torch.float32, lr=0.01)
        assert max_difference(reference, fused) <= 1e-5, case
