"""Unknown-field handling for custom resources, from the CRD's structural schema.

A real API server prunes fields a CRD schema does not declare; with `fieldValidation=Strict` (what
helm sends) create/update requests fail instead, and server-side apply always fails. Built-in kinds
are not checked: the emulator carries no schemas for them.
"""
from __future__ import annotations

_ROOT_FIELDS = {"apiVersion", "kind", "metadata"}


def _walk(schema: dict, obj, path: str, unknown: list[str], prune: bool):
    """Returns obj with unknown fields removed (when prune), collecting their paths."""
    if not isinstance(schema, dict):
        return obj
    if isinstance(obj, list):
        items = schema.get("items")
        return [_walk(items, v, f"{path}[{i}]", unknown, prune) for i, v in enumerate(obj)] if items else obj
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
        child = f"{path}.{key}" if path else key
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


def check(schema: dict | None, obj: dict, prune: bool = True) -> tuple[dict, list[str]]:
    """(object with unknown fields pruned, their dotted paths). Root apiVersion/kind/metadata are free."""
    if not schema:
        return obj, []
    unknown: list[str] = []
    root = {k: v for k, v in obj.items() if k not in _ROOT_FIELDS}
    checked = _walk(schema, root, "", unknown, prune)
    return {**{k: v for k, v in obj.items() if k in _ROOT_FIELDS}, **checked}, unknown


def crd_schema(crd: dict | None, version: str) -> dict | None:
    for ver in ((crd or {}).get("spec") or {}).get("versions") or []:
        if ver.get("name") == version:
            return (ver.get("schema") or {}).get("openAPIV3Schema")
    return None
