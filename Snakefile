# Deep Sparse Rectifier Neural Networks (Glorot, Bordes & Bengio, AISTATS 2011): the rule graph.
# Every knob is in params.yaml; every rule that computes calls `python -m rectifier <stage>`
# (the list of stacks, pretrained/stacks.txt, is written by printf).
from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "params.yaml"


validate(config, "workflow/schemas/params.schema.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/pretrain.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        all_targets(),
