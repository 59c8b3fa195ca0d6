"""Activations, the sign trick, the L1 penalty and the sparsity measures, on known tensors."""
import math

import pytest
import torch

from rectifier.activations import ACTIVATIONS, activation, derivative, sign_pattern
from rectifier.model import MLP
from rectifier.names import sharpness
from rectifier.sparsity import LayerMeter, l1_penalty

H = torch.tensor([[0.0, 2.0, 0.0, 1.0],
                  [0.0, 0.0, 3.0, 1.0],
                  [0.0, 4.0, 0.0, 0.0]])


def test_activations_from_their_definitions():
    x = torch.tensor([-1.0, 0.0, 2.0], dtype=torch.float64)
    assert activation("rectifier")(x).tolist() == [0.0, 0.0, 2.0]       # exact zeros
    assert torch.allclose(activation("softplus")(x), torch.log1p(torch.exp(x)))
    assert torch.allclose(activation("sigmoid")(x), 1 / (1 + torch.exp(-x)))
    assert set(ACTIVATIONS) == {"rectifier", "tanh", "softplus", "sigmoid"}
    with pytest.raises(ValueError, match="unknown activation 'relu'"):
        activation("relu")


def test_the_scaled_softplus_is_softplus_at_1_and_nears_the_rectifier_as_a_grows():
    """(1/a) softplus(a x): exactly softplus at a = 1; its largest gap to max(0, x) is
    log(2)/a, at x = 0, so it tends to the rectifier."""
    x = torch.linspace(-40, 40, 8001, dtype=torch.float64)
    assert torch.equal(activation("softplus_a1")(x), activation("softplus")(x))
    assert torch.allclose(activation("softplus_a3")(x), torch.log1p(torch.exp(3 * x)) / 3)
    gaps = [(activation(f"softplus_a{a}")(x) - torch.relu(x)).abs().max().item()
            for a in (1, 3, 6, 100)]
    assert gaps == pytest.approx([math.log(2) / a for a in (1, 3, 6, 100)], rel=1e-12)
    assert sharpness("softplus_a0.5") == 0.5 and sharpness("tanh") is None
    with pytest.raises(ValueError, match="softplus_a<a>"):
        activation("softplus_a0")


@pytest.mark.parametrize("name", [*sorted(ACTIVATIONS), "softplus_a3", "softplus_a0.5"])
def test_each_derivative_is_autograds(name):
    """The fused step's slopes, against autograd's, softplus past its linear threshold too."""
    z = torch.linspace(-30, 30, 241, dtype=torch.float64).requires_grad_()
    h = activation(name)(z)
    h.sum().backward()
    assert torch.allclose(derivative(name)(z.detach(), h.detach()), z.grad, rtol=0, atol=1e-15)


def test_sign_pattern_flips_second_half():
    assert sign_pattern(5).tolist() == [1, 1, -1, -1, -1]


def test_l1_penalty_on_known_codes():
    # 0.1 x mean over examples of the summed |h| of both layers: (3 + 4 + 4) / 3 each
    assert l1_penalty([H, -H], 0.1).item() == pytest.approx(0.1 * 2 * 11 / 3)


def test_meter_over_batches_equals_whole():
    meter = LayerMeter()
    meter.update(H[:2])
    meter.update(H[2:])
    assert meter.result() == {"sparsity_pct": pytest.approx(700 / 12), "dead_units": 1,
                              "mean_activation": pytest.approx(11 / 12), "units": 4,
                              "examples": 3}


def test_rectifier_codes_have_exact_zeros_and_sign_trick_centres():
    gen = torch.Generator().manual_seed(0)
    model = MLP(8, (6, 4), 3, "rectifier", sign_trick=True, generator=gen)
    x = torch.randn(50, 8, generator=torch.Generator().manual_seed(1))
    logits, codes = model(x)
    assert logits.shape == (50, 3) and [c.shape[1] for c in codes] == [6, 4]
    assert all((c >= 0).all() and (c == 0).any() for c in codes)   # before the sign trick
    # the second layer sees the first layer's code with its second half negated
    signed = codes[0] * torch.tensor([1, 1, 1, -1, -1, -1.0])
    assert torch.allclose(codes[1], torch.relu(model.hidden[1](signed)))


def test_sign_trick_only_for_rectifier():
    gen = torch.Generator().manual_seed(0)
    assert not MLP(8, (6,), 3, "tanh", sign_trick=True, generator=gen).use_signs


def test_initialisation_same_for_every_activation_and_seeded():
    def weights(name, seed):
        return MLP(8, (6, 4), 3, name, True, torch.Generator().manual_seed(seed)).state_dict()
    a, b, c = weights("rectifier", 3), weights("softplus", 3), weights("tanh", 4)
    assert all(torch.equal(a[k], b[k]) for k in a if not k.startswith("signs"))
    assert not torch.equal(a["hidden.0.weight"], c["hidden.0.weight"])
    bound = (6 / (8 + 6)) ** 0.5    # Glorot & Bengio's normalised uniform
    assert a["hidden.0.weight"].abs().max() <= bound and a["hidden.0.bias"].eq(0).all()
