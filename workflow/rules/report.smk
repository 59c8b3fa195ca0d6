rule tables:
    """Table 1 (test error, ours beside the paper's), exact sparsity, every run: CSV and Markdown."""
    input:
        run_metrics,
    output:
        tables=[
            (
                report(f, caption=f"../report/tables/{Path(f).stem}.rst", category="Tables")
                if f.endswith(".csv")
                else f
            )
            for f in TABLES
        ],
        summary=SUMMARY,
        plots=directory(PLOTS),
    log:
        out("logs/tables.log"),
    conda:
        "../envs/rectifier.yaml"
    threads: 1
    resources:
        mem_mb=SMALL_JOB_MB,
        runtime=SMALL_JOB_RUNTIME,
    params:
        verdicts=json.dumps(config["verdicts"], sort_keys=True),  # margins change the verdicts
        code=CODE["tables"],
        out=lambda w, output: os.path.dirname(output.tables[0]),
    shell:
        "python -m rectifier tables --out {params.out} --summary {output.summary}"
        " --plots {output.plots} {input} 2> {log}"


rule report:
    """The report people read: Markdown and a self-contained HTML page (the DVC phase `report`)."""
    input:
        metrics=run_metrics,
        tables=TABLES,
        summary=SUMMARY,
        plots=PLOTS,
        pretrained=lambda w: stacks(w, "metrics.json"),
    output:
        md=REPORT[0],
        figures=report(
            directory(out("reports/figures")),
            patterns=["{name}.png"],
            caption="../report/figure.rst",
            category="Figures",
        ),
        html=report(
            REPORT[1],
            caption="../report/report.rst",
            category="Report",
        ),
    log:
        out("logs/report.log"),
    conda:
        "../envs/rectifier.yaml"
    threads: 1
    resources:
        mem_mb=SMALL_JOB_MB,
        runtime=SMALL_JOB_RUNTIME,
    params:
        code=CODE["report"],
        out=lambda w, output: os.path.dirname(output.md),
    shell:
        "python -m rectifier report --out {params.out} --tables {params.out}/tables {input.metrics}"
        " --pretrained {input.pretrained} 2> {log}"
