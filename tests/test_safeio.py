"""Writers never write through a planted link, never replace a FIFO or device, never open a
predictable temp name, and keep private files 0600 in 0700 folders."""
from __future__ import annotations

import os
import stat

import pytest

from gaie_tui.core.errors import UserError
from gaie_tui.core.safeio import ensure_private_dir, open_append, write_text
from gaie_tui.core.textsafe import clip, visible


def test_write_replaces_a_regular_file_atomically_and_keeps_its_mode(tmp_path):
    target = tmp_path / "values.yaml"
    target.write_text("old\n")
    os.chmod(target, 0o640)
    write_text(target, "new\n")
    assert target.read_text() == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["values.yaml"]  # no temp file left


def test_a_symlink_in_the_way_is_refused_and_its_target_untouched(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    link = tmp_path / "values.yaml"
    link.symlink_to(victim)
    with pytest.raises(UserError, match="symbolic link"):
        write_text(link, "evil\n")
    assert victim.read_text() == "precious\n"
    assert link.is_symlink()


def test_a_fifo_is_refused_not_replaced(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(UserError, match="FIFO"):
        write_text(fifo, "x")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_planted_temp_name_is_never_opened(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    # the names the old writers used: .NAME.tmp-PID and .NAME.PID
    for name in (f".values.yaml.tmp-{os.getpid()}", f".values.yaml.{os.getpid()}", ".values.yaml.tmp"):
        (tmp_path / name).symlink_to(victim)
    write_text(tmp_path / "values.yaml", "mine\n")
    assert victim.read_text() == "precious\n"
    assert (tmp_path / "values.yaml").read_text() == "mine\n"


def test_private_files_are_0600_in_0700_folders_whatever_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        path = write_text(tmp_path / "state" / "draft.json", "{}", private=True)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_an_existing_private_folder_is_tightened(tmp_path):
    folder = tmp_path / "records"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    ensure_private_dir(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_append_refuses_a_symlinked_log(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("")
    (tmp_path / "gaie-tui.log").symlink_to(victim)
    with pytest.raises(UserError, match="symbolic link"):
        open_append(tmp_path / "gaie-tui.log")
    assert victim.read_text() == ""


def test_a_too_long_name_is_one_clear_message(tmp_path):
    with pytest.raises(UserError, match="too long"):
        write_text(tmp_path / ("v" * 300 + ".yaml"), "x")


def test_visible_shows_escape_sequences_instead_of_sending_them():
    osc52 = "\x1b]52;c;ZXZpbA==\x07"
    assert visible(f"image{osc52}") == "image\\x1b]52;c;ZXZpbA==\\x07"
    assert visible("a\x9bb\u202ec") == "a\\x9bb\\u202ec"
    assert visible("two\nlines\ttab") == "two\nlines\ttab"
    assert visible("two\nlines", one_line=True) == "two\\nlines"
    assert visible("crlf\r\nend") == "crlf\nend"
    assert clip("x" * 10, 5) == "xxxx…"
