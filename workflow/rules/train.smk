rule train:
    """Train one network (data set x activation x pre-training x learning rate x seed)."""
    input:
        unpack(train_inputs),
    output:
        metrics=f"{RUN}/metrics.json",
        history=f"{RUN}/history.csv",
        checkpoint=f"{RUN}/checkpoint.pt",
    log:
        out("logs/train/{dataset}/{activation}/{pretraining}/{variant}lr{lr}/seed{seed}.log"),
    conda:
        "../envs/rectifier.yaml"
    threads: 1
    resources:
        mem_mb=lambda w: memory_mb(w, "train"),
        runtime=lambda w: runtime(w, "train"),
        gpu=GPUS,
    params:
        out=RUN,
        knobs=train_knobs,
        code=CODE["train"],
        stack=lambda w, input: f"--stack {input.stack}" if "stack" in input.keys() else "",
        variant=variant_options,
    shell:
        "python -m rectifier train --dataset {wildcards.dataset}"
        " --activation {wildcards.activation} --pretraining {wildcards.pretraining}"
        " --seed {wildcards.seed} --lr {wildcards.lr} {params.variant}"
        " --out {params.out} {params.stack}"
        " --threads {threads}"
        " 2> {log}"


checkpoint training_rate:
    """Choose a configuration's fine-tuning rate on the validation error of its candidates on
    the first seed; the other seeds then run that rate only (selection.seeds `first`)."""
    input:
        candidate_runs,
    output:
        TRAINING_RATE,
    log:
        out("logs/training_rate/{dataset}/{activation}/{pretraining}/{variant}rate.log"),
    conda:
        "../envs/rectifier.yaml"
    threads: 1
    resources:
        mem_mb=SMALL_JOB_MB,
        runtime=SMALL_JOB_RUNTIME,
    params:
        code=CODE["choose"],
    shell:
        "python -m rectifier choose --kind train --out {output} {input} 2> {log}"


rule runs:
    """Every training job of params.yaml (the DVC phase `train`)."""
    input:
        run_metrics,
        choices("pretraining") + choices("training"),
