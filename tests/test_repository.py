"""The repository itself: nothing in it names a path of one machine."""
import re
import subprocess

from helpers import ROOT

# An absolute path into a home or a build machine's work folder.
MACHINE_PATH = re.compile(r"(?<![\w.~-])/(?:work|root|home|Users)/[\w.-]+")


def tracked_text_files():
    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    for name in names:
        path = ROOT / name
        if path.suffix in {".png", ".pt", ".npz", ".gz", ".html"} or not path.is_file():
            continue
        try:
            yield name, path.read_text()
        except UnicodeDecodeError:
            continue


def test_no_absolute_path_of_a_machine_is_committed():
    found = [(name, m.group()) for name, text in tracked_text_files()
             for m in MACHINE_PATH.finditer(text)]
    assert not found, f"absolute paths of one machine: {found[:10]}"


def test_every_package_the_code_imports_is_declared():
    """A module imported by src/rectifier from outside the standard library must be a declared
    dependency in pyproject.toml and requirements.in, not one that comes along by chance."""
    import ast
    import sys
    import tomllib
    from importlib.metadata import packages_distributions

    imported = set()
    for path in (ROOT / "src" / "rectifier").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"rectifier", "__future__"}
    distributions = packages_distributions()
    # module -> the distributions that provide it (mlflow: mlflow and mlflow-skinny)
    needed = {m: {d.lower().replace("_", "-") for d in distributions[m]} for m in third_party}
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    declared = {re.split(r"[=<>\[ ]", d)[0].lower() for d in declared}
    listed = {re.split(r"[=<>\[ #]", line)[0].lower()
              for line in (ROOT / "requirements.in").read_text().splitlines() if line.strip()
              and not line.startswith("#")}
    assert not [m for m, d in needed.items() if not d & declared], "undeclared in pyproject.toml"
    assert not [m for m, d in needed.items() if not d & listed], "not in requirements.in"


def test_the_steps_that_only_read_results_do_not_load_torch():
    """choose, tables and report read files: importing torch would add seconds to each."""
    import subprocess
    import sys
    check = ("import sys, rectifier.report, rectifier.tables, rectifier.runs, rectifier.publish; "
             "assert 'torch' not in sys.modules")
    assert subprocess.run([sys.executable, "-c", check]).returncode == 0
