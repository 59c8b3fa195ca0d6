"""The paper's network: fully connected hidden layers, softmax output (trained on the NLL).

Initialisation, the same for every activation: weights drawn from Glorot & Bengio's (2010)
normalised uniform U[-sqrt(6/(fan_in+fan_out)), +sqrt(6/(fan_in+fan_out))], biases zero. The
sources of the paper do not state theirs (shared/PAPER.md), so we choose this one and keep it fixed.
"""
import torch
from torch import nn

from .activations import activation, sign_pattern

# The package's modules a network needs to run: what its MLflow model ships (tracking.py).
CODE = ("__init__.py", "model.py", "activations.py", "names.py")


class MLP(nn.Module):
    def __init__(self, n_in: int, hidden: tuple[int, ...], n_out: int, activation_name: str,
                 sign_trick: bool, generator: torch.Generator):
        super().__init__()
        sizes = (n_in, *hidden)
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
        self.output = nn.Linear(sizes[-1], n_out)
        self.activation_name = activation_name
        self.act = activation(activation_name)
        # In supervised training the signs only relabel the next layer's inputs (W with the trick
        # trains as W diag(s) without it); they change the model inside a signed stack of
        # auto-encoders (rectifier.pretrain), where the tied decoder reads the signed code.
        self.use_signs = sign_trick and activation_name == "rectifier"
        for i, units in enumerate(hidden):
            self.register_buffer(f"signs{i}", sign_pattern(units) if self.use_signs else None)
        for layer in (*self.hidden, self.output):
            nn.init.xavier_uniform_(layer.weight, generator=generator)
            nn.init.zeros_(layer.bias)

    def signs(self, layer: int) -> torch.Tensor | None:
        """The sign trick's +-1 per unit of hidden layer `layer`, or None without the trick."""
        return getattr(self, f"signs{layer}")

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Logits and each hidden layer's activations (before the sign trick)."""
        codes = []
        for i, layer in enumerate(self.hidden):
            h = self.act(layer(x))
            codes.append(h)
            signs = self.signs(i)
            x = h * signs if signs is not None else h
        return self.output(x), codes
