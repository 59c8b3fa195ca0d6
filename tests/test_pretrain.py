"""Pre-training with stacked denoising auto-encoders on digits: reconstruction falls, fine-tuning
really starts from the stack, and a killed pre-training job resumes to the same weights."""
import csv
import json
import signal
import subprocess
import sys
import time
from dataclasses import replace

import pytest
import torch
from helpers import rectifier, tiny_raw, write_params

from rectifier import data
from rectifier.config import Params
from rectifier.job import Job, initial_model
from rectifier.pretrain import (
    DenoisingAutoEncoder,
    _codes_below,
    pretrain,
    reconstruction,
    reconstruction_cost,
    stack_signs,
)

ACTIVATIONS = ("rectifier", "tanh", "softplus", "sigmoid")


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    params = Params.from_dict(tiny_raw(data__root=str(root)))
    return params, data.load(data.prepare(params, "digits"))


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_reconstruction_error_falls_for_every_activation(digits, activation, tmp_path):
    params, splits = digits
    cfg = replace(params.pretrain, epochs=4)
    stack = pretrain(torch.from_numpy(splits.x_train), (32, 32), activation, cfg, seed=1,
                     checkpoint=tmp_path / "resume.pt", fingerprint="f")
    for layer in (1, 2):
        curve = [r["recon_loss"] for r in stack.history if r["layer"] == layer]
        assert len(curve) == 4 and curve[-1] < curve[0], (layer, curve)
    assert set(stack.encoders) == {"hidden.0.weight", "hidden.0.bias",
                                   "hidden.1.weight", "hidden.1.bias"}


def test_text_recipe_clips_rectifier_codes_and_uses_cross_entropy(digits, tmp_path):
    params, splits = digits
    assert reconstruction("rectifier", 1, "text") == ("sigmoid", "cross_entropy")
    assert reconstruction("rectifier", 1, "image") == ("softplus", "squared_error")
    assert reconstruction("tanh", 0, "image") == ("sigmoid", "cross_entropy")
    assert reconstruction("tanh", 1, "image") == ("tanh", "squared_error")
    dae = DenoisingAutoEncoder(64, 16, "rectifier", "sigmoid", "cross_entropy", clip_code=True,
                               generator=torch.Generator().manual_seed(0))
    code = dae.encode(10 * torch.from_numpy(splits.x_train[:50]))
    assert code.max() == 1.0 and code.min() == 0.0
    cfg = replace(params.pretrain, epochs=3, recipe="text")
    stack = pretrain(torch.from_numpy(splits.x_train), (16,), "rectifier", cfg, 1,
                     tmp_path / "resume.pt", "f")
    curve = [r["recon_loss"] for r in stack.history]
    assert curve[-1] < curve[0]


def pretrained_stack(params, splits, activation, tmp_path, signed_codes=True, epochs=1):
    """A stack of two 32-unit layers as the pretrain job builds it, with its payload's keys."""
    cfg = replace(params.pretrain, epochs=epochs, signed_codes=signed_codes)
    signs = stack_signs((32, 32), activation, cfg, params.train.sign_trick)
    stack = pretrain(torch.from_numpy(splits.x_train), (32, 32), activation, cfg, 1,
                     tmp_path / f"resume-{signed_codes}.pt", "f", signs)
    return {"encoders": stack.encoders, "signed": signs[0] is not None}, signs


@pytest.mark.parametrize("activation,signed_codes",
                         [("rectifier", True), ("rectifier", False), ("tanh", True)])
def test_fine_tuning_starts_from_the_stack_and_none_does_not(digits, activation, signed_codes,
                                                             tmp_path):
    params, splits = digits
    x = torch.from_numpy(splits.x_valid)
    stack, signs = pretrained_stack(params, splits, activation, tmp_path, signed_codes)
    assert stack["signed"] == (activation == "rectifier" and signed_codes)
    job = Job("digits", activation, "dae", 1, 0.05)
    tuned = initial_model(params, job, 64, 10, stack)
    fresh = initial_model(params, replace(job, pretraining="none"), 64, 10, None)
    assert torch.equal(tuned.hidden[0].weight, stack["encoders"]["hidden.0.weight"])
    assert not torch.equal(fresh.hidden[0].weight, stack["encoders"]["hidden.0.weight"])
    # The network computes the stack's codes exactly, signed stack, unsigned or no trick.
    _, codes = tuned(x)
    passed_up = codes[1] * signs[1] if stack["signed"] else codes[1]
    assert torch.allclose(passed_up, _codes_below(x, stack["encoders"], 2, activation, signs),
                          atol=1e-6)
    # The output layer is not pre-trained: it is the same fresh layer in both networks.
    assert torch.equal(tuned.output.weight, fresh.output.weight)


