"""The CUDA path: skipped where torch sees no GPU (CI, the project's machines)."""
import json

import pytest
import torch
from helpers import rectifier, write_params
from test_fused import NETWORKS, max_difference, train_both

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")]


def test_training_job_on_cuda_matches_the_cpu_closely(project):
    rectifier("prepare", "--dataset", "digits", cwd=project)
    errors = {}
    for device in ("cpu", "cuda"):
        write_params(project, device=device, tracking__enabled=False)
        rectifier("train", "--dataset", "digits", "--activation", "rectifier", "--seed", "1",
                  "--out", device, cwd=project)
        metrics = json.loads((project / device / "metrics.json").read_text())
        assert metrics["device"] == device
        errors[device] = metrics["test_error_pct"]
    # Same seed and data; float reductions differ between devices, so allow a few examples.
    assert abs(errors["cpu"] - errors["cuda"]) < 2.0


@pytest.mark.parametrize("activation,signs,hidden", NETWORKS)
def test_fused_step_on_cuda_equals_autograd_in_float64(activation, signs, hidden):
    reference, fused, sums = train_both(activation, signs, hidden, 0.001, 50, device="cuda")
    assert next(fused.parameters()).is_cuda
    assert max_difference(reference, fused) <= 1e-10
    for ours, theirs in sums:
        assert torch.allclose(ours, theirs, rtol=0, atol=1e-10)
