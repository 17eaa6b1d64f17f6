"""Chart knowledge derived from a chart archive (`.tgz`) or folder.

What we learn, all from the chart itself: name and version, the default values exactly as helm
merges them (library subcharts under their alias), the comment above each key (it becomes field
documentation), and which values paths the templates read. `schema.py` turns this into a JSON
Schema; `layouts.py` classifies it against the known value layouts.
"""
from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from ..errors import UserError
from ..textsafe import visible
from . import archive, safeyaml
from . import templates as gotemplate

MAX_ARCHIVE_BYTES = archive.MAX_ARCHIVE_BYTES  # real charts are ~50 kB; refuse anything absurd


@dataclass
class ChartKnowledge:
    name: str
    version: str
    app_version: str = ""
    defaults: dict = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)    # dotted path → comment text
    reads: dict[str, list[str]] = field(default_factory=dict)  # path → how templates use it
    required: list[str] = field(default_factory=list)
    forbidden: list[str] = field(default_factory=list)         # top-level keys that fail the render
    subcharts: dict[str, str] = field(default_factory=dict)    # alias → subchart name
    digest: str = ""                                          # sha256 of the archive ("" for folders)

    def to_json(self, *, comments: bool = True) -> dict:
        data = asdict(self)
        data.pop("digest")  # bundled data must equal a fresh derivation whatever the packaging
        if not comments:
            # bundled knowledge is derived data only; chart prose is read from the archive
            # itself when one is at hand, and docs.py has our own words for common keys
            data["comments"] = {}
        return data

    @classmethod
    def from_json(cls, data: dict, digest: str = "") -> ChartKnowledge:
        return cls(**{**data, "digest": digest})


@dataclass
class _ChartFiles:
    chart_yaml: dict
    values_text: str
    templates: dict[str, str]
    subcharts: dict[str, _ChartFiles]
    label: str = "chart"


def load_chart(source: Path | str | bytes) -> ChartKnowledge:
    """Derive knowledge from a chart archive path, folder path, or archive bytes. The archive is
    read under core.charts.archive's limits and its YAML under core.charts.safeyaml's budget."""
    digest = ""
    if isinstance(source, bytes):
        data = source
        label = "chart archive"
    else:
        path = Path(source)
        label = visible(str(path), one_line=True)
        if path.is_dir():
            return derive(_from_tree(archive.read_folder(path, label), label), digest="")
        try:
            if path.stat().st_size > MAX_ARCHIVE_BYTES:
                raise UserError(f"{label} is too large to be a chart archive", "point at the chart's .tgz")
            with open(path, "rb") as fh:
                data = fh.read(MAX_ARCHIVE_BYTES + 1)
        except OSError as exc:
            raise UserError(f"cannot read chart archive {label}: {exc.strerror}", "check the path and permissions") from exc
    digest = hashlib.sha256(data).hexdigest()
    return derive(_read_archive(data, label), digest=digest)


def _read_archive(data: bytes, label: str, depth: int = 0) -> _ChartFiles:
    files = archive.read_archive(data, label, keep=archive.chart_member_needed, _depth=depth)
    top = archive.chart_top(files, label)
    tree = {n[len(top) + 1:]: b for n, b in files.items() if n.startswith(top + "/")}
    return _from_tree(tree, label, depth)


def _from_tree(tree: dict[str, bytes], label: str, depth: int = 0) -> _ChartFiles:
    def text(name: str) -> str:
        return tree[name].decode("utf-8", errors="replace")

    if "Chart.yaml" not in tree:
        raise UserError(f"{label} has no Chart.yaml", "point at a chart folder or a .tgz archive")
    chart_yaml = safeyaml.load(text("Chart.yaml"), f"{label}: Chart.yaml") or {}
    if not isinstance(chart_yaml, dict) or "name" not in chart_yaml:
        raise UserError(f"{label}: Chart.yaml has no name", "the archive is damaged")
    templates = {n: text(n) for n in tree if n.startswith("templates/") and n.endswith((".yaml", ".tpl", ".yml"))}
    subcharts: dict[str, _ChartFiles] = {}
    sub_dirs = {n.split("/")[1] for n in tree if n.startswith("charts/") and n.count("/") >= 2}
    for d in sub_dirs:
        sub_tree = {n[len(f"charts/{d}/"):]: b for n, b in tree.items() if n.startswith(f"charts/{d}/")}
        if "Chart.yaml" in sub_tree:
            sub = _from_tree(sub_tree, f"{label}:charts/{d}", depth)
            subcharts[str(sub.chart_yaml["name"])] = sub
    for n, b in tree.items():  # dependencies vendored as nested archives
        if n.startswith("charts/") and n.count("/") == 1 and n.endswith(".tgz"):
            sub = _read_archive(b, f"{label}:{n}", depth + 1)
            subcharts[str(sub.chart_yaml["name"])] = sub
    return _ChartFiles(chart_yaml, text("values.yaml") if "values.yaml" in tree else "", templates, subcharts,
                       label)


