rule prepare:
    """Download (checksums verified) or load a data set and write its splits once."""
    output:
        npz=f"{DATA}/{{dataset}}/prepared.npz",
        meta=f"{DATA}/{{dataset}}/prepared.json",
    params:
        knobs=data_knobs,
        code=CODE["prepare"],
    log:
        "logs/prepare/{dataset}.log",
    threads: 1
    conda:
        "../envs/rectifier.yaml"
    shell:
        "python -m rectifier prepare --dataset {wildcards.dataset} 2> {log}"


rule data:
    """Every data set of params.yaml, prepared (the DVC phase `data`)."""
    input:
        [prepared(d) for d in PARAMS.datasets],
