"""Reading a chart archive (`.tgz`) without trusting it.

A chart archive is a few dozen files and under 100 kB expanded. One from elsewhere may be built to
hurt: a member that expands to gigabytes, ten thousand members, names that climb out of the
folder (`../x`, `/etc/x`), symbolic or hard links, devices. Everything here streams the archive
once through a decompressor whose output is counted, so the limits hold before any memory or disk
is spent, whatever tar headers claim:

- at most MAX_MEMBERS members, MAX_MEMBER_BYTES per file, MAX_TOTAL_BYTES expanded in all;
- only regular files and folders, with relative names that stay inside the archive;
- nested chart archives (`charts/x.tgz`) at most MAX_NESTING deep, each under the same limits.

Breaking a limit or a rule raises UnsafeArchive; a file that is no gzip/tar raises BadArchive.
"""
from __future__ import annotations

import gzip
import io
import os
import tarfile
import zlib
from pathlib import Path, PurePosixPath

from ..errors import UserError

MAX_ARCHIVE_BYTES = 20 * 1024 * 1024   # compressed; real charts are ~10-20 kB
MAX_MEMBERS = 2000
MAX_MEMBER_BYTES = 8 * 1024 * 1024
MAX_TOTAL_BYTES = 32 * 1024 * 1024     # expanded; the largest real chart here is 81 kB
MAX_NESTING = 3
_HEADER_ALLOWANCE = 4096                # per member: tar headers, long-name and pax records

HINT = "this is not a chart archive helm would build; check where it came from, or download it again"


class BadArchive(UserError):
    """Not a readable gzip-compressed tar; `detail` is what the reader said."""

    def __init__(self, message: str, hint: str = "", detail: str = "") -> None:
        super().__init__(message, hint)
        self.detail = detail


class UnsafeArchive(UserError):
    """A member or a size breaks the rules above."""


class _Exceeded(Exception):
    pass


class _Capped(io.RawIOBase):
    """A reader that raises once more than `cap` bytes came out of it (the decompressed stream:
    a pax header or member that claims gigabytes cannot make tarfile read them)."""

    def __init__(self, inner, cap: int) -> None:
        self.inner, self.cap, self.count = inner, cap, 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = self.cap - self.count + 1
        data = self.inner.read(min(n, self.cap - self.count + 1))
        self.count += len(data)
        if self.count > self.cap:
            raise _Exceeded
        return data

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:g} MB"


def member_name(raw: str, label: str) -> str | None:
    """The member's path inside the archive, normalised; None for the archive's root entry.
    UnsafeArchive for names that are absolute or climb out (`..`)."""
    name = raw.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchive(f"{label} has a member with an absolute path ({_shown(raw)})", HINT)
    parts = [p for p in PurePosixPath(name).parts if p not in ("", ".")]
    if ".." in parts:
        raise UnsafeArchive(f"{label} has a member that climbs out of the chart folder ({_shown(raw)})", HINT)
    return "/".join(parts) or None


def _shown(text: str) -> str:
    from ..textsafe import clip
    return clip(text, 120)


def read_archive(source: bytes | str | os.PathLike, label: str = "", *, keep=None,
                 _depth: int = 0) -> dict[str, bytes]:
    """The regular files of the archive by normalised path (those `keep(name)` accepts; all when
    keep is None), read under the limits. Every member is streamed through and checked, kept or
    not: a truncated or hostile archive fails whatever the caller wants from it."""
    label = label or (str(source) if not isinstance(source, bytes) else "chart archive")
    if _depth > MAX_NESTING:
        raise UnsafeArchive(f"{label} nests chart archives more than {MAX_NESTING} deep", HINT)
    if isinstance(source, bytes):
        if len(source) > MAX_ARCHIVE_BYTES:
            raise UnsafeArchive(f"{label} is {_mb(len(source))}; chart archives over "
                                f"{_mb(MAX_ARCHIVE_BYTES)} are refused", HINT)
        return _stream(io.BytesIO(source), label, keep)
    path = Path(source)
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > MAX_ARCHIVE_BYTES:
                raise UnsafeArchive(f"{label} is {_mb(size)}; chart archives over "
                                    f"{_mb(MAX_ARCHIVE_BYTES)} are refused", HINT)
            return _stream(fh, label, keep)
    except OSError as exc:
        raise BadArchive(f"cannot read chart archive {label}: {exc.strerror or exc}",
                         "check the path and permissions") from None


