"""Where numba keeps the engine's compiled machine code: in a folder named by a hash of the
engine's whole source, so that no run uses machine code compiled from an earlier source.

numba caches each compiled function beside its own module and reuses it as long as that module's
file is unchanged, even when something it calls, inlines or reads from another module has
changed (the vector maths, the exchange rules' shared helpers, a constant such as a tolerance):
after such an edit a run would use the old machine code without a word. With one folder per
source hash, any edit of the engine compiles afresh. The engine's `__init__` points numba there
before any rule is defined; `mc11 compile` removes the folders of earlier sources.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import sys
from pathlib import Path

from simulation import __version__

ENGINE = Path(__file__).parent
PREFIX = "mc11-engine-"


@functools.cache
def source_digest() -> str:
    """A hash of this package's version and of every engine module's source as this process
    imported it (read once): what decides whether the engine's compiled machine code is still
    valid (numba checks its own version)."""
    digest = hashlib.sha256(__version__.encode())
    for source in sorted(ENGINE.rglob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


def use_versioned_cache() -> Path | None:
    """Point numba's cache at this source's folder, below NUMBA_CACHE_DIR if set, else the
    engine's `__pycache__`, else the user's cache folder (the first writable); return it, or
    None if none is writable (numba then caches where it would anyway). Through the environment,
    so that numba need not be imported yet (`mc11 --help` does not) and child processes share
    the folder."""
    name = PREFIX + source_digest()
    given = os.environ.get("NUMBA_CACHE_DIR")
    base = ENGINE / "__pycache__" if not given else \
        Path(given).parent if Path(given).name.startswith(PREFIX) else Path(given)
    for folder in (base / name, Path.home() / ".cache" / "mc11-ecommerce-sim" / name):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK):
            os.environ["NUMBA_CACHE_DIR"] = str(folder)
            if "numba" in sys.modules:  # it read the environment when it was imported
                sys.modules["numba"].config.CACHE_DIR = str(folder)
            return folder
    return None


def remove_earlier(folder: Path, engine: Path = ENGINE) -> tuple[int, int]:
    """Remove the machine code of earlier sources: the folders beside `folder` (this source's),
    and the files numba kept beside the `engine`'s modules before it had a folder of its own
    (with the stamps of compiled rules kept there then). How many folders and files, and their
    bytes."""
    removed = size = 0
    stale = [path for path in folder.parent.glob(PREFIX + "*") if path != folder and path.is_dir()]
    for path in stale:
        size += sum(file.stat().st_size for file in path.rglob("*") if file.is_file())
        shutil.rmtree(path, ignore_errors=True)
        removed += 1
    for pattern in ("*.nb[ic]", "mc11-rules-compiled-*"):
        for file in engine.glob(f"**/__pycache__/{pattern}"):
            size += file.stat().st_size
            file.unlink(missing_ok=True)
            removed += 1
    return removed, size
