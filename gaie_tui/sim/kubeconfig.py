"""Kubeconfig documents for the simulated cluster, written atomically (temp file + rename) so a
reader never sees half a file."""
from __future__ import annotations

import base64
import errno
import os
import stat
import tempfile
from pathlib import Path

import yaml

CONTEXT = "gaie-sim"


def build(url: str, *, context: str = CONTEXT, namespace: str = "default", token: str | None = None,
          ca_pem: bytes | None = None) -> dict:
    cluster: dict = {"server": url}
    if ca_pem:
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem).decode()
    user: dict = {"token": token} if token else {"username": "gaie-sim-admin"}
    return {
        "apiVersion": "v1", "kind": "Config", "preferences": {},
        "clusters": [{"name": context, "cluster": cluster}],
        "users": [{"name": f"{context}-admin", "user": user}],
        "contexts": [{"name": context, "context": {"cluster": context, "user": f"{context}-admin",
                                                   "namespace": namespace}}],
        "current-context": context,
    }


class UnsafeKubeconfigTarget(OSError):
    """The path holds something that is not a regular file (a link, FIFO, device, folder)."""


def _refuse_non_regular(path: Path) -> None:
    # the emulator never imports core, so core.safeio's rule is repeated here: a link planted in
    # the way is not written through, and a FIFO or `/dev/null` is never replaced by a file
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(st.st_mode):
        kind = "a symbolic link" if stat.S_ISLNK(st.st_mode) else "not a regular file"
        raise UnsafeKubeconfigTarget(errno.EEXIST, f"{path} is {kind}; refusing to replace it")


def write_atomic(path: Path, config: dict) -> Path:
    """Write the kubeconfig 0600 through an exclusive temp file (mkstemp) beside it, then rename."""
    path = Path(path)
    _refuse_non_regular(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:60]}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            yaml.safe_dump(config, fh, sort_keys=False)
        os.chmod(tmp, 0o600)  # it may hold a bearer token
        _refuse_non_regular(path)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
