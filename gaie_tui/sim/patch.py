"""The four PATCH flavours: JSON patch (RFC 6902), JSON merge patch (RFC 7386), a reasonable
strategic merge patch, and a server-side-apply approximation.

Strategic merge needs to know which lists are keyed. Instead of the full OpenAPI extension data we
keep a table of the list fields whose items merge by a key (containers by `name`, ports by
`containerPort`/`port`, ...); any other list is replaced, as for merge patch.
"""
from __future__ import annotations

import copy

from .errors import ApiError

# list field name -> merge key, as declared by `patchMergeKey` in k8s.io/api types
MERGE_KEYS: dict[str, str] = {
    "containers": "name", "initContainers": "name", "ephemeralContainers": "name",
    "env": "name", "volumes": "name", "volumeMounts": "mountPath", "imagePullSecrets": "name",
    "ports": "containerPort", "conditions": "type", "ownerReferences": "uid",
    "tolerations": "key", "hostAliases": "ip", "envFrom": "", "volumeDevices": "devicePath",
}
# Service ports are keyed by `port` rather than `containerPort`
_PORT_KEYS = ("containerPort", "port")


def _merge_key(field: str, items: list) -> str | None:
    if field == "ports":
        for key in _PORT_KEYS:
            if items and all(isinstance(i, dict) and key in i for i in items):
                return key
        return None
    key = MERGE_KEYS.get(field)
    if key and all(isinstance(i, dict) and key in i for i in items):
        return key
    return None


def merge_patch(target, patch):
    """RFC 7386: objects merge recursively, null deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge(target, patch, field: str = ""):
    """Merge like merge patch, except keyed lists merge item by item and `$patch: delete` works."""
    if isinstance(patch, list):
        key = _merge_key(field, patch)
        if key is None or not isinstance(target, list):
            return [strategic_merge(None, p) if isinstance(p, dict) else copy.deepcopy(p)
                    for p in patch if not (isinstance(p, dict) and p.get("$patch") == "delete")]
        result = [copy.deepcopy(t) for t in target]
        index = {t.get(key): i for i, t in enumerate(result) if isinstance(t, dict)}
        for item in patch:
            if item.get("$patch") == "delete":
                result = [t for t in result if not (isinstance(t, dict) and t.get(key) == item.get(key))]
                index = {t.get(key): i for i, t in enumerate(result) if isinstance(t, dict)}
            elif item.get(key) in index:
                result[index[item[key]]] = strategic_merge(result[index[item[key]]], item)
            else:
                result.append(strategic_merge(None, item))
                index[item[key]] = len(result) - 1
        return result
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue  # directives such as $setElementOrder only affect ordering
        if value is None:
            result.pop(key, None)
        else:
            result[key] = strategic_merge(result.get(key), value, key)
    return result


def apply_merge(live, last_applied, applied, field: str = ""):
    """Server-side apply, approximated: the applier owns what it sent last time. Fields it sent
    before but not now are removed; fields it sends now are set; fields others set are kept."""
    if isinstance(applied, dict) and isinstance(live, dict):
        last = last_applied if isinstance(last_applied, dict) else {}
        result = dict(live)
        for key in last:
            if key not in applied:
                result.pop(key, None)
        for key, value in applied.items():
            result[key] = apply_merge(live.get(key), last.get(key), value, key)
        return result
    if isinstance(applied, list) and isinstance(live, list):
        key = _merge_key(field, applied)
        if key is not None and all(isinstance(i, dict) and key in i for i in live):
            last = {i.get(key): i for i in (last_applied or []) if isinstance(i, dict)}
            now = {i[key]: i for i in applied}
            by_key = {i[key]: i for i in live}
            # keep items others own, drop items only we owned and no longer send
            result = [i for i in live if i[key] in now or i[key] not in last]
            result = [apply_merge(i, last.get(i[key]), now[i[key]]) if i[key] in now else i for i in result]
            result += [copy.deepcopy(i) for i in applied if i[key] not in by_key]
            return result
    return copy.deepcopy(applied)


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise ApiError.bad_request(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def json_patch(doc, operations: list):
    """RFC 6902 add/remove/replace/move/copy/test."""
    if not isinstance(operations, list):
        raise ApiError.bad_request("json patch must be a list of operations")
    doc = copy.deepcopy(doc)

    def parent(path):
        parts = _pointer(path)
        if not parts:
            raise ApiError.bad_request("cannot patch the document root")
        cur = doc
        for p in parts[:-1]:
            cur = cur[int(p)] if isinstance(cur, list) else cur[p]
        return cur, parts[-1]

    def get(path):
        cur = doc
        for p in _pointer(path):
            cur = cur[int(p)] if isinstance(cur, list) else cur[p]
        return cur

    try:
        for op in operations:
            kind, path = op.get("op"), op.get("path", "")
            if kind in ("add", "replace"):
                par, last = parent(path)
                if isinstance(par, list):
                    idx = len(par) if last == "-" else int(last)
                    if kind == "add":
                        par.insert(idx, copy.deepcopy(op["value"]))
                    else:
                        par[idx] = copy.deepcopy(op["value"])
                else:
                    if kind == "replace" and last not in par:
                        raise KeyError(last)
                    par[last] = copy.deepcopy(op["value"])
            elif kind == "remove":
                par, last = parent(path)
                del par[int(last) if isinstance(par, list) else last]
            elif kind in ("move", "copy"):
                value = copy.deepcopy(get(op["from"]))
                if kind == "move":
                    fpar, flast = parent(op["from"])
                    del fpar[int(flast) if isinstance(fpar, list) else flast]
                par, last = parent(path)
                if isinstance(par, list):
                    par.insert(len(par) if last == "-" else int(last), value)
                else:
                    par[last] = value
            elif kind == "test":
                if get(path) != op.get("value"):
                    raise ApiError(422, "Invalid", f"test operation failed at {path}")
            else:
                raise ApiError.bad_request(f"unknown json patch operation {kind!r}")
    except (KeyError, IndexError, ValueError, TypeError) as exc:
        raise ApiError(422, "Invalid", f"the server rejected our request due to an error in our request: "
                       f"json patch failed: {exc}") from None
    return doc
