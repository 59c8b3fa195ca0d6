rule pretrain:
    """Pre-train a stack of denoising auto-encoders, one hidden layer at a time."""
    input:
        lambda w: prepared(w.dataset),
    output:
        stack=f"{STACK}/stack.pt",
        metrics=f"{STACK}/metrics.json",
        history=f"{STACK}/history.csv",
    params:
        out=STACK,
        knobs=pretrain_knobs,
        code=CODE["pretrain"],
    log:
        "logs/pretrain/{dataset}/{activation}/seed{seed}.log",
    threads: 1
    conda:
        "../envs/rectifier.yaml"
    shell:
        "python -m rectifier pretrain --dataset {wildcards.dataset}"
        " --activation {wildcards.activation} --seed {wildcards.seed}"
        " --out {params.out} --threads {threads} 2> {log}"


rule pretrained:
    """Every stack that params.yaml's dae runs fine-tune from (the DVC phase `pretrain`), listed
    in one file, so the phase has an output even when nothing is pre-trained."""
    input:
        stacks(),
    output:
        STACKS,
    log:
        "logs/pretrained.log",
    threads: 1
    conda:
        "../envs/rectifier.yaml"
    shell:
        "printf '%s\\n' {input} > {output} 2> {log}"
