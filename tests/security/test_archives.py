"""Issue 12 #4 and #5: hostile chart archives — a zip-bomb-like member, ten thousand members,
names that climb out, links, an alias bomb in the chart's own values.yaml, a values.yaml that is
broken or a list — are refused with one line naming the problem, quickly and in bounded memory,
by every reader (knowledge, upstream inspection, the deep check's extraction)."""
from __future__ import annotations

import io
import os
import tarfile
import tracemalloc
import zlib
from pathlib import Path

import pytest
from support import CHARTS, alias_bomb

from gaie_tui.cli import main
from gaie_tui.core.charts import archive
from gaie_tui.core.charts.derive import load_chart
from gaie_tui.core.check.deep import chart_dir
from gaie_tui.core.errors import UserError
from gaie_tui.core.upstream.charts import CorruptArchive, inspect_archive

pytestmark = pytest.mark.xdist_group("security-archives")  # the 1 GB bomb is built once
MB = 1024 * 1024
CHART_YAML = b"apiVersion: v2\nname: evil\nversion: v1.0.0\n"
VALUES = b"inferenceExtension:\n  replicas: 1\n"
TEMPLATE = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  r: {{ .Values.inferenceExtension.replicas | quote }}\n"
ALIAS_BOMB = alias_bomb().encode()


