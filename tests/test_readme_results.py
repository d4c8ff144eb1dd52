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
