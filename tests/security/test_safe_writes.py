"""Issue 12 #1: `generate -o` (and every writer behind it) never writes through a planted link,
never replaces a FIFO, socket or folder, and never opens a predictable temporary name: after each
attempt, nothing but the intended file has changed. (No test points a writer at a real device
node of this machine: a socket and a FIFO stand in for one, through the same refusal.)"""
from __future__ import annotations

import hashlib
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from support import ROOT

from gaie_tui.cli import main

REF = "inferencepool@v1.5.0"


def snapshot(root: Path) -> dict[str, tuple]:
    """Every entry under root: kind, mode, and content digest or link target (inode for FIFOs/sockets)."""
    out: dict[str, tuple] = {}
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            p = Path(dirpath) / name
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                out[str(p.relative_to(root))] = ("link", os.readlink(p))
            elif stat.S_ISREG(st.st_mode):
                out[str(p.relative_to(root))] = ("file", stat.S_IMODE(st.st_mode), st.st_ino,
                                                 hashlib.sha256(p.read_bytes()).hexdigest())
            else:
                out[str(p.relative_to(root))] = (stat.S_IFMT(st.st_mode), st.st_ino)
    return out


@pytest.fixture
def shared(tmp_path):
    """A shared folder (think /tmp) and another user's precious file elsewhere, in a world of
    their own (gaie-tui's cache and state folders live beside it and may change)."""
    world = tmp_path / "world"
    (world / "shared").mkdir(parents=True)
    victim = world / "victim"
    victim.mkdir()
    (victim / "precious").write_text("root's precious file\n")
    return world


def _generate(target: Path, capsys) -> tuple[int, str]:
    code = main(["generate", "--chart", REF, "-o", str(target)])
    return code, capsys.readouterr().err


def test_a_symlink_at_the_target_is_refused_and_nothing_changes(shared, capsys):
    target = shared / "shared" / "values.yaml"
    target.symlink_to(shared / "victim" / "precious")
    before = snapshot(shared)
    code, err = _generate(target, capsys)
    assert code == 2
    assert "symbolic link" in err and len(err.strip().splitlines()) == 1
    assert snapshot(shared) == before


@pytest.mark.parametrize("kind", ["fifo", "socket", "folder"])
def test_a_fifo_socket_or_folder_at_the_target_is_refused_not_replaced(shared, capsys, kind):
    target = shared / "shared" / "values.yaml"
    sock = None
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(target))
    else:
        target.mkdir()
    before = snapshot(shared)
    try:
        code, err = _generate(target, capsys)   # returns at once: a FIFO is never opened
    finally:
        if sock is not None:
            sock.close()
    assert code == 2
    assert {"fifo": "FIFO", "socket": "socket", "folder": "folder"}[kind] in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert snapshot(shared) == before


def test_another_users_planted_temp_names_are_never_opened(shared, capsys):
    folder = shared / "shared"
    victim = shared / "victim" / "precious"
    pid = os.getpid()
    # the names the old writers used (.NAME.tmp-PID), others a writer might use, and names of
    # the shape the safe writer's own temp files have (.NAME.XXXXXXXX.tmp): all links to the victim
    planted = [f".values.yaml.tmp-{pid}", f".values.yaml.{pid}", ".values.yaml.tmp", "values.yaml.tmp",
               f"values.yaml.{pid}", "values.yaml~", ".values.yaml.swp", ".values.yaml.new",
               *[f".values.yaml.{c * 8}.tmp" for c in "abcdefghijklmnopqrstuvwxyz0123456789_"]]
    for name in planted:
        (folder / name).symlink_to(victim)
    before = snapshot(shared)
    code, err = _generate(folder / "values.yaml", capsys)
    assert code == 0, err
    after = snapshot(shared)
    changed = {k for k in after if before.get(k) != after[k]} | {k for k in before if k not in after}
    assert changed == {"shared/values.yaml"}               # the intended file, and only it
    assert after["shared/values.yaml"][0] == "file"
    assert after["shared/values.yaml"][1] == 0o666 & ~_umask()
    assert (folder / "values.yaml").read_text().startswith("# gaie-tui: chart=inferencepool@v1.5.0")
    assert victim.read_text() == "root's precious file\n"


def test_an_existing_file_is_replaced_atomically_keeping_its_mode(shared, capsys):
    target = shared / "shared" / "values.yaml"
    target.write_text("old\n")
    os.chmod(target, 0o640)
    code, err = _generate(target, capsys)
    assert code == 0, err
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in target.parent.iterdir()) == ["values.yaml"]


def test_dev_stdout_and_dash_mean_standard_output(shared, capsys):
    for name in ("-", "/dev/stdout"):
        assert main(["generate", "--chart", REF, "-o", name]) == 0
        assert capsys.readouterr().out.startswith("# gaie-tui: chart=")


def test_a_300_character_output_name_is_one_line(shared, capsys):
    code, err = _generate(shared / "shared" / ("v" * 300), capsys)
    assert code == 2
    assert "too long" in err and len(err.strip().splitlines()) == 1
    assert os.listdir(shared / "shared") == []


@pytest.mark.parametrize("kind", ["symlink", "fifo"])
def test_sim_kubeconfig_out_refuses_links_and_fifos(shared, kind):
    target = shared / "shared" / "kubeconfig"
    if kind == "symlink":
        target.symlink_to(shared / "victim" / "precious")
    else:
        os.mkfifo(target)
    before = snapshot(shared)
    proc = subprocess.run([sys.executable, "-m", "gaie_tui.cli", "sim", "--kubeconfig-out", str(target)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "refusing" in proc.stderr and "Traceback" not in proc.stderr
    assert snapshot(shared) == before


def test_the_emulators_own_kubeconfig_writer_refuses_them_too(shared):
    from gaie_tui.sim.kubeconfig import UnsafeKubeconfigTarget, build, write_atomic
    link = shared / "shared" / "kubeconfig"
    link.symlink_to(shared / "victim" / "precious")
    before = snapshot(shared)
    with pytest.raises(UnsafeKubeconfigTarget):
        write_atomic(link, build("http://127.0.0.1:1"))
    assert snapshot(shared) == before


def _umask() -> int:
    old = os.umask(0)
    os.umask(old)
    return old
