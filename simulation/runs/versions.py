"""Which model rules and libraries made a folder's results, as its manifest records them.

A results folder's run.json, a design's design.json and a calibration's inputs.json (and the
inputs.json beside a table written with --out) record the package version, the digest of the
model's rules (`rules_digest`: the engine's source, as `machine_code.source_digest` hashes it,
and the code and data outside the engine that shape what a run computes, `MODEL`) and the
versions of Python and of the libraries the runs compute with. Resuming a folder whose rules
differ from this mc11's is refused, as its finished runs and the new ones would be two models'
runs in one result; other library versions are only noted, as is a folder of an earlier mc11,
which recorded none. Such a folder, once resumed, records under `RESUMED` the rules and
libraries that continued it (not as its own: its earlier runs were made by rules no digest was
taken of), so that a later resume under yet other rules is refused as any folder's would be.
"""

from __future__ import annotations

import functools
import hashlib
import platform
from collections.abc import Mapping
from importlib.metadata import version
from pathlib import Path
from typing import Any

from simulation import __version__
from simulation.engine.machine_code import source_digest
from simulation.errors import InputError

RULES = "rules_digest"
VERSIONS = "versions"
RESUMED = "resumed_by"
"""In a folder of an earlier mc11 (no `RULES`): `record()` of the first mc11 that resumed it."""
LIBRARIES = ("numpy", "numba", "mesa")
"""The libraries whose versions a folder records beside Python's: those the runs compute with."""
PACKAGE = Path(__file__).resolve().parents[1]
MODEL = ("inputs", "runs", "data", "outcomes.py", "outputs.py")
"""What the rules digest covers beside the engine (paths below the package): the code that reads a
scenario and its data into a run, seeds it, draws its priors and sets up its chunks, and the
shipped data, whose capabilities, blocs and status quo a run takes from the catalogue (a
scenario's `input_hash` covers its settings, preference table and calendar, not those). Whole
folders, so that no new module is left out by mistake: an edit there that changes no number (a
message) refuses a resume too. Left out: the command line, reports, plots and the dashboard,
which only show finished runs. numba's machine code stays keyed on the engine alone
(`source_digest`): no compiled rule reads these."""


def model_files(package: Path) -> list[Path]:
    """The files of `MODEL` under `package`: its modules and data files, in a fixed order."""
    found = []
    for entry in map(package.joinpath, MODEL):
        found += sorted(path for path in entry.rglob("*") if path.suffix in (".py", ".csv", ".yaml")
                        and "__pycache__" not in path.parts) if entry.is_dir() else [entry]
    return found


def rules_digest_of(package: Path) -> str:
    """A hash of the engine's source and the package version (`source_digest`) and of the files
    of `MODEL` as they are under `package`."""
    digest = hashlib.sha256(source_digest().encode())
    for path in model_files(package):
        name = path.relative_to(package).as_posix()
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


@functools.cache
def rules_digest() -> str:
    """This mc11's rules digest (`rules_digest_of` its own package, read once), which its
    folders record and `mc11 --version` prints."""
    return rules_digest_of(PACKAGE)


def record() -> dict[str, Any]:
    """What makes this mc11's results, as a folder's manifest records it: the package version,
    the rules' digest and the versions of Python and of `LIBRARIES`."""
    return {"package_version": __version__, RULES: rules_digest(),
            VERSIONS: {"python": platform.python_version(),
                       **{name: version(name) for name in LIBRARIES}}}


def recorded(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of `record` a folder's manifest holds (none of the rules' and libraries' in a
    folder of an earlier mc11), to keep as they are when the folder is completed."""
    return {key: manifest[key] for key in ("package_version", RULES, VERSIONS, RESUMED)
            if key in manifest}


def continued(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """`recorded(manifest)` for a folder this mc11 is about to add runs to: one of an earlier
    mc11 (no `RULES`) also records this mc11's `record()` as `RESUMED`, if no mc11 did yet."""
    kept = recorded(manifest)
    if RULES not in kept and not isinstance(kept.get(RESUMED), dict):
        kept[RESUMED] = record()
    return kept


def _rules_of(manifest: Mapping[str, Any]) -> tuple[Any, Any] | None:
    """The rules' digest and package version that made (some of) a folder's runs: its own, or
    those of the mc11 that resumed a folder of an earlier one; None if it records neither."""
    if RULES in manifest:
        return manifest[RULES], manifest.get("package_version", "?")
    resumed = manifest.get(RESUMED)
    if isinstance(resumed, Mapping) and RULES in resumed:
        return resumed[RULES], resumed.get("package_version", "?")
    return None


