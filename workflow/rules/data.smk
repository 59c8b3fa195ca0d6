rule prepare:
    """Download (checksums verified) or load a data set and write its splits once."""
    output:
        npz=f"{DATA}/{{dataset}}/prepared.npz",
        meta=f"{DATA}/{{dataset}}/prepared.json",
    log:
        out("logs/prepare/{dataset}.log"),
    conda:
        "../envs/rectifier.yaml"
    threads: 1
    resources:
        mem_mb=lambda w: memory_mb(w, "prepare"),
        runtime=SMALL_JOB_RUNTIME,
    params:
        knobs=data_knobs,
        code=CODE["prepare"],
    shell:
        "python -m rectifier prepare --dataset {wildcards.dataset} 2> {log}"


rule data:
    """Every data set of params.yaml, prepared (the DVC phase `data`)."""
    input:
        [prepared(d) for d in PARAMS.datasets],
