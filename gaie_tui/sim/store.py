"""In-memory object store with Kubernetes object semantics.

Objects are plain dicts indexed by (group, plural) -> namespace -> name, so listing the pods of
one namespace never touches other namespaces or kinds. Stored dicts are never mutated in place:
every write stores a fresh dict, which lets list responses and watch events share them safely
without copying. One global, monotonically increasing resourceVersion orders all writes; watches
read a bounded event log.
"""
from __future__ import annotations

import base64
import bisect
import json
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .errors import ApiError
from .resources import Registry, ResourceType
from .selectors import FieldRequirement, Requirement, fields_match, labels_match

Key = tuple[str, str]
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_NAMESPACES: Key = ("", "namespaces")
_CRDS: Key = ("apiextensions.k8s.io", "customresourcedefinitions")
# kinds whose names are path segments rather than DNS names (e.g. `system:controller:foo`)
_PATH_SEGMENT_NAMED = {"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"}
_DNS_LABEL_NAMED = {"Namespace", "Service"}
_EVENT_LOG_MAX = 20000


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def clone(obj):
    """Deep copy of a JSON-shaped value (faster than copy.deepcopy for these)."""
    return json.loads(json.dumps(obj))


@dataclass(frozen=True)
class WatchEvent:
    rv: int
    type: str  # ADDED, MODIFIED, DELETED
    key: Key
    namespace: str
    obj: dict
    prev: dict | None = None


