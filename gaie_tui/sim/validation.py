"""Unknown-field handling: custom resources against their CRD's structural schema, the built-in
kinds the charts render against the field lists in builtin_schemas.py.

A real API server drops fields it does not know; with `fieldValidation=Strict` (what helm sends)
create/update requests fail instead, and server-side apply always fails.
"""
from __future__ import annotations

_ROOT_FIELDS = {"apiVersion", "kind", "metadata"}


Path = tuple  # segments: a field name, or (index, name-or-None) for a list item


def strict_path(path: Path) -> str:
    """`spec.template.spec.containers[0].FOO`, as strict decoding reports it."""
    out = ""
    for seg in path:
        out += f"[{seg[0]}]" if isinstance(seg, tuple) else (f".{seg}" if out else seg)
    return out


def apply_path(path: Path) -> str:
    """`.spec.template.spec.containers[name="epp"].FOO`, as server-side apply reports it."""
    out = ""
    for seg in path:
        if isinstance(seg, tuple):
            out += f'[name="{seg[1]}"]' if seg[1] is not None else f"[{seg[0]}]"
        else:
            out += f".{seg}"
    return out


def _walk(schema: dict, obj, path: Path, unknown: list[Path], prune: bool):
    """Returns obj with unknown fields removed (when prune), collecting their paths."""
    if not isinstance(schema, dict):
        return obj
    if isinstance(obj, list):
        items = schema.get("items")
        if not items:
            return obj
        return [_walk(items, v, path + ((i, v.get("name") if isinstance(v, dict) else None),), unknown, prune)
                for i, v in enumerate(obj)]
    if not isinstance(obj, dict):
        return obj
    props = schema.get("properties")
    addl = schema.get("additionalProperties")
    preserve = schema.get("x-kubernetes-preserve-unknown-fields") is True
    embedded = schema.get("x-kubernetes-embedded-resource") is True
    if props is None and not isinstance(addl, dict):
        return obj  # a free-form object (or no structure declared): nothing to compare against
    out = {}
    for key, value in obj.items():
        child = path + (key,)
        if props is not None and key in props:
            out[key] = _walk(props[key], value, child, unknown, prune)
        elif isinstance(addl, dict):
            out[key] = _walk(addl, value, child, unknown, prune)
        elif preserve or addl is True or (embedded and key in _ROOT_FIELDS):
            out[key] = value
        else:
            unknown.append(child)
            if not prune:
                out[key] = value
    return out


def check(schema: dict | None, obj: dict, prune: bool = True) -> tuple[dict, list[Path]]:
    """(object with unknown fields pruned, their paths). Root apiVersion and kind are free;
    metadata is checked only when the schema declares it (built-in kinds)."""
    if not schema:
        return obj, []
    unknown: list[Path] = []
    free_root = _ROOT_FIELDS - set(schema.get("properties") or {})
    root = {k: v for k, v in obj.items() if k not in free_root}
    checked = _walk(schema, root, (), unknown, prune)
    return {**{k: v for k, v in obj.items() if k in free_root}, **checked}, unknown


def crd_schema(crd: dict | None, version: str) -> dict | None:
    for ver in ((crd or {}).get("spec") or {}).get("versions") or []:
        if ver.get("name") == version:
            return (ver.get("schema") or {}).get("openAPIV3Schema")
    return None
