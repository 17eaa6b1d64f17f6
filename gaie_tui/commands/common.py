"""Pieces several subcommands share: chart selection, bounded input, safe output."""
from __future__ import annotations

import errno
import os
import stat
import sys
from pathlib import Path

from ..core.charts.refs import ChartRef, default_ref, parse_ref
from ..core.errors import UserError

# What the user may name instead of a file to mean standard output: the only "device" a writer
# writes through, because the user named it explicitly.
STDOUT_NAMES = ("-", "/dev/stdout")


def add_chart_argument(parser, help_text: str = "chart: inferencepool@v1.5.0, llm-d-router-gateway@v0.10.0, "
                                                "a .tgz path, or oci://…@version") -> None:
    parser.add_argument("--chart", metavar="REF", help=help_text)


def chart_ref(text: str | None, fallback: str | None = None) -> ChartRef:
    if text:
        return parse_ref(text)
    if fallback:
        return parse_ref(fallback)
    return default_ref()


def knowledge_store(offline: bool = False):
    """Charts from local archives, bundled knowledge, then the network (cache, helm pull)."""
    from ..core.charts.store import KnowledgeStore
    from ..core.upstream import Upstream

    return KnowledgeStore(upstream=Upstream.from_env(offline=offline))


def write_output(text: str, path: str | None) -> None:
    """Standard output, or a file written through core.safeio: atomically (never a half-written
    values file), never through a symbolic link, never replacing a FIFO, device or folder."""
    if not path or path in STDOUT_NAMES:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from ..core.safeio import write_text
    write_text(Path(path), text)


def shown(text: object) -> str:
    """A file name or any outside text in a message: control characters made visible."""
    from ..core.textsafe import visible
    return visible(text, one_line=True)


def read_input(path: str, what: str = "values file") -> bytes:
    """The bytes of a values file (`-` is standard input), read with a bound: at most the values
    size limit plus one byte, so `/dev/zero` or a 4 GB file costs 2 MB, not the machine's memory.
    The caller reports a file over the limit (core.values.source.decode does)."""
    from ..core.values.source import MAX_BYTES
    if path == "-":
        try:
            return sys.stdin.buffer.read(MAX_BYTES + 1)
        except OSError as exc:
            raise UserError(f"cannot read standard input: {exc.strerror or exc}", "give a file name instead") from None
    try:
        with open(path, "rb") as fh:
            return fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise UserError(f"{what} {shown(path)} does not exist",
                        "check the file name (gaie-tui generate -o values.yaml writes one)") from None
    except IsADirectoryError:
        raise UserError(f"{what} {shown(path)} is a folder", "give a values file") from None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise UserError(f"the file name is too long ({len(os.path.basename(path))} characters)",
                            "check the path") from None
        raise UserError(f"cannot read {what} {shown(path)}: {exc.strerror or exc}",
                        "check the path and permissions") from None


def read_values_text(path: str, what: str = "values file") -> str:
    """A values file as text, bounded and decoded, or a one-line UserError saying what is wrong
    (too large, not UTF-8) with the file's name and the position."""
    from ..core.values.source import MAX_BYTES, decode
    data = read_input(path, what)
    if len(data) > MAX_BYTES:
        raise UserError(f"{what} {shown(path)} {_size_of(path, MAX_BYTES)}; values files over "
                        f"{MAX_BYTES // 1024 // 1024} MB are refused",
                        "a values file holds settings, not data: check you named the right file")
    text, problem = decode(data)
    if problem is not None:
        where = f":{problem.line}:{problem.column}" if problem.code == "yaml-encoding" else ""
        raise UserError(f"{what} {shown(path)}{where}: {problem.message}", problem.hint)
    return text


def _size_of(path: str, limit: int) -> str:
    """'is 3.1 MB' for a file; what was read for a pipe or device (whose size is unknown)."""
    try:
        st = os.stat(path) if path != "-" else None
    except OSError:
        st = None
    if st is not None and stat.S_ISREG(st.st_mode):
        return f"is {st.st_size / 1024 / 1024:.1f} MB"
    return f"gave more than {limit // 1024 // 1024} MB (not a regular file; reading stopped there)"


def use_color(stream=sys.stdout) -> bool:
    return stream.isatty() and not os.environ.get("NO_COLOR")


def connect(args):
    """(cluster, helm binary) for a command's --kubeconfig/--context, the cluster answering;
    UserError when either is unusable."""
    from ..core.cluster import helm as helm_mod
    from ..core.cluster.kube import Cluster, ClusterError
    binary, _ = helm_mod.check_helm()
    try:
        cluster = Cluster.connect(args.kubeconfig, args.context)
        cluster.ping()
    except ClusterError as exc:
        raise UserError(exc.message, exc.hint) from None
    return cluster, binary
