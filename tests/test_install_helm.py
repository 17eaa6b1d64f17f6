"""scripts/install-helm uses a helm that is already good enough, and refuses an old one."""
from __future__ import annotations

import os
import subprocess
import sys

from support import ROOT

SCRIPT = ROOT / "scripts" / "install-helm"


def fake_helm(folder, version: str):
    folder.mkdir(parents=True, exist_ok=True)
    helm = folder / "helm"
    helm.write_text(f"#!/bin/sh\necho '{version}'\n")
    helm.chmod(0o755)
    return helm


def run(tmp_path, path_dir, dest):
    env = {**os.environ, "PATH": f"{path_dir}:/usr/bin:/bin"}
    return subprocess.run([sys.executable, str(SCRIPT), "--dest", str(dest)], capture_output=True, text=True,
                          env=env, timeout=120)


def test_a_recent_helm_on_path_is_used_as_is(tmp_path):
    helm = fake_helm(tmp_path / "bin", "v3.14.2")
    r = run(tmp_path, tmp_path / "bin", tmp_path / "tools")
    assert r.returncode == 0
    assert r.stdout.strip() == str(helm)
    assert not (tmp_path / "tools").exists()  # nothing downloaded


def test_an_existing_local_helm_v4_is_reused(tmp_path, helm_bin):
    dest = tmp_path / "tools"
    dest.mkdir()
    (dest / "helm").symlink_to(helm_bin)
    r = run(tmp_path, tmp_path / "empty", dest)
    assert r.returncode == 0 and r.stdout.strip() == str(dest / "helm")


def test_the_project_helm_is_a_real_v4(helm_bin):
    out = subprocess.run([helm_bin, "version", "--template", "{{.Version}}"], capture_output=True, text=True).stdout
    assert out.startswith("v4.")
