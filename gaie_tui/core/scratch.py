"""Private scratch folders for files that hold what must not linger (values on their way to helm,
the charts a deep check renders): 0700 folders under the state folder, named after the process
that made them. A process killed outright (`kill -9`) cannot remove its own, so the first scratch
folder a process asks for — and every deploy engine — sweeps the folders of processes that are gone.

    with scratch() as folder: …         one use, removed when the block ends
    process_folder("charts")            one folder for this process's lifetime (extracted charts),
                                        removed when it exits normally, swept after a kill
"""
from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from .paths import state_dir
from .safeio import ensure_private_dir

_LOCK = threading.Lock()
_SWEPT: set[str] = set()                   # scratch roots swept by this process
_PROCESS: dict[tuple[str, str], Path] = {}  # (root, purpose) → this process's folder


def root() -> Path:
    return state_dir() / "scratch"


def _base() -> Path:
    base = ensure_private_dir(root())
    with _LOCK:
        first = str(base) not in _SWEPT
        _SWEPT.add(str(base))
    if first:
        with contextlib.suppress(OSError):
            sweep()
    return base


@contextlib.contextmanager
def scratch() -> Iterator[Path]:
    """A new private folder, removed when the block ends."""
    path = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=_base()))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def process_folder(purpose: str) -> Path:
    """This process's private folder for `purpose`, made on first use and removed at exit."""
    base = _base()
    key = (str(base), purpose)
    with _LOCK:
        folder = _PROCESS.get(key)
        if folder is None or not folder.is_dir():
            folder = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-{purpose}-", dir=base))
            _PROCESS[key] = folder
            atexit.register(shutil.rmtree, folder, True)
        return folder


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