def test_signed_and_unsigned_rectifier_stacks_are_different_models(digits, tmp_path):
    """Were the signs only a relabelling, the unsigned stack's layers with the signs folded in
    would equal the signed stack's. They do not: the tied decoder reads what the encoder's code
    carries, signs included."""
    params, splits = digits
    signed, signs = pretrained_stack(params, splits, "rectifier", tmp_path, True, epochs=2)
    unsigned, _ = pretrained_stack(params, splits, "rectifier", tmp_path, False, epochs=2)
    a = initial_model(params, Job("digits", "rectifier", "dae", 1, 0.05), 64, 10, signed)
    b = initial_model(params, Job("digits", "rectifier", "dae", 1, 0.05), 64, 10, unsigned)
    for k in range(2):
        gap = (a.hidden[k].weight - b.hidden[k].weight).abs().max()
        assert gap > 1e-3, (k, gap)
    with pytest.raises(ValueError, match="trained with the sign trick"):
        initial_model(Params.from_dict(tiny_raw(train__sign_trick=False)),
                      Job("digits", "rectifier", "dae", 1, 0.05), 64, 10, signed)


def test_a_stack_that_does_not_fit_is_refused(digits, tmp_path):
    params, splits = digits
    stack = pretrain(torch.from_numpy(splits.x_train), (8,), "tanh",
                     replace(params.pretrain, epochs=1), 1, tmp_path / "resume.pt", "f")
    with pytest.raises(ValueError, match="does not fit the network"):
        initial_model(params, Job("digits", "tanh", "dae", 1, 0.05), 64, 10,
                      {"encoders": stack.encoders, "signed": False})


@pytest.mark.slow
def test_killed_pre_training_resumes_to_the_same_stack(project):
    write_params(project, model__hidden=[300, 300], pretrain__epochs=6, tracking__enabled=False)
    rectifier("prepare", "--dataset", "digits", cwd=project)
    job = ["pretrain", "--dataset", "digits", "--activation", "rectifier", "--seed", "1",
           "--threads", "1"]
    rectifier(*job, "--out", "whole", cwd=project)

    proc = subprocess.Popen([sys.executable, "-m", "rectifier", *job, "--out", "cut"],
                            cwd=project, stderr=subprocess.DEVNULL)
    checkpoint = project / "cut/resume.pt"
    deadline = time.time() + 120
    while not checkpoint.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert checkpoint.exists() and not (project / "cut/stack.pt").exists(), \
        "the job ended before it could be killed mid-run"
    assert "resuming pre-training" in rectifier(*job, "--out", "cut", cwd=project).stderr

    whole, cut = (torch.load(project / d / "stack.pt", weights_only=True) for d in ("whole", "cut"))
    assert all(torch.equal(whole["encoders"][k], cut["encoders"][k]) for k in whole["encoders"])
    metrics = json.loads((project / "cut/metrics.json").read_text())
    assert len(metrics["recon_loss"]) == 2 and len(metrics["sparsity_pct"]) == 2


@pytest.mark.slow
def test_fine_tuning_job_through_the_cli(project):
    write_params(project, pretraining=["none", "dae"], tracking__enabled=False)
    rectifier("prepare", "--dataset", "digits", cwd=project)
    rectifier("pretrain", "--dataset", "digits", "--activation", "tanh", "--seed", "1",
              "--out", "stack", cwd=project)
    rectifier("train", "--dataset", "digits", "--activation", "tanh", "--pretraining", "dae",
              "--seed", "1", "--stack", "stack/stack.pt", "--out", "tuned", cwd=project)
    metrics = json.loads((project / "tuned/metrics.json").read_text())
    assert metrics["pretraining"] == "dae" and metrics["init"] == "dae"
    refused = rectifier("train", "--dataset", "digits", "--activation", "tanh", "--pretraining",
                        "dae", "--seed", "1", "--out", "x", cwd=project, check=False)
    assert refused.returncode == 1 and "needs a pre-trained stack" in refused.stderr


