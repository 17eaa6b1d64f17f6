"""Kubeconfig documents for the simulated cluster, written atomically (temp file + rename) so a
reader never sees half a file."""
from __future__ import annotations

import base64
import os
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


def write_atomic(path: Path, config: dict) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            yaml.safe_dump(config, fh, sort_keys=False)
        os.chmod(tmp, 0o600)  # it may hold a bearer token
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
