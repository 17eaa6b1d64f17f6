"""The core never imports Textual; runtime code never reads ../shared."""
from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "gaie_tui"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_and_sim_never_import_textual_or_ui():
    offenders = []
    for folder in ("core", "sim"):
        for path in (PKG / folder).rglob("*.py"):
            for name in _imports(path):
                if name.split(".")[0] == "textual" or name.startswith("gaie_tui.ui"):
                    offenders.append(f"{path.relative_to(PKG)} imports {name}")
    assert not offenders, offenders


def test_runtime_code_does_not_read_shared_folder():
    """The package never looks for a sibling shared/ folder (the demo did, through "shared" /
    "charts"); a source checkout's convenience lives in dev.py."""
    import re
    pattern = re.compile(r"\.\./shared|[\"']shared[\"']")
    hits = [str(p) for p in PKG.rglob("*.py") if pattern.search(p.read_text(encoding="utf-8"))]
    assert not hits


def _cycles(package: str) -> list[list[str]]:
    """Strongly connected groups of modules (import cycles, lazy imports included; imports made
    only for type checking do not count)."""
    import grimp
    graph = grimp.build_graph("gaie_tui", exclude_type_checking_imports=True)
    mods = sorted(m for m in graph.modules if m == package or m.startswith(package + "."))
    edges = {m: set(graph.find_modules_directly_imported_by(m)) & set(mods) for m in mods}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for m in mods:
        if m not in index:
            visit(m)
    return out


def test_core_sim_and_ui_have_no_import_cycles():
    assert _cycles("gaie_tui.core") == []
    assert _cycles("gaie_tui.sim") == []
    assert _cycles("gaie_tui.ui") == []       # screens never import the app (steps, guard, messages do)


def test_ui_holds_no_domain_layer():
    """The wizard presents core's objects: no second Plan, Diag or CheckRow, no services seam."""
    assert not (PKG / "ui" / "services.py").exists() and not (PKG / "ui" / "models.py").exists()
    twins = []
    for path in (PKG / "ui").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        twins += [f"{path.name}: {n.name}" for n in ast.walk(tree) if isinstance(n, ast.ClassDef)
                  and n.name in ("Plan", "Diag", "Fix", "CheckRow", "DeployResult", "ClusterView", "Pod", "KeyInfo")]
    assert twins == []


def test_screens_never_run_helm_themselves():
    """helm and its kubeconfig options are core's business (the engine, the action runs, the
    Session's day-two operations); a screen names a release and presents what comes back."""
    import re
    pattern = re.compile(r"helm_binary\(|kube_args\(|find_helm\(|query_json\(|run_helm|[\"']kubectl[\"']"
                         r"|cluster import helm as|helm\.release_row|\.helm_args\(")
    hits = [f"{p.relative_to(PKG)}:{i}" for p in (PKG / "ui").rglob("*.py")
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert not hits, hits