@dataclass
class Store:
    registry: Registry = field(default_factory=Registry)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self.changed = threading.Condition(self.lock)
        self.rv = 0
        self.objects: dict[Key, dict[str, dict[str, dict]]] = {}
        self._events: list[WatchEvent] = []
        self._event_rvs: list[int] = []
        self.closed = False
        self.listeners: list[Callable[[WatchEvent], None]] = []
        # server-side apply bookkeeping: what each field manager applied last, per object uid
        self.applied: dict[tuple[str, str], dict] = {}
        # per-kind defaulting run on create (the simulated controllers register theirs)
        self.defaulters: dict[Key, Callable[[dict], None]] = {}

    # ---- reading -------------------------------------------------------------------------
    def peek(self, key: Key, namespace: str, name: str) -> dict | None:
        """The stored object (do not mutate) or None."""
        return self.objects.get(key, {}).get(namespace, {}).get(name)

    def get(self, rt: ResourceType, namespace: str, name: str) -> dict:
        with self.lock:
            obj = self.peek(rt.key, namespace, name)
            if obj is None:
                raise ApiError.not_found(rt.qualified, name)
            return clone(obj)

    def list(self, rt: ResourceType | Key, namespace: str | None = None,
             labels: tuple[Requirement, ...] = (), fields: tuple[FieldRequirement, ...] = ()
             ) -> tuple[list[dict], str]:
        """Matching stored objects (shared, read-only) and the list's resourceVersion."""
        key = rt.key if isinstance(rt, ResourceType) else rt
        with self.lock:
            by_ns = self.objects.get(key, {})
            buckets = [by_ns.get(namespace, {})] if namespace is not None else list(by_ns.values())
            items = [o for b in buckets for o in b.values()
                     if (not labels or labels_match(labels, o["metadata"].get("labels")))
                     and (not fields or fields_match(fields, o))]
            return items, str(self.rv)

    def namespace_exists(self, name: str) -> bool:
        return self.peek(_NAMESPACES, "", name) is not None

    # ---- writing -------------------------------------------------------------------------
    def _next_rv(self) -> int:
        self.rv += 1
        return self.rv

    def _emit(self, etype: str, key: Key, namespace: str, obj: dict, prev: dict | None) -> None:
        ev = WatchEvent(int(obj["metadata"]["resourceVersion"]), etype, key, namespace, obj, prev)
        self._events.append(ev)
        self._event_rvs.append(ev.rv)
        if len(self._events) > _EVENT_LOG_MAX:
            del self._events[: _EVENT_LOG_MAX // 2]
            del self._event_rvs[: _EVENT_LOG_MAX // 2]
        for listener in self.listeners:
            listener(ev)
        self.changed.notify_all()

    def _store(self, key: Key, namespace: str, obj: dict) -> None:
        self.objects.setdefault(key, {}).setdefault(namespace, {})[obj["metadata"]["name"]] = obj

    def _validate_name(self, rt: ResourceType, name: str) -> None:
        if rt.kind in _PATH_SEGMENT_NAMED:
            ok = name not in (".", "..") and "/" not in name and "%" not in name
        elif rt.kind in _DNS_LABEL_NAMED:
            ok = len(name) <= 63 and bool(_LABEL.match(name))
        else:
            ok = len(name) <= 253 and bool(_SUBDOMAIN.match(name))
        if not ok:
            raise ApiError.invalid(rt.kind, name, [(
                "metadata.name", f'Invalid value: "{name}": a lowercase RFC 1123 '
                + ("label" if rt.kind in _DNS_LABEL_NAMED else "subdomain")
                + " must consist of lower case alphanumeric characters, '-' or '.', and must start and "
                  "end with an alphanumeric character")])

    def _check_namespace(self, rt: ResourceType, namespace: str) -> None:
        if not rt.namespaced:
            return
        ns = self.peek(_NAMESPACES, "", namespace)
        if ns is None:
            raise ApiError.not_found("namespaces", namespace)
        if ns["metadata"].get("deletionTimestamp"):
            raise ApiError(403, "Forbidden", f"{rt.kind.lower()}s \"{ns['metadata']['name']}\" is forbidden: "
                           f"unable to create new content in namespace {namespace} because it is being terminated",
                           {"causes": [{"reason": "NamespaceTerminating"}]})

    @staticmethod
    def _normalise(rt: ResourceType, obj: dict) -> None:
        if rt.kind == "Secret" and obj.get("stringData"):
            data = obj.setdefault("data", {}) or {}
            for k, v in obj.pop("stringData").items():
                data[k] = base64.b64encode(str(v).encode()).decode()
            obj["data"] = data
        obj.pop("stringData", None)

    def prepare_create(self, rt: ResourceType, namespace: str, obj: dict, *, keep_status: bool = False) -> dict:
        """Validate and fill server fields for a new object (does not store it)."""
        if not isinstance(obj, dict):
            raise ApiError.bad_request("the request body must be a JSON object")
        obj = clone(obj)
        kind = obj.get("kind") or rt.kind
        if kind != rt.kind:
            raise ApiError.bad_request(f"the API version in the data ({obj.get('apiVersion')}) does not match "
                                       f"the expected API version ({rt.api_version}) or kind {kind} != {rt.kind}")
        obj["kind"], obj["apiVersion"] = rt.kind, rt.api_version
        meta = obj.setdefault("metadata", {}) or {}
        obj["metadata"] = meta
        if not meta.get("name"):
            if meta.get("generateName"):
                meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
            else:
                raise ApiError.invalid(rt.kind, "", [("metadata.name", "Required value: name or generateName is required")])
        name = meta["name"]
        self._validate_name(rt, name)
        if rt.namespaced:
            if meta.get("namespace") and meta["namespace"] != namespace:
                raise ApiError.bad_request("the namespace of the provided object does not match the namespace "
                                           "sent on the request")
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        if rt.key == _CRDS:
            self._validate_crd(obj)
        self._check_namespace(rt, namespace)
        if self.peek(rt.key, namespace if rt.namespaced else "", name) is not None:
            raise ApiError.already_exists(rt.qualified, name)
        for server_field in ("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "selfLink",
                             "managedFields"):
            meta.pop(server_field, None)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = utc_now()
        if "spec" in obj or rt.has_status:
            meta["generation"] = 1
        if rt.has_status and not keep_status:
            obj.pop("status", None)
        self._normalise(rt, obj)
        return obj

    def create(self, rt: ResourceType, namespace: str, obj: dict, *, dry_run: bool = False,
               keep_status: bool = False) -> dict:
        with self.lock:
            namespace = namespace if rt.namespaced else ""
            obj = self.prepare_create(rt, namespace, obj, keep_status=keep_status)
            if rt.key in self.defaulters:
                self.defaulters[rt.key](obj)
            if rt.key == _NAMESPACES:
                obj.setdefault("spec", {})["finalizers"] = ["kubernetes"]
                obj["status"] = {"phase": "Active"}
            if rt.key == _CRDS:
                obj["status"] = self._crd_status(obj)
            if dry_run:
                obj["metadata"]["resourceVersion"] = str(self.rv)
                return obj
            obj["metadata"]["resourceVersion"] = str(self._next_rv())
            obj["metadata"].setdefault("managedFields", [managed_fields(obj)])
            self._store(rt.key, namespace, obj)
            if rt.key == _CRDS:
                self.registry.register_crd(obj)
            self._emit("ADDED", rt.key, namespace, obj, None)
            return clone(obj)

    def update(self, rt: ResourceType, namespace: str, name: str, obj: dict, *, subresource: str = "",
               dry_run: bool = False) -> dict:
        """PUT semantics: the main resource ignores status changes, the status subresource takes only those."""
        with self.lock:
            namespace = namespace if rt.namespaced else ""
            old = self.peek(rt.key, namespace, name)
            if old is None:
                raise ApiError.not_found(rt.qualified, name)
            if not isinstance(obj, dict):
                raise ApiError.bad_request("the request body must be a JSON object")
            meta_in = obj.get("metadata") or {}
            if meta_in.get("name") and meta_in["name"] != name:
                raise ApiError.bad_request(f'the name of the object ({meta_in["name"]}) does not match the name on '
                                           f"the URL ({name})")
            want_rv = meta_in.get("resourceVersion")
            if want_rv and want_rv != old["metadata"]["resourceVersion"]:
                raise ApiError.conflict(rt.qualified, name)
            if subresource == "status":
                new = clone(old)
                if "status" in obj:
                    new["status"] = clone(obj["status"])
            else:
                new = clone(obj)
                new["kind"], new["apiVersion"] = rt.kind, rt.api_version
                meta = new.setdefault("metadata", {})
                for kept in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                             "generation"):
                    if kept in old["metadata"]:
                        meta[kept] = old["metadata"][kept]
                    else:
                        meta.pop(kept, None)
                meta["name"] = name
                if rt.namespaced:
                    meta["namespace"] = namespace
                if rt.has_status:
                    if "status" in old:
                        new["status"] = old["status"]
                    else:
                        new.pop("status", None)
                self._normalise(rt, new)
                if rt.key == _CRDS:
                    self._validate_crd(new)
                    new["status"] = self._crd_status(new)
                if self._spec(new) != self._spec(old) and "generation" in meta:
                    meta["generation"] = int(meta["generation"]) + 1
            new["metadata"].pop("managedFields", None)
            new["metadata"]["managedFields"] = [managed_fields(new)]
            unchanged = {**new, "metadata": {**new["metadata"], "resourceVersion": None}} == \
                        {**old, "metadata": {**old["metadata"], "resourceVersion": None,
                                             "managedFields": new["metadata"]["managedFields"]}}
            if unchanged or dry_run:
                new["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
                return clone(new) if dry_run else clone(old)
            if old["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers"):
                new["metadata"]["resourceVersion"] = str(self._next_rv())
                self._remove(rt.key, namespace, name, new, "Background")
                return clone(new)
            new["metadata"]["resourceVersion"] = str(self._next_rv())
            self._store(rt.key, namespace, new)
            if rt.key == _CRDS:
                self.registry.register_crd(new)
            self._emit("MODIFIED", rt.key, namespace, new, old)
            return clone(new)

    @staticmethod
    def _spec(obj: dict) -> dict:
        return {k: v for k, v in obj.items() if k not in ("metadata", "status")}

    def delete(self, rt: ResourceType, namespace: str, name: str, *, propagation: str = "Background",
               preconditions: dict | None = None, dry_run: bool = False) -> tuple[dict, bool]:
        """Returns (object, gone). An object with finalizers only gets a deletionTimestamp."""
        with self.lock:
            namespace = namespace if rt.namespaced else ""
            old = self.peek(rt.key, namespace, name)
            if old is None:
                raise ApiError.not_found(rt.qualified, name)
            pre = preconditions or {}
            if pre.get("uid") and pre["uid"] != old["metadata"]["uid"]:
                raise ApiError.conflict(rt.qualified, name)
            if pre.get("resourceVersion") and pre["resourceVersion"] != old["metadata"]["resourceVersion"]:
                raise ApiError.conflict(rt.qualified, name)
            if dry_run:
                return clone(old), True
            finalizers = old["metadata"].get("finalizers") or []
            if rt.key == _NAMESPACES or finalizers:
                if old["metadata"].get("deletionTimestamp"):
                    return clone(old), False
                new = clone(old)
                new["metadata"]["deletionTimestamp"] = utc_now()
                new["metadata"]["deletionGracePeriodSeconds"] = 0
                if rt.key == _NAMESPACES:
                    new["status"] = {"phase": "Terminating"}
                new["metadata"]["resourceVersion"] = str(self._next_rv())
                self._store(rt.key, namespace, new)
                self._emit("MODIFIED", rt.key, namespace, new, old)
                return clone(new), False
            gone = clone(old)
            gone["metadata"]["resourceVersion"] = str(self._next_rv())
            self._remove(rt.key, namespace, name, gone, propagation)
            return gone, True

    def _remove(self, key: Key, namespace: str, name: str, final: dict, propagation: str) -> None:
        bucket = self.objects.get(key, {}).get(namespace, {})
        old = bucket.pop(name, None)
        if old is None:
            return
        uid = old["metadata"]["uid"]
        self.applied = {k: v for k, v in self.applied.items() if k[0] != uid}
        self._emit("DELETED", key, namespace, final, old)
        if key == _CRDS:
            self._drop_crd_objects(old)
        self._collect_dependents(uid, propagation)

    def _collect_dependents(self, owner_uid: str, propagation: str) -> None:
        """Garbage collection by ownerReferences, done at once rather than by a background collector."""
        dependents = []
        for key, by_ns in self.objects.items():
            for ns, bucket in by_ns.items():
                for obj in bucket.values():
                    refs = obj["metadata"].get("ownerReferences") or []
                    if any(r.get("uid") == owner_uid for r in refs):
                        dependents.append((key, ns, obj))
        for key, ns, obj in dependents:
            others = [r for r in obj["metadata"]["ownerReferences"] if r.get("uid") != owner_uid]
            if propagation == "Orphan" or any(self._uid_alive(r.get("uid")) for r in others):
                new = clone(obj)
                new["metadata"]["ownerReferences"] = others
                if not others:
                    new["metadata"].pop("ownerReferences")
                new["metadata"]["resourceVersion"] = str(self._next_rv())
                self._store(key, ns, new)
                self._emit("MODIFIED", key, ns, new, obj)
                continue
            rt = next((t for t in self.registry.all() if t.key == key), None)
            if rt is not None and self.peek(key, ns, obj["metadata"]["name"]) is not None:
                self.delete(rt, ns, obj["metadata"]["name"], propagation=propagation)

    def _uid_alive(self, uid: str | None) -> bool:
        return any(o["metadata"]["uid"] == uid for by_ns in self.objects.values()
                   for b in by_ns.values() for o in b.values())

    def _drop_crd_objects(self, crd: dict) -> None:
        for rt in self.registry.unregister_crd(crd["metadata"]["name"]):
            by_ns = self.objects.pop(rt.key, {})
            for ns, bucket in by_ns.items():
                for obj in bucket.values():
                    gone = clone(obj)
                    gone["metadata"]["resourceVersion"] = str(self._next_rv())
                    self._emit("DELETED", rt.key, ns, gone, obj)

    def finalize_namespace(self, name: str) -> None:
        """Delete everything in a terminating namespace, then the namespace itself."""
        with self.lock:
            ns = self.peek(_NAMESPACES, "", name)
            if ns is None or not ns["metadata"].get("deletionTimestamp"):
                return
            for key in list(self.objects):
                for obj in list(self.objects[key].get(name, {}).values()):
                    gone = clone(obj)
                    gone["metadata"]["resourceVersion"] = str(self._next_rv())
                    self._remove(key, name, obj["metadata"]["name"], gone, "Background")
            gone = clone(ns)
            gone["metadata"]["resourceVersion"] = str(self._next_rv())
            gone["spec"] = {}
            self._remove(_NAMESPACES, "", name, gone, "Background")

    # ---- CRDs ----------------------------------------------------------------------------
    @staticmethod
    def _validate_crd(crd: dict) -> None:
        spec = crd.get("spec") or {}
        names = spec.get("names") or {}
        name = crd["metadata"]["name"]
        causes = []
        if not spec.get("group"):
            causes.append(("spec.group", "Required value"))
        if not names.get("plural") or not names.get("kind"):
            causes.append(("spec.names", "Required value: plural and kind are required"))
        elif name != f"{names['plural']}.{spec.get('group')}":
            causes.append(("metadata.name", f'Invalid value: "{name}": must be spec.names.plural+"."+spec.group'))
        if not spec.get("versions"):
            causes.append(("spec.versions", "Required value"))
        if causes:
            raise ApiError.invalid("CustomResourceDefinition", name, causes)

    @staticmethod
    def _crd_status(crd: dict) -> dict:
        now = utc_now()
        spec = crd["spec"]
        return {
            "acceptedNames": spec["names"],
            "storedVersions": [v["name"] for v in spec["versions"] if v.get("storage")],
            "conditions": [
                {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
                 "message": "no conflicts found", "lastTransitionTime": now},
                {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
                 "message": "the initial names have been accepted", "lastTransitionTime": now},
            ],
        }

    # ---- watching ------------------------------------------------------------------------
    def events_after(self, rv: int) -> list[WatchEvent]:
        """Events with resourceVersion > rv; raises 410 Gone when rv fell out of the log."""
        with self.lock:
            if self._event_rvs and rv < self._event_rvs[0] - 1 and rv < self.rv:
                raise ApiError(410, "Expired", f"too old resource version: {rv} ({self._event_rvs[0]})")
            return self._events[bisect.bisect_right(self._event_rvs, rv):]

    def wait(self, rv: int, timeout: float) -> None:
        """Block until something newer than rv is written, the store closes, or timeout."""
        with self.lock:
            if self.rv <= rv and not self.closed:
                self.changed.wait(timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Mark the store closed and wake waiting watches; never waits for the lock for ever."""
        self.closed = True  # watches re-check this at least every half second anyway
        if self.lock.acquire(timeout=timeout):
            try:
                self.changed.notify_all()
            finally:
                self.lock.release()


def managed_fields(obj: dict, manager: str = "gaie-tui-sim") -> dict:
    """A managedFields entry naming the fields the object was created with, as a real API server
    records them: clients learn a Secret's key names from it without ever reading the data."""
    def fields(value, depth: int) -> dict:
        if isinstance(value, dict) and depth < 2:
            return {f"f:{k}": fields(v, depth + 1) for k, v in value.items()}
        return {}

    top = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata", "status")}
    # no `time`: clients re-serialise timestamps differently, which would make a no-op PUT look changed
    return {"manager": manager, "operation": "Update", "apiVersion": obj.get("apiVersion", "v1"),
            "fieldsType": "FieldsV1",
            "fieldsV1": fields(top, 0)}
