import pytest
import yaml
from helpers import ROOT, rectifier, tiny_raw, write_params

from rectifier.config import ConfigError, Params, effective_file, load


def test_project_params_load_typed():
    params = load(ROOT / "params.yaml")
    assert params.train.minibatch == 10
    assert params.train.l1 == params.pretrain.l1 == {"rectifier": 0.001, "default": 0.0}
    assert params.hidden_for("digits") == (1000, 1000, 1000)
    assert params.sparsity_margin == 5.0


def test_a_params_file_without_a_sparsity_margin_judges_with_the_default():
    """Published runs' params.yaml files predate verdicts.sparsity_margin."""
    raw = tiny_raw()
    raw["verdicts"].pop("sparsity_margin", None)
    assert Params.from_dict(raw).sparsity_margin == 5.0
    assert Params.from_dict(tiny_raw(verdicts__sparsity_margin=2.5)).sparsity_margin == 2.5


@pytest.mark.parametrize("dotted, value, expected", [
    ("activations", ["relu"], "activations[0]: 'relu' is not one of ['rectifier', 'tanh'"),
    ("train.lr", -0.1, "train.lr: -0.1 is less than or equal to the minimum of 0"),
    ("train.learning_rate", 0.1, "train: Additional properties are not allowed"),
    ("device", "tpu", "device: 'tpu' is not one of ['auto', 'cpu', 'cuda']"),
    ("datasets", ["cifar100"], "datasets[0]: unknown data set 'cifar100'"),
    ("seeds", [], "seeds: [] should be non-empty"),
    ("verdicts.sparsity_margin", 0, "verdicts.sparsity_margin: 0 is less than or equal to"),
    ("tracking.uri", "http://jobs:secret@127.0.0.1:5000", "tracking.uri carries credentials"),
    ("outputs", "/srv/runs", "outputs: '/srv/runs' is not a folder inside the project"),
    ("outputs", "experiments/../..", "outputs: 'experiments/../..' is not a folder inside"),
    ("train.l1", {"relu": 0.001}, "train.l1: 'relu' is not one of ['rectifier'"),
    ("train.l1", {"tanh": 0}, "train.l1: no penalty for ['rectifier']; give each activation"),
    ("pretrain.l1", {"rectifier": [0.001]}, "pretrain.l1.rectifier: [0.001] is not of type 'number'"),
])
def test_bad_values_name_the_key(dotted, value, expected):
    with pytest.raises(ConfigError) as err:
        Params.from_dict(tiny_raw(**{dotted.replace(".", "__"): value}))
    assert expected in str(err.value)


def test_the_l1_penalty_per_activation():
    """The authors' library put the penalty on the rectifier alone (shared/PAPER.md): a map
    gives each activation its own, its family's (softplus for softplus_a3) or `default`."""
    params = Params.from_dict(tiny_raw(
        activations=["rectifier", "tanh", "softplus_a3"],
        train__l1={"rectifier": [0.001, 0.01], "softplus": 0.002, "default": 0},
        pretrain__l1={"rectifier": 0.001, "default": 0}))
    assert params.l1_values("rectifier") == (0.001, 0.01)
    assert params.l1_values("softplus_a3") == (0.002,)
    assert params.l1_values("tanh") == (0.0,)
    assert [params.pretrain_l1(a) for a in ("rectifier", "tanh")] == [0.001, 0.0]
    assert params.sweep_points("tanh") == [(0.0, 1.0)]
    assert params.planned()[0] == len(params.seeds) * 4       # 2 + 1 + 1 points per seed
    one = Params.from_dict(tiny_raw(activations=["rectifier", "tanh"], train__l1=0.001))
    assert one.l1_values("tanh") == (0.001,) and one.pretrain_l1("tanh") == 0.001


def test_misspelled_key_lists_allowed_keys():
    allowed = r"allowed keys: \['engine', 'eval_batch', 'l1', 'label_fraction', 'lr'"
    with pytest.raises(ConfigError, match=allowed):
        Params.from_dict(tiny_raw(train__lrate=0.1))


def test_per_dataset_architecture_override():
    params = Params.from_dict(tiny_raw(model__hidden_per_dataset={"mnist": [7, 5]}))
    assert params.hidden_for("mnist") == (7, 5)
    assert params.hidden_for("digits") == (32, 32)


def test_idx_dataset_cannot_shadow_builtin():
    spec = {"urls": ["http://127.0.0.1:1/"], "classes": 10, "valid_size": 5,
            "files": dict.fromkeys(("train_images", "train_labels", "test_images", "test_labels"), "f"),
            "sha256": dict.fromkeys(("train_images", "train_labels", "test_images", "test_labels"), "0" * 64)}
    with pytest.raises(ConfigError, match="shadow a built-in"):
        Params.from_dict(tiny_raw(data__idx={"mnist": spec}))


def test_the_jobs_read_the_effective_config(tmp_path):
    """Snakemake's config is params.yaml unless --configfile or --config changed a knob; then
    the jobs get a file of the merged config, checked first and named by its content."""
    path = write_params(tmp_path)
    raw = yaml.safe_load(path.read_text())
    folder = tmp_path / "merged"
    assert effective_file(raw, path, folder) == path and not folder.exists()
    changed = {**raw, "train": {**raw["train"], "lr": 1.0}}
    merged = effective_file(changed, path, folder)
    assert merged.parent == folder and load(merged).train.lr == 1.0
    assert effective_file(changed, path, folder) == merged
    with pytest.raises(ConfigError, match="train.minibatch"):
        effective_file({**raw, "train": {**raw["train"], "minibatch": 0}}, path, folder)
    assert len(list(folder.iterdir())) == 1


def test_cli_refuses_bad_params_before_any_work(tmp_path):
    write_params(tmp_path, train__minibatch=0)
    result = rectifier("prepare", "--dataset", "digits", cwd=tmp_path, check=False)
    assert result.returncode == 2
    assert "train.minibatch: 0 is less than the minimum of 1" in result.stderr
    assert not (tmp_path / "data").exists()


def test_learning_rate_is_one_rate_or_candidates():
    assert Params.from_dict(tiny_raw(train__lr=0.1)).learning_rates == (0.1,)
    params = Params.from_dict(tiny_raw(train__lr=[0.1, 0.01, 0.001, 0.0001]))
    assert params.learning_rates == (0.1, 0.01, 0.001, 0.0001)
    with pytest.raises(ConfigError, match=r"train.lr\[1\]: -1 is less than or equal to the minimum"):
        Params.from_dict(tiny_raw(train__lr=[0.1, -1]))
    with pytest.raises(ConfigError, match="train.lr: .* non-unique"):
        Params.from_dict(tiny_raw(train__lr=[0.1, 0.1]))


def test_train_job_needs_lr_among_the_candidates(tmp_path):
    write_params(tmp_path, train__lr=[0.1, 0.01])
    result = rectifier("train", "--dataset", "digits", "--activation", "tanh", "--seed", "1",
                       "--out", "x", cwd=tmp_path, check=False)
    assert result.returncode == 1 and "give one of train.lr [0.1, 0.01]" in result.stderr