def test_the_l1_penalty_takes_the_clean_inputs_code():
    """As the authors' library: the sparsity term is built before the noise is added."""
    dae = DenoisingAutoEncoder(20, 8, "rectifier", "softplus", "squared_error", False,
                               torch.Generator().manual_seed(0))
    clean = torch.rand(5, 20, generator=torch.Generator().manual_seed(1))
    corrupted = clean * (torch.rand(5, 20, generator=torch.Generator().manual_seed(2)) > 0.5)
    _, code = dae.loss(corrupted, clean)
    assert torch.equal(code, dae.encode(clean)) and not torch.equal(code, dae.encode(corrupted))


def test_text_recipe_rescales_the_codes_below_so_the_cost_has_a_floor(digits, tmp_path):
    """Cross-entropy needs targets in [0, 1]; rectifier codes can exceed 1. As the authors, each
    auto-encoder above the first reads the code below divided by its largest value on the
    training set, and the network takes the same scale into its weights."""
    params, splits = digits
    x = 10 * torch.from_numpy(splits.x_train)                    # codes well above 1
    cfg = replace(params.pretrain, epochs=3, recipe="text")
    stack = pretrain(x, (32, 32), "rectifier", cfg, 1, tmp_path / "resume.pt", "f")
    assert _codes_below(x, stack.encoders, 1, "rectifier").max() > 1
    layer2 = [r["recon_loss"] for r in stack.history if r["layer"] == 2]
    assert min(layer2) >= 0 and layer2[-1] < layer2[0]            # bounded below, and falls
    assert stack.scales[1] == pytest.approx(float(_codes_below(x, stack.encoders, 1,
                                                               "rectifier").max()))


def test_each_layer_s_validation_reconstruction_is_measured(digits, tmp_path):
    """The cost a pre-training rate is chosen on: each finished auto-encoder's reconstruction of
    the uncorrupted validation inputs, lower after training than an untrained one's, and the
    same when pre-training is run again."""
    params, splits = digits
    x, valid = torch.from_numpy(splits.x_train), torch.from_numpy(splits.x_valid)
    cfg = replace(params.pretrain, epochs=3, lr=0.01)
    stack = pretrain(x, (16, 8), "tanh", cfg, 1, tmp_path / "resume.pt", "f", valid=valid)
    assert len(stack.valid_recon) == 2 and not stack.diverged
    untrained = DenoisingAutoEncoder(64, 16, "tanh", "sigmoid", "cross_entropy", False,
                                     torch.Generator().manual_seed(1000))   # layer 1's init
    assert stack.valid_recon[0] < reconstruction_cost(untrained, valid)
    again = pretrain(x, (16,), "tanh", cfg, 1, tmp_path / "again.pt", "g", valid=valid)
    assert again.valid_recon == stack.valid_recon[:1]


