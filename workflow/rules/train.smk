rule train:
    """Train one network (data set x activation x pre-training x seed) and measure it."""
    input:
        lambda w: prepared(w.dataset),
    output:
        metrics=f"{RUN}/metrics.json",
        history=f"{RUN}/history.csv",
        checkpoint=f"{RUN}/checkpoint.pt",
    params:
        out=RUN,
        knobs=train_knobs,
    log:
        "logs/train/{dataset}/{activation}/{pretraining}/seed{seed}.log",
    threads: 1
    conda:
        "../envs/rectifier.yaml"
    shell:
        "python -m rectifier train --dataset {wildcards.dataset}"
        " --activation {wildcards.activation} --pretraining {wildcards.pretraining}"
        " --seed {wildcards.seed} --out {params.out} --threads {threads} 2> {log}"


rule runs:
    """Every training job of params.yaml (the DVC phase `train`)."""
    input:
        run_metrics(),
