rule tables:
    """Table 1 (test error, ours beside the paper's), exact sparsity, every run: CSV and Markdown."""
    input:
        run_metrics,
    output:
        tables=[
            report(f, caption="../report/tables.rst", category="Tables")
            if f.endswith(".csv")
            else f
            for f in TABLES
        ],
        summary=SUMMARY,
        plots=directory(PLOTS),
    params:
        verdicts=json.dumps(config["verdicts"], sort_keys=True),  # margins change the verdicts
        code=CODE["tables"],
    log:
        "logs/tables.log",
    threads: 1
    conda:
        "../envs/rectifier.yaml"
    shell:
        "python -m rectifier tables --out reports/tables --summary {output.summary}"
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
        md="reports/report.md",
        figures=directory("reports/figures"),
        html=report(
            "reports/report.html",
            caption="../report/report.rst",
            category="Report",
        ),
    params:
        code=CODE["report"],
    log:
        "logs/report.log",
    threads: 1
    conda:
        "../envs/rectifier.yaml"
    shell:
        "python -m rectifier report --out reports --tables reports/tables {input.metrics}"
        " --pretrained {input.pretrained} 2> {log}"