@pytest.mark.slow
def test_a_diverging_candidate_rate_is_recorded_not_fatal(project):
    """pretrain.lr 1e12 diverges in layer 1: the job succeeds, says why, writes no measures and
    a stack that nothing fine-tunes from; the workflow's choice skips it."""
    write_params(project, pretraining=["none", "dae"], pretrain__lr=[1e12, 0.01],
                 tracking__enabled=False)
    rectifier("prepare", "--dataset", "digits", cwd=project)
    rectifier("pretrain", "--dataset", "digits", "--activation", "rectifier", "--seed", "1",
              "--lr", "1e12", "--out", "blown", cwd=project)
    metrics = json.loads((project / "blown/metrics.json").read_text())
    assert metrics["diverged"].startswith("layer 1's cost became") and "1e+12" in metrics["diverged"]
    assert metrics["valid_recon_loss"] is None and metrics["lr"] == 1e12
    # No epoch ended: its history is a stack's header alone, which the report reads; so is the
    # training header a89ad1d wrote there (the published protocol run holds one).
    from rectifier.names import PRETRAIN_HISTORY_COLUMNS
    from rectifier.runs import collect_pretraining, load_histories
    history = project / "blown/history.csv"
    assert history.read_text() == ",".join(PRETRAIN_HISTORY_COLUMNS) + "\n"
    for header in (history.read_text(), "epoch,train_nll,train_l1,seconds\n"):
        history.write_text(header)
        jobs = collect_pretraining([project / "blown/metrics.json"])
        assert [len(h) for h in load_histories(jobs, PRETRAIN_HISTORY_COLUMNS).values()] == [0]
    refused = rectifier("train", "--dataset", "digits", "--activation", "rectifier",
                        "--pretraining", "dae", "--seed", "1", "--stack", "blown/stack.pt",
                        "--out", "x", cwd=project, check=False)
    assert refused.returncode == 1 and "its pre-training diverged" in refused.stderr
    rectifier("pretrain", "--dataset", "digits", "--activation", "rectifier", "--seed", "1",
              "--lr", "0.01", "--out", "fine", cwd=project)
    rectifier("choose", "--kind", "pretrain", "--out", "rate.json", "blown/metrics.json",
              "fine/metrics.json", cwd=project)
    assert json.loads((project / "rate.json").read_text())["lr"] == 0.01
    missing = rectifier("pretrain", "--dataset", "digits", "--activation", "rectifier", "--seed",
                        "1", "--out", "y", cwd=project, check=False)
    assert missing.returncode == 1 and "give one of pretrain.lr [1e+12, 0.01]" in missing.stderr


@pytest.mark.slow
def test_a_per_activation_penalty_leaves_the_rectifier_s_jobs_as_they_were(project):
    """The second reading puts the L1 penalty on the rectifier alone. The rectifier's stack and
    fine-tuned network are then the first reading's jobs (the same fingerprint, the same
    numbers), tanh's are not: its auto-encoders and network pay no penalty."""
    rectifier("prepare", "--dataset", "digits", cwd=project)
    alone = {"rectifier": 0.001, "default": 0}
    for reading in ("every", "alone"):
        (project / reading).mkdir()
    readings = {"every": write_params(project / "every", tracking__enabled=False),
                "alone": write_params(project / "alone", tracking__enabled=False,
                                      train__l1=alone, pretrain__l1=alone)}
    made = {}
    for reading, params in readings.items():
        for activation in ("rectifier", "tanh"):
            out = f"{reading}/{activation}"
            rectifier("--params", params, "pretrain", "--dataset", "digits", "--activation",
                      activation, "--seed", "1", "--out", f"{out}/stack", cwd=project)
            l1 = ["--l1", "0"] if reading == "alone" and activation == "tanh" else []
            rectifier("--params", params, "train", "--dataset", "digits", "--activation",
                      activation, "--pretraining", "dae", "--seed", "1", *l1,
                      "--stack", f"{out}/stack/stack.pt", "--out", f"{out}/tuned", cwd=project)
            made[reading, activation] = [json.loads((project / out / job / "metrics.json")
                                                    .read_text()) for job in ("stack", "tuned")]
    for stage in (0, 1):
        first, second = made["every", "rectifier"][stage], made["alone", "rectifier"][stage]
        assert first["fingerprint"] == second["fingerprint"] and first["l1"] == 0.001
        assert made["every", "tanh"][stage]["fingerprint"] != made["alone", "tanh"][stage][
            "fingerprint"]
        assert made["every", "tanh"][stage]["l1"] == 0.001 and made["alone", "tanh"][stage][
            "l1"] == 0.0
    with (project / "alone/tanh/stack/history.csv").open() as rows:
        assert {float(r["l1"]) for r in csv.DictReader(rows)} == {0.0}
    refused = rectifier("--params", readings["alone"], "train", "--dataset", "digits",
                        "--activation", "tanh", "--seed", "1", "--l1", "0.001", "--out", "x",
                        cwd=project, check=False)
    assert refused.returncode == 1 and "--l1 0.001: give one of train.l1 [0]" in refused.stderr
