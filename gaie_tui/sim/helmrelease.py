"""Helm release Secrets in helm's own storage format, for scenarios that start with a release.

helm keeps each revision in a Secret `sh.helm.release.v1.<name>.v<revision>` of type
`helm.sh/release.v1`, labelled name/owner/status/version, whose `release` key holds
base64(gzip(JSON)) of the release (and the API base64-encodes Secret data once more).
"""
from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, datetime


def encode_release(release: dict) -> str:
    """The `data.release` value as stored by the API (base64 of helm's base64 of gzip of JSON)."""
    inner = base64.b64encode(gzip.compress(json.dumps(release).encode(), mtime=0))
    return base64.b64encode(inner).decode()


def decode_release(data_value: str) -> dict:
    """Inverse of encode_release, for readers of release Secrets (and tests)."""
    inner = base64.b64decode(base64.b64decode(data_value))
    return json.loads(gzip.decompress(inner) if inner[:2] == b"\x1f\x8b" else inner)


def release_secret(name: str, namespace: str, *, revision: int = 1, status: str = "pending-install",
                   chart: str = "inferencepool", chart_version: str = "v1.5.0", values: dict | None = None,
                   manifest: str = "", description: str = "Initial install underway") -> dict:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")
    release = {
        "name": name, "namespace": namespace, "version": revision,
        "info": {"first_deployed": now, "last_deployed": now, "deleted": "", "description": description,
                 "status": status},
        "chart": {"metadata": {"name": chart, "version": chart_version, "appVersion": chart_version,
                               "apiVersion": "v2", "type": "application",
                               "description": "A Helm chart for InferencePool"},
                  "lock": None, "templates": [], "values": {}, "schema": None, "files": []},
        "config": values or {}, "manifest": manifest,
    }
    return {
        "apiVersion": "v1", "kind": "Secret", "type": "helm.sh/release.v1",
        "metadata": {"name": f"sh.helm.release.v1.{name}.v{revision}", "namespace": namespace,
                     "labels": {"name": name, "owner": "helm", "status": status, "version": str(revision)}},
        "data": {"release": encode_release(release)},
    }
