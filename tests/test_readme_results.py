"""docs/readme_results.sh, which reruns the README's MC11 figures, never writes into a folder
that exists (a quarter of an hour of runs must not mix with, or replace, an earlier one)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_readme_script_refuses_a_folder_that_exists(tmp_path):
    kept = tmp_path / "earlier.txt"
    kept.write_text("an earlier run", encoding="utf-8")
    finished = subprocess.run(
        ["bash", str(ROOT / "docs" / "readme_results.sh"), str(tmp_path)],
        env={"MC11": str(Path(sys.executable).with_name("mc11")), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=60)
    assert finished.returncode == 2
    assert f"{tmp_path} exists; give a new folder" in finished.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["earlier.txt"]
    assert kept.read_text(encoding="utf-8") == "an earlier run"


def test_the_readmes_python_example_gives_the_summary_of_mc11_run(tmp_path, monkeypatch):
    """The notebook example under "Ask why" (run as written, from the repository's root) gives
    the table `mc11 run` writes as summary.csv for the same runs and seed, blockers included."""
    import pandas as pd

    from simulation.cli import main

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = readme.split("From Python (for notebooks):\n\n```python\n")[1].split("```")[0]
    monkeypatch.chdir(ROOT)
    names: dict = {}
    exec(compile(example, "README.md", "exec"), names)
    assert main(["run", "scenarios/baseline.yaml", "--runs", "200", "--seed", "7", "--folder",
                 str(tmp_path / "run"), "--quiet", "--no-plots"]) == 0
    written = pd.read_csv(tmp_path / "run" / "summary.csv").set_index("issue")
    example_table = names["table"].rename_axis("issue")
    text = [c for c in written.columns if not pd.api.types.is_numeric_dtype(written[c])]
    assert "top_blockers" in text  # the CSV reads an empty cell as nothing, the example has ""
    pd.testing.assert_frame_equal(example_table.drop(columns=text), written.drop(columns=text),
                                  check_dtype=False, atol=1e-9)
    assert (example_table[text].fillna("") == written[text].fillna("")).all().all()