def rules_changed(manifest: Mapping[str, Any]) -> bool:
    """Whether a folder records model rules other than this mc11's (False if it records none):
    its own, or, in a folder of an earlier mc11, those of the mc11 that resumed it."""
    rules = _rules_of(manifest)
    return rules is not None and rules[0] != rules_digest()


def refuse_other_rules(manifest: Mapping[str, Any], folder: Path, instead: str,
                       done: str = "runs") -> None:
    """Refuse to add runs to a folder whose finished ones other model rules made, touching
    nothing (`instead`: how to run it with this mc11; `done`: what it holds finished, a
    calibration's trials); one recording no rules passes, noted by `resume_note`."""
    if rules_changed(manifest):
        digest, package = _rules_of(manifest)
        which = f"the folder's {done} were" if RULES in manifest else \
            f"the {done} added when an mc11 resumed this folder of an earlier one were"
        raise InputError(str(folder), RULES, f"{which} made by other model rules "
                         f"(rules digest {digest}, mc11 {package}) than this mc11's "
                         f"({rules_digest()}, mc11 {__version__}): the model's code (the "
                         "engine, or the code around it that reads, seeds, draws and sets up a "
                         "run), its shipped data or the package version changed since they "
                         f"ran, and resuming would mix {done} of two versions of the rules in "
                         f"one result. Nothing in the folder was touched: {instead}, or resume "
                         "it with the mc11 that wrote it (`mc11 --version` shows an mc11's "
                         "rules digest)")


def finished_note(manifest: Mapping[str, Any], folder: Path) -> str | None:
    """What showing a complete calibration's stored results should say first if other model
    rules made its trials; None if they are this mc11's or not known."""
    if not rules_changed(manifest):
        return None
    digest, package = _rules_of(manifest)
    return (f"the trials of {folder} were made by other model rules (rules digest {digest}, "
            f"mc11 {package}) than this mc11's ({rules_digest()}, mc11 {__version__}), and its "
            "stored results, shown as they are, are theirs: this mc11 may give others. To "
            "see this mc11's, run the command with a new --dir")


def rerun_note(manifest: Mapping[str, Any], folder: Path | str) -> str | None:
    """What re-running a folder's runs here (`mc11 explain`) should say first if other model
    rules made them: the re-runs follow this mc11's rules, so they may not be the folder's."""
    if not rules_changed(manifest):
        return None
    which = f"the runs of {folder} were" if RULES in manifest else \
        f"some runs of {folder} (those added when an mc11 resumed it, an earlier mc11's) were"
    return (f"{which} made by other model rules (rules digest {_rules_of(manifest)[0]}) than "
            f"this mc11's ({rules_digest()}): they are re-run with this mc11's, so they may "
            "not be the folder's runs")


def resume_note(manifest: Mapping[str, Any], folder: Path, done: str = "runs") -> str | None:
    """What a resume of a folder whose rules are this mc11's should say: that it records no
    rules (an earlier mc11's), or that other library versions computed its finished runs; None
    if the same did (or if the rules differ: `refuse_other_rules` then refuses it). `done`:
    what the folder holds finished (a calibration's trials)."""
    if rules_changed(manifest):
        return None
    if RULES not in manifest:
        return (f"{folder} was written by an earlier mc11, which did not record the version of "
                f"the model's rules: resuming it with this mc11's, so its finished {done} and the "
                "new ones are one model's only if the model's code did not change since")
    now, before = record()[VERSIONS], manifest.get(VERSIONS)
    before = before if isinstance(before, dict) else {}
    changed = [name for name in now if before.get(name) != now[name]]
    if not changed:
        return None
    return (f"{folder} was started with "
            + ", ".join(f"{name} {before.get(name, '?')}" for name in changed)
            + "; resuming with " + ", ".join(f"{name} {now[name]}" for name in changed)
            + " (the same model rules; the folder keeps the versions it was started with)")


def mixed_rules_note(manifests: Mapping[str, Mapping[str, Any]]) -> str | None:
    """What comparing folders (`manifests` by folder) should say first if they record different
    model rules: a change between them is then the scenarios' and the rules' together. Folders
    recording none (an earlier mc11's) are left out: their rules are not known."""
    digests = {folder: manifest[RULES] for folder, manifest in manifests.items()
               if RULES in manifest}
    if len(set(digests.values())) < 2:
        return None
    return ("these folders were made by different model rules ("
            + "; ".join(f"{folder}: {digest}" for folder, digest in digests.items())
            + "), so a change between them is the scenarios' and the rules' together "
            "(`mc11 --version` shows this mc11's rules digest)")
