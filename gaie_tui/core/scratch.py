"""Private scratch folders for files that hold what must not linger (values on their way to helm):
0700 folders under the state folder, one per use, removed after it. A process killed outright
cannot remove its own, so every start sweeps the folders of processes that are gone."""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .paths import state_dir
from .safeio import ensure_private_dir


def root() -> Path:
    return state_dir() / "scratch"


@contextlib.contextmanager
def scratch() -> Iterator[Path]:
    """A new private folder, removed when the block ends."""
    base = ensure_private_dir(root())
    path = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=base))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep() -> list[Path]:
    """Remove the scratch folders left by processes that no longer run; returns what went."""
    gone = []
    try:
        entries = list(root().iterdir())
    except OSError:
        return gone
    for entry in entries:
        pid = entry.name.split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)
            gone.append(entry)
    return gone