def _stream(raw, label: str, keep=None) -> dict[str, bytes]:
    head = raw.read(2)
    raw.seek(0)
    decompressed = gzip.GzipFile(fileobj=raw, mode="rb") if head == b"\x1f\x8b" else raw
    capped = _Capped(decompressed, MAX_TOTAL_BYTES + MAX_MEMBERS * _HEADER_ALLOWANCE)
    files: dict[str, bytes] = {}
    count = total = 0
    try:
        with tarfile.open(fileobj=io.BufferedReader(capped), mode="r|") as tf:
            for m in tf:
                count += 1
                if count > MAX_MEMBERS:
                    raise UnsafeArchive(f"{label} has more than {MAX_MEMBERS} members", HINT)
                name = member_name(m.name, label)
                if m.isdir() or name is None:
                    continue
                if m.issym() or m.islnk():
                    kind = "symbolic link" if m.issym() else "hard link"
                    raise UnsafeArchive(f"{label} has a {kind} member ({_shown(m.name)} → "
                                        f"{_shown(m.linkname)})", HINT)
                if not m.isreg():
                    raise UnsafeArchive(f"{label} has a member that is not a regular file ({_shown(m.name)})", HINT)
                if m.size > MAX_MEMBER_BYTES:
                    raise UnsafeArchive(f"{label}: member {_shown(name)} expands to {_mb(m.size)}; "
                                        f"members over {_mb(MAX_MEMBER_BYTES)} are refused", HINT)
                total += m.size
                if total > MAX_TOTAL_BYTES:
                    raise UnsafeArchive(f"{label} expands to more than {_mb(MAX_TOTAL_BYTES)}", HINT)
                if keep is not None and not keep(name):
                    continue  # tarfile reads past its data (through the capped stream) on the next member
                fh = tf.extractfile(m)
                data = fh.read(m.size + 1) if fh is not None else b""
                if len(data) != m.size:
                    raise BadArchive(f"{label} is truncated or damaged (member {_shown(name)})",
                                     "download it again")
                files[name] = data
    except _Exceeded:
        raise UnsafeArchive(f"{label} expands to more than {_mb(MAX_TOTAL_BYTES)}", HINT) from None
    except (tarfile.TarError, gzip.BadGzipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        first = str(exc).splitlines()[0].rstrip(":") if str(exc) else "unexpected end of data"
        raise BadArchive(f"{label} is not a readable chart archive (not a gzip-compressed tar: {_shown(first)})",
                         "download it again, e.g. `helm pull oci://… --version vX.Y.Z`", _shown(first)) from None
    return files


def read_folder(root: Path, label: str = "") -> dict[str, bytes]:
    """A chart folder's files under the same count and size limits (symbolic links to files are
    followed, as helm does; folders reached through links are not)."""
    label = label or str(root)
    files: dict[str, bytes] = {}
    total = 0
    for dirpath, _dirs, names in os.walk(root):
        for n in names:
            p = Path(dirpath) / n
            if not p.is_file():
                continue
            if len(files) >= MAX_MEMBERS:
                raise UnsafeArchive(f"{label} has more than {MAX_MEMBERS} files", "point at the chart's own folder")
            rel = p.relative_to(root).as_posix()
            size = p.stat().st_size
            if size > MAX_MEMBER_BYTES:
                raise UnsafeArchive(f"{label}: {_shown(rel)} is {_mb(size)}; chart files over "
                                    f"{_mb(MAX_MEMBER_BYTES)} are refused", "point at the chart's own folder")
            total += size
            if total > MAX_TOTAL_BYTES:
                raise UnsafeArchive(f"{label} holds more than {_mb(MAX_TOTAL_BYTES)}", "point at the chart's own folder")
            with open(p, "rb") as fh:
                files[rel] = fh.read(MAX_MEMBER_BYTES + 1)
    return files


def chart_top(files: dict[str, bytes], label: str) -> str:
    """The archive's chart folder: the top-level folder holding Chart.yaml."""
    tops = sorted({n.split("/", 1)[0] for n in files if n.count("/") == 1 and n.endswith("/Chart.yaml")})
    if not tops:
        raise BadArchive(f"{label} has no Chart.yaml in a chart folder", "a helm chart archive is what `helm package` "
                         "or `helm pull` writes")
    return tops[0]


# ---- what helm needs to render ------------------------------------------------------------------
_CHART_FILES = {"Chart.yaml", "Chart.lock", "requirements.yaml", "requirements.lock", "values.yaml",
                "values.schema.json", ".helmignore"}
_CHART_FOLDERS = ("templates/", "crds/")


def needed_by_helm(rel: str, uses_files: bool) -> bool:
    """Whether helm reads this file (a path inside the chart folder) to render the chart: its
    metadata, values and schema, templates, CRDs and subcharts (each judged the same way). Other
    files (README, LICENSE, CI folders) matter only to a chart whose templates read `.Files`."""
    if uses_files:
        return True
    while True:
        if rel in _CHART_FILES or rel.startswith(_CHART_FOLDERS):
            return True
        if not rel.startswith("charts/"):
            return False
        rest = rel[len("charts/"):]
        if "/" not in rest:
            return rest.endswith(".tgz")   # a vendored dependency archive
        rel = rest.split("/", 1)[1]         # inside charts/<sub>/: the same rules


def chart_member_needed(name: str) -> bool:
    """For readers of a chart's knowledge: `<chart>/…` members helm reads to render."""
    top, sep, rel = name.partition("/")
    return bool(sep) and needed_by_helm(rel, False)


def extract_chart(archive: Path, dest: Path, label: str = "") -> Path:
    """Extract what helm needs from `archive` into the empty folder `dest` (which the caller made
    private), under the limits; returns the chart folder inside it. Files are created 0600 with
    O_EXCL | O_NOFOLLOW in folders this function made, so nothing in the archive can point a
    write anywhere else."""
    label = label or str(archive)
    files = read_archive(archive, label)
    top = chart_top(files, label)
    inside = {n[len(top) + 1:]: b for n, b in files.items() if n.startswith(top + "/")}
    uses_files = any(".Files" in b.decode("utf-8", "replace") for n, b in inside.items()
                     if n.startswith("templates/") or "/templates/" in n)
    root = dest / top
    root.mkdir(mode=0o700)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    for rel, data in inside.items():
        if not needed_by_helm(rel, uses_files):
            continue
        target = root / rel
        try:
            _private_dirs(root, target.parent)
            fd = os.open(target, flags, 0o600)
        except OSError as exc:  # `templates` as a file and as a folder, a name too long …
            raise BadArchive(f"{label}: member {_shown(rel)} cannot be extracted ({exc.strerror or exc})", HINT) from None
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    return root


def _private_dirs(root: Path, folder: Path) -> None:
    """Every missing folder from `root` down to `folder`, 0700 (`mkdir(parents=True)` makes the
    intermediate ones with the default mode)."""
    for part in reversed([folder, *folder.parents]):
        if part == root or root not in part.parents:
            continue
        if not part.is_dir():
            part.mkdir(mode=0o700)
