rule pretrain:
    """Pre-train a stack of denoising auto-encoders, one hidden layer at a time, at one rate."""
    input:
        lambda w: prepared(w.dataset),
    output:
        stack=f"{STACK}/stack.pt",
        metrics=f"{STACK}/metrics.json",
        history=f"{STACK}/history.csv",
    log:
        out("logs/pretrain/{dataset}/{activation}/lr{lr}/seed{seed}.log"),
    conda:
        "../envs/rectifier.yaml"
    threads: 1
    resources:
        mem_mb=lambda w: memory_mb(w, "pretrain"),
        runtime=lambda w: runtime(w, "pretrain"),
        gpu=GPUS,
    params:
        out=STACK,
        knobs=pretrain_knobs,
        code=CODE["pretrain"],
    shell:
        "python -m rectifier pretrain --dataset {wildcards.dataset}"
        " --activation {wildcards.activation} --seed {wildcards.seed} --lr {wildcards.lr}"
        " --out {params.out} --threads {threads} 2> {log}"


checkpoint pretraining_rate:
    """Choose an activation's pre-training rate on the first layer's validation reconstruction
    cost of its candidate stacks (the seeds of selection.seeds)."""
    input:
        candidate_stacks,
    output:
        PRETRAINING_RATE,
    log:
        out("logs/pretraining_rate/{dataset}/{activation}.log"),
    conda:
        "../envs/rectifier.yaml"
    threads: 1
    resources:
        mem_mb=SMALL_JOB_MB,
        runtime=SMALL_JOB_RUNTIME,
    params:
        code=CODE["choose"],
    shell:
        "python -m rectifier choose --kind pretrain --out {output} {input} 2> {log}"


rule pretrained:
    """Every stack that params.yaml's dae runs fine-tune from, and the candidates they were
    chosen from (the DVC phase `pretrain`), listed in one file, so the phase has an output even
    when nothing is pre-trained."""
    input:
        stacks=stacks,
        chosen=choices("pretraining"),
    output:
        STACKS,
    log:
        out("logs/pretrained.log"),
    conda:
        "../envs/rectifier.yaml"
    threads: 1
    resources:
        mem_mb=SMALL_JOB_MB,
        runtime=SMALL_JOB_RUNTIME,
    shell:
        "printf '%s\\n' {input.stacks} > {output} 2> {log}"