def tgz(members: list[tarfile.TarInfo | tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.PAX_FORMAT) as tf:
        for m in members:
            if isinstance(m, tarfile.TarInfo):
                tf.addfile(m)
            else:
                info = tarfile.TarInfo(m[0])
                info.size = len(m[1])
                tf.addfile(info, io.BytesIO(m[1]))
    return buf.getvalue()


def chart(*extra, values: bytes = VALUES) -> list:
    return [("evil/Chart.yaml", CHART_YAML), ("evil/values.yaml", values),
            ("evil/templates/cm.yaml", TEMPLATE), *extra]


def link(name: str, target: str, hard: bool = False) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.LNKTYPE if hard else tarfile.SYMTYPE
    info.linkname = target
    return info


def zero_bomb(size: int, name: str = "evil/templates/big.yaml") -> bytes:
    """A gzip-compressed tar whose one member is `size` zero bytes (a few kB per 100 MB)."""
    head = tgz(chart())  # reuse the real members, then append a huge one by hand
    raw = zlib.decompress(head, 16 + zlib.MAX_WBITS)
    raw = raw[: raw.rfind(b"\0" * 1024)]  # drop the end-of-archive blocks
    raw = raw.rstrip(b"\0")
    raw += b"\0" * (-len(raw) % 512)
    info = tarfile.TarInfo(name)
    info.size = size
    comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    out = [comp.compress(raw), comp.compress(info.tobuf(tarfile.GNU_FORMAT))]
    block = b"\0" * MB
    for _ in range(size // MB):
        out.append(comp.compress(block))
    out.append(comp.compress(b"\0" * (size % MB + (-size % 512) + 1024)))
    out.append(comp.flush())
    return b"".join(out)


CASES = {
    "member-over-8-MB": (lambda: zero_bomb(1024 * MB), "members over 8 MB are refused"),
    "10k-members": (lambda: tgz(chart(*[(f"evil/templates/f{i}.yaml", b"") for i in range(10_000)])),
                    "more than 2000 members"),
    "expands-past-32-MB": (lambda: tgz(chart(*[(f"evil/files/z{i}", b"\0" * 7 * MB) for i in range(6)])),
                           "expands to more than 32 MB"),
    "path-traversal": (lambda: tgz(chart(("evil/../../x", b"owned"))), "climbs out of the chart folder"),
    "dotdot-first": (lambda: tgz([("../x", b"owned"), *chart()]), "climbs out of the chart folder"),
    "absolute-path": (lambda: tgz(chart(("/tmp/x", b"owned"))), "absolute path"),
    "symlink": (lambda: tgz(chart(link("evil/templates/passwd.yaml", "/etc/passwd"))), "symbolic link member"),
    "hardlink": (lambda: tgz(chart(link("evil/templates/h.yaml", "/etc/shadow", hard=True))), "hard link member"),
    "values-alias-bomb": (lambda: tgz(chart(values=ALIAS_BOMB)), "alias bomb"),
    "values-broken": (lambda: tgz(chart(values=b"a: [1, 2\nb: }\n")), "is not valid YAML (line"),
    "values-a-list": (lambda: tgz(chart(values=b"- 1\n- 2\n")), "is a list, not a mapping"),
    "values-bad-tag": (lambda: tgz(chart(values=b"replicas: !!int abc\n")), "a value YAML cannot build"),
    "chart-yaml-alias-bomb": (lambda: tgz([("evil/Chart.yaml", CHART_YAML + ALIAS_BOMB), *chart()[1:]]),
                              "alias bomb"),
    "not-gzip": (lambda: b"<html>proxy login</html>", "not a readable chart archive"),
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    out = {}
    for name, (build, _) in CASES.items():
        out[name] = folder / f"{name}.tgz"
        out[name].write_bytes(build())
    return out


@pytest.mark.parametrize("case", list(CASES))
def test_knowledge_refuses_it_with_a_message_in_bounded_memory(hostile, case):
    tracemalloc.start()
    try:
        with pytest.raises(UserError) as err:
            load_chart(hostile[case])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert CASES[case][1] in str(err.value)
    assert str(hostile[case]) in str(err.value)
    assert peak < 80 * MB, f"{peak / MB:.0f} MB"


@pytest.mark.parametrize("case", [c for c in CASES if not c.startswith(("values-", "chart-yaml"))])
def test_the_deep_checks_extraction_refuses_it_and_leaves_nothing(hostile, case):
    from gaie_tui.core.scratch import process_folder
    chart_dir(CHARTS / "inferencepool-v1.0.0.tgz")   # the private extraction root exists from here on
    root = process_folder("charts")
    before = sorted(root.iterdir())
    with pytest.raises(UserError) as err:
        chart_dir(hostile[case])
    assert CASES[case][1] in str(err.value)
    assert sorted(root.iterdir()) == before            # a refused archive leaves no half-extracted folder


@pytest.mark.parametrize("case", ["member-over-8-MB", "10k-members", "path-traversal", "symlink", "hardlink"])
def test_upstream_inspection_refuses_it(hostile, case):
    with pytest.raises(CorruptArchive) as err:
        inspect_archive(hostile[case])
    assert CASES[case][1] in str(err.value)


def test_a_1_gb_member_is_refused_without_decompressing_it(hostile, monkeypatch):
    """The header says 1 GB (the archive is 1 MB): refused when the header is read, after a few
    kB of output, not after decompressing 1 GB of zeros."""
    assert hostile["member-over-8-MB"].stat().st_size < 2 * MB
    seen = []
    read = archive._Capped.read

    def counting(self, n=-1):
        data = read(self, n)
        seen.append(self.count)
        return data

    monkeypatch.setattr(archive._Capped, "read", counting)
    with pytest.raises(UserError, match="members over 8 MB"):
        archive.read_archive(hostile["member-over-8-MB"])
    assert max(seen) < MB


@pytest.mark.parametrize("case", ["values-alias-bomb", "path-traversal", "symlink", "values-a-list",
                                  "values-broken", "10k-members", "member-over-8-MB"])
def test_validate_deep_with_it_is_one_line_and_exit_2(hostile, case, tmp_path, capsys):
    values = tmp_path / "v.yaml"
    values.write_text("inferenceExtension:\n  replicas: 1\n")
    code = main(["validate", str(values), "--chart", str(hostile[case]), "--deep"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("gaie-tui: error: ") and len(err.strip().splitlines()) == 1
    assert CASES[case][1] in err


def test_only_what_helm_needs_is_extracted_into_a_private_folder(tmp_path):
    src = tgz(chart(("evil/README.md", b"# readme"), ("evil/ci/secret.env", b"TOKEN=x"),
                    ("evil/crds/crd.yaml", b"kind: CustomResourceDefinition\n"),
                    ("evil/charts/sub/Chart.yaml", b"apiVersion: v2\nname: sub\nversion: 0.1.0\n"),
                    ("evil/charts/sub/README.md", b"# sub"), ("evil/charts/sub/templates/a.yaml", b"a: 1\n"),
                    ("evil/values.schema.json", b"{}")))
    path = tmp_path / "ok.tgz"
    path.write_bytes(src)
    dest = tmp_path / "out"
    dest.mkdir(mode=0o700)
    top = archive.extract_chart(path, dest)
    got = sorted(str(p.relative_to(top)) for p in top.rglob("*") if p.is_file())
    assert got == ["Chart.yaml", "charts/sub/Chart.yaml", "charts/sub/templates/a.yaml", "crds/crd.yaml",
                   "templates/cm.yaml", "values.schema.json", "values.yaml"]
    assert all(oct(p.stat().st_mode & 0o777) == "0o600" for p in top.rglob("*") if p.is_file())


def test_a_chart_whose_templates_read_files_gets_its_other_files_too(tmp_path):
    tpl = b'data:\n  c: {{ .Files.Get "config/x.txt" | quote }}\n'
    path = tmp_path / "files.tgz"
    path.write_bytes(tgz(chart(("evil/templates/f.yaml", tpl), ("evil/config/x.txt", b"hello"))))
    dest = tmp_path / "out"
    dest.mkdir()
    top = archive.extract_chart(path, dest)
    assert (top / "config" / "x.txt").read_bytes() == b"hello"


def test_every_real_chart_still_reads_and_extracts(tmp_path):
    for path in sorted(CHARTS.glob("*.tgz")):
        k = load_chart(path)
        assert k.name and k.version and k.defaults
        dest = tmp_path / path.stem
        dest.mkdir()
        top = archive.extract_chart(path, dest)
        names = {str(p.relative_to(top)) for p in top.rglob("*") if p.is_file()}
        assert "Chart.yaml" in names and "values.yaml" in names and "README.md" not in names
        assert os.stat(top).st_mode & 0o077 == 0