def derive(files: _ChartFiles, digest: str) -> ChartKnowledge:
    cy = files.chart_yaml
    values, comments = parse_values_with_comments(files.values_text, f"{files.label}: values.yaml")
    reads = gotemplate.TemplateReads()
    gotemplate.analyse(files.templates, reads)
    aliases: dict[str, str] = {}
    deps = cy.get("dependencies") or []
    for dep in deps if isinstance(deps, list) else []:
        if not isinstance(dep, dict):
            continue  # helm refuses such a Chart.yaml when it renders; the knowledge simply skips it
        name, alias = dep.get("name"), dep.get("alias") or dep.get("name")
        sub = files.subcharts.get(name) if isinstance(name, str) else None
        if sub is None or not isinstance(alias, str):
            continue
        aliases[alias] = name
        sub_values, sub_comments = parse_values_with_comments(sub.values_text, f"{sub.label}: values.yaml")
        values[alias] = coalesce(values.get(alias), sub_values)
        for path, comment in sub_comments.items():
            comments.setdefault(f"{alias}.{path}", comment)
        # library templates are included with the parent's context: their `.Values` is the parent's
        gotemplate.analyse(sub.templates, reads)
    return ChartKnowledge(
        name=str(cy["name"]),
        version=str(cy.get("version", "")),
        app_version=str(cy.get("appVersion", "")),
        defaults=values,
        comments=dict(sorted(comments.items())),
        reads={k: sorted(v) for k, v in sorted(reads.usage.items())},
        required=sorted(reads.required),
        forbidden=sorted(reads.forbidden),
        subcharts=aliases,
        digest=digest,
    )


def coalesce(user, defaults):
    """Helm's values coalescing: user maps override defaults key by key, recursively; a null
    user value deletes the default; non-map values replace wholesale."""
    if user is None:
        return copy.deepcopy(defaults) if defaults is not None else {}
    if not isinstance(user, dict) or not isinstance(defaults, dict):
        return copy.deepcopy(user)
    out = copy.deepcopy(defaults)
    for k, v in user.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = coalesce(v, out[k])
        else:
            out[k] = copy.deepcopy(v)
    return out


def parse_values_with_comments(text: str, label: str = "values.yaml") -> tuple[dict, dict[str, str]]:
    """Load values.yaml and the comment block directly above each key (plus an inline comment).

    A chart's values.yaml is input we did not write: it is read under the values-file budget
    (size, aliases, nesting), and one that is broken or not a mapping is a UserError naming the
    file and line, as helm itself refuses to render such a chart."""
    if not text.strip():
        return {}, {}
    root = safeyaml.compose(text, label)
    if root is None:
        return {}, {}
    if not isinstance(root, yaml.MappingNode):
        kind = "a list" if isinstance(root, yaml.SequenceNode) else "a single value"
        if isinstance(root, yaml.ScalarNode) and root.value in ("", "~", "null"):
            return {}, {}
        raise safeyaml.ChartYamlError(f"{label} is {kind}, not a mapping of settings "
                                      f"(line {root.start_mark.line + 1})",
                                      "helm cannot render this chart; check where it came from")
    values = safeyaml.construct(root, label) or {}
    if not isinstance(values, dict):
        raise safeyaml.ChartYamlError(f"{label} is not a mapping of settings", "helm cannot render this chart")
    lines = text.splitlines()
    comments: dict[str, str] = {}

    def above(line_no: int) -> list[str]:
        out: list[str] = []
        i = line_no - 1
        while i >= 0:
            s = lines[i].strip()
            if not s.startswith("#"):
                break
            out.append(s.lstrip("#").strip())
            i -= 1
        return [c for c in reversed(out) if c]

    def inline(line_no: int) -> str:
        line = lines[line_no]
        in_quote = None
        for idx, ch in enumerate(line):
            if ch in "\"'" and in_quote in (None, ch):
                in_quote = None if in_quote else ch
            elif ch == "#" and in_quote is None and idx > 0 and line[idx - 1] in " \t":
                return line[idx + 1:].strip()
        return ""

    def walk(node, prefix: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                key = str(k.value)
                path = f"{prefix}.{key}" if prefix else key
                parts = above(k.start_mark.line) + ([inline(k.start_mark.line)] if inline(k.start_mark.line) else [])
                if parts:
                    comments[path] = " ".join(parts)
                walk(v, path)

    walk(root, "")
    return values, comments


def dumps(knowledge: ChartKnowledge, *, comments: bool = False) -> str:
    return json.dumps(knowledge.to_json(comments=comments), indent=1, sort_keys=True, ensure_ascii=False) + "\n"
