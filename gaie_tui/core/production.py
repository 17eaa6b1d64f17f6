"""Which targets count as production: a context marked in config.toml, or a context or namespace
name that looks like it. Approval then wants the release name typed."""
from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

PROD_WORDS = re.compile(r"(^|[-_.])(prod|production|prd|live)([-_.]|$)")


def looks_like_production(*names: str | None) -> bool:
    return any(n and PROD_WORDS.search(n.lower()) for n in names)


def config_path() -> Path:
    from .paths import config_dir
    return config_dir() / "config.toml"


def load_production_contexts(path: Path | None = None) -> tuple[list[str], str | None]:
    """(glob patterns, problem) from `production_contexts = ["prod-east", "*-prd"]` in config.toml.

    A broken file gives ([], why) so the wizard starts anyway and says so once."""
    import tomllib
    path = path or config_path()
    if not path.is_file():
        return [], None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return [], f"{path}: {exc}"
    value = data.get("production_contexts", [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return [], f"{path}: production_contexts must be a list of context names or glob patterns"
    return [v.strip() for v in value if v.strip()], None


def production_reason(context: str | None, namespace: str | None, patterns: Iterable[str] = ()) -> str | None:
    """Why (context, namespace) counts as production, or None: a context marked in config.toml
    (exact name or glob, case-sensitive as kubeconfig names are), else a production-looking name."""
    from fnmatch import fnmatchcase
    if context:
        for pat in patterns:
            if fnmatchcase(context, pat):
                return f"context {context} is marked as production in config.toml ({pat})"
    if context and looks_like_production(context):
        return f"the context name {context} looks like production"
    if namespace and looks_like_production(namespace):
        return f"the namespace name {namespace} looks like production"
    return None
