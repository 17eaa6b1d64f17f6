"""Writing files without being tricked: every file gaie-tui writes goes through here.

- The target must be a regular file or not exist: a symbolic link, FIFO, device, socket or folder
  in its place is refused with a message (gaie-tui never writes through a link someone planted,
  and never turns `/dev/null` into a regular file).
- The new content goes to a temporary file with an unpredictable name, created exclusively
  (`mkstemp`: O_EXCL, mode 0600) beside the target, then renamed over it: a reader never sees half
  a file, and a name planted in a shared folder is never opened.
- Private files (drafts, records, logs, caches) are 0600 in folders made 0700.
"""
from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

from .errors import UserError

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700

_KINDS = ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


class UnsafeTarget(UserError):
    """The path is not somewhere gaie-tui will write (a link, a device, a missing folder …)."""


def kind_of(mode: int) -> str | None:
    """'a symbolic link', 'a FIFO (named pipe)' … for anything that is not a regular file."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return None if stat.S_ISREG(mode) else "not a regular file"


def _name(path: Path) -> str:
    from .textsafe import visible
    return visible(str(path))


def check_target(path: str | os.PathLike) -> Path:
    """The path, when it names a regular file or nothing yet; else UnsafeTarget saying why."""
    path = Path(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return path
    except OSError as exc:
        raise _os_error(path, exc) from None
    kind = kind_of(st.st_mode)
    if kind is not None:
        hint = "name a regular file (use `-o -` to write to standard output)"
        if stat.S_ISLNK(st.st_mode):
            hint = "gaie-tui does not write through symbolic links; name the file the link points to"
        raise UnsafeTarget(f"{_name(path)} is {kind}; refusing to replace it", hint)
    return path


def _os_error(path: Path, exc: OSError) -> UserError:
    if exc.errno == errno.ENAMETOOLONG:
        return UnsafeTarget(f"the file name is too long ({len(path.name)} characters): {_name(path)[:80]}…",
                            "choose a shorter file name")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return UnsafeTarget(f"no permission to write {_name(path)}", "choose a folder you can write to")
    if exc.errno == errno.ENOENT:
        return UnsafeTarget(f"the folder {_name(path.parent)} does not exist", "create it first, or choose another path")
    if exc.errno == errno.ENOTDIR:
        return UnsafeTarget(f"{_name(path.parent)} is not a folder", "choose a path inside a folder")
    if exc.errno == errno.ENOSPC:
        return UnsafeTarget(f"no space left to write {_name(path)}", "free some disk space")
    return UnsafeTarget(f"cannot write {_name(path)}: {exc.strerror or exc}", "check the path and its folder")


def ensure_private_dir(path: str | os.PathLike) -> Path:
    """Create the folder (and missing parents) 0700; a folder we own that exists is tightened to 0700.
    A symbolic link or a non-folder in its place is refused."""
    path = Path(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise _os_error(path, exc) from None
    if st is None:
        try:
            old = os.umask(0o077)
            try:
                path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
            finally:
                os.umask(old)
            st = os.lstat(path)
        except OSError as exc:
            raise _os_error(path, exc) from None
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafeTarget(f"{_name(path)} is {kind_of(st.st_mode)}, not a folder", "remove it or choose another folder")
    if st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) & 0o077:
        try:
            os.chmod(path, PRIVATE_DIR)
        except OSError:
            pass
    return path


def write_file(path: str | os.PathLike, data: str | bytes, *, private: bool = False) -> Path:
    """Replace (or create) `path` with `data`, atomically, refusing anything but a regular file.

    private=True: mode 0600 and the folder is made 0700 (drafts, records, logs, caches). Otherwise
    an existing file keeps its mode and a new one gets 0666 minus the umask, as any editor does."""
    path = check_target(path)
    parent = path.parent if str(path.parent) else Path(".")
    if private:
        ensure_private_dir(parent)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        existing = os.lstat(path)
    except OSError:
        existing = None
    if private:
        mode = PRIVATE_FILE
    elif existing is not None:
        mode = stat.S_IMODE(existing.st_mode)
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:60]}.", suffix=".tmp", dir=parent)
    except OSError as exc:
        raise _os_error(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
            os.fchmod(fh.fileno(), mode)
        check_target(path)  # re-checked just before the rename: a link planted meanwhile is not followed either way
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise _os_error(path, exc) from None
        raise
    return path


def write_text(path: str | os.PathLike, text: str, *, private: bool = False) -> Path:
    return write_file(path, text.encode("utf-8"), private=private)


def open_append(path: str | os.PathLike, *, private: bool = True):
    """A text handle appending to `path` (a log): never follows a symbolic link, refuses anything
    but a regular file, creates it 0600."""
    path = Path(path)
    if private:
        ensure_private_dir(path.parent)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_NONBLOCK", 0), PRIVATE_FILE if private else 0o666)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafeTarget(f"{_name(path)} is a symbolic link; refusing to write through it",
                               "remove the link") from None
        raise _os_error(path, exc) from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise UnsafeTarget(f"{_name(path)} is {kind_of(st.st_mode)}; refusing to write to it", "remove it")
    os.set_blocking(fd, True)
    if private and st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) != PRIVATE_FILE:
        os.fchmod(fd, PRIVATE_FILE)
    return os.fdopen(fd, "a", encoding="utf-8")


def private_temp_dir(prefix: str = "gaie-tui-") -> Path:
    """A new 0700 folder under the system temp folder (mkdtemp: unpredictable, exclusive)."""
    return Path(tempfile.mkdtemp(prefix=prefix))
