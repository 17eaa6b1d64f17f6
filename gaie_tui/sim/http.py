"""Request routing and the Kubernetes REST verbs on top of the store.

One `ApiHandler` instance per request (http.server's model); all state lives in the `SimServer`
it belongs to. Responses are always JSON (or text for pod logs); request bodies may be JSON, YAML
(apply patches) or Kubernetes protobuf.
"""
from __future__ import annotations

import json
import logging
import traceback
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from . import builtin_schemas, discovery, logs, protobuf, tables, validation, watch, yamlbody
from .errors import ApiError
from .patch import apply_merge, json_patch, merge_patch, strategic_merge
from .resources import ResourceType
from .selectors import parse_field_selector, parse_label_selector
from .store import clone

if TYPE_CHECKING:
    from .server import SimServer

log = logging.getLogger("gaie_tui.sim")
PROTOBUF = "application/vnd.kubernetes.protobuf"
APPLY = "application/apply-patch+yaml"
_HEALTH = {"/healthz", "/readyz", "/livez"}
MAX_BODY = 64 * 1024 * 1024  # far above any manifest; keeps a runaway client from exhausting memory


class ApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked watch streams, as client-go expects
    server_version = "gaie-sim"
    # headers and body leave in separate writes; with Nagle's algorithm on, each response would
    # wait ~40 ms for the client's delayed ACK, which made every helm command seconds slower
    disable_nagle_algorithm = True

    @property
    def sim(self) -> SimServer:
        return self.server.sim  # type: ignore[attr-defined]

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - http.server's signature
        log.debug("%s " + format, self.address_string(), *args)

    # ---- plumbing ------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks, total = [], 0
            while True:
                try:
                    size = int(self.rfile.readline(64).split(b";")[0].strip() or b"0", 16)
                except ValueError:
                    self.close_connection = True
                    raise ApiError.bad_request("malformed chunked request body") from None
                if size == 0:
                    self.rfile.readline(64)
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY:  # counted before the chunk is read: memory stays bounded
                    self.close_connection = True
                    raise ApiError(413, "RequestEntityTooLarge", f"request body larger than {MAX_BODY} bytes")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(64)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            raise ApiError(413, "RequestEntityTooLarge", f"request body larger than {MAX_BODY} bytes")
        return self.rfile.read(length) if length else b""

    def _decode(self, raw: bytes):
        if not raw:
            return None
        ctype = (self.headers.get("Content-Type") or "application/json").split(";")[0].strip()
        if ctype == PROTOBUF:
            return protobuf.decode_body(raw)
        if "yaml" in ctype:
            return yamlbody.load(raw)  # under an alias/size budget: a 469-byte bomb is a 400, not 1.6 GB
        try:
            return json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise ApiError.bad_request(f"the body of the request could not be decoded: {exc}") from None

    def _send(self, code: int, body, ctype: str = "application/json") -> None:
        data = body if isinstance(body, bytes) else (
            body.encode() if isinstance(body, str) else json.dumps(body, separators=(",", ":")).encode())
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        for warning in getattr(self, "warnings", []):
            self.send_header("Warning", f'299 - "{warning}"')
        self.end_headers()
        # recorded before the body goes out: a client that has its answer finds its request logged
        self.sim.record(self.command, self.path, code)
        if self.command != "HEAD":
            self.wfile.write(data)

    def _dispatch(self, method: str) -> None:
        split = urlsplit(self.path)
        self.warnings: list[str] = []
        self.query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        path = split.path.rstrip("/") or "/"
        try:
            # credentials first: an unauthenticated client gets nothing read into memory
            if path not in _HEALTH and not self.sim.authorized(self.headers.get("Authorization")):
                self.close_connection = True
                raise ApiError(401, "Unauthorized", "Unauthorized")
            raw = self._read_body()
            self._route(method, path, raw)
        except ApiError as err:
            self._send(err.code, err.status())
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as exc:  # a bug in the emulator must reach the client as a 500, not kill the thread
            log.error("internal error on %s %s: %s", method, self.path, traceback.format_exc())
            self.sim.errors.append(f"{method} {self.path}: {exc!r}")
            try:
                self._send(500, ApiError(500, "InternalError", f"emulator error: {exc}").status())
            except OSError:
                pass

    # ---- routing -------------------------------------------------------------------------
    def _route(self, method: str, path: str, raw: bytes) -> None:
        reg = self.sim.store.registry
        if path in _HEALTH:
            return self._send(200, "ok", "text/plain")
        if path == "/version":
            return self._send(200, discovery.KUBE_VERSION)
        if path == "/api":
            return self._send(200, discovery.core_versions())
        if path == "/apis":
            return self._send(200, discovery.api_groups(reg))
        if path == "/openapi/v2":
            return self._send(200, protobuf.openapi_v2_document(),
                              "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
        if path == "/openapi/v3":
            return self._send(200, discovery.openapi_v3_root(reg))
        if path.startswith("/openapi/v3/"):
            doc = discovery.openapi_v3_document(reg, path[len("/openapi/v3/"):])
            if doc is None:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            return self._send(200, doc)
        parts = path.strip("/").split("/")
        if parts[0] == "api" and len(parts) >= 2:
            group, version, rest = "", parts[1], parts[2:]
        elif parts[0] == "apis" and len(parts) >= 3:
            group, version, rest = parts[1], parts[2], parts[3:]
        elif parts[0] == "apis" and len(parts) == 2:
            versions = reg.group_versions().get(parts[1])
            if not versions:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            gvs = [{"groupVersion": f"{parts[1]}/{v}", "version": v} for v in versions]
            return self._send(200, {"kind": "APIGroup", "apiVersion": "v1", "name": parts[1], "versions": gvs,
                                    "preferredVersion": gvs[0]})
        else:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if not rest:
            body = discovery.resource_list(reg, group, version)
            if body is None:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            return self._send(200, body)
        namespace = ""
        if rest[0] == "namespaces" and len(rest) >= 3 and rest[2] not in ("status", "finalize"):
            namespace, rest = rest[1], rest[2:]
        plural, name = rest[0], (rest[1] if len(rest) > 1 else "")
        sub = "/".join(rest[2:])
        rt = reg.lookup(group, version, plural)
        if rt is None or f"{plural}.{group}" in self.sim.scenario.unserved:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if rt.namespaced and name and not namespace:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if not rt.namespaced and namespace:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        verb = self._verb(method, name)
        self.sim.check_access(verb, rt, namespace, name, sub)
        if rt.kind == "SelfSubjectAccessReview":
            if method != "POST":
                raise ApiError.method_not_allowed()
            return self._send(201, self.sim.access_review(self._decode(raw) or {}))
        if not name:
            return self._collection(method, rt, namespace or None, raw)
        if sub not in ("", "status", "log", "finalize"):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if sub == "log":
            if method != "GET" or rt.kind != "Pod":
                raise ApiError.method_not_allowed()
            return self._pod_log(namespace, name)
        return self._object(method, rt, namespace, name, sub, raw)

    def _verb(self, method: str, name: str) -> str:
        if method == "GET":
            return "get" if name else ("watch" if self.query.get("watch") in ("true", "1") else "list")
        if method == "DELETE" and not name:
            return "deletecollection"
        return {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}[method]

    def _dry_run(self, options: dict | None = None) -> bool:
        return self.query.get("dryRun") == "All" or "All" in ((options or {}).get("dryRun") or [])

    # ---- collections ---------------------------------------------------------------------
    def _collection(self, method: str, rt: ResourceType, namespace: str | None, raw: bytes) -> None:
        store = self.sim.store
        if method == "GET":
            labels = parse_label_selector(self.query.get("labelSelector"))
            fields = parse_field_selector(self.query.get("fieldSelector"))
            if self.query.get("watch") in ("true", "1"):
                return watch.stream(self, rt, namespace, labels, fields)
            items, rv = store.list(rt, namespace, labels, fields)
            if tables.wants_table(self.headers.get("Accept")):
                return self._send(200, tables.table(rt, items, rv, self.query.get("includeObject", "Metadata")),
                                  tables.TABLE_CONTENT_TYPE)
            if "as=PartialObjectMetadataList" in (self.headers.get("Accept") or ""):
                # metadata only: what careful clients ask for so Secret data never crosses the wire
                return self._send(200, {
                    "kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1",
                    "metadata": {"resourceVersion": rv},
                    "items": [{"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                               "metadata": i["metadata"]} for i in items]})
            if not rt.storage_version or any(i.get("apiVersion") != rt.api_version for i in items[:1]):
                items = [{**i, "apiVersion": rt.api_version} for i in items]
            return self._send(200, {"kind": f"{rt.kind}List", "apiVersion": rt.api_version,
                                    "metadata": {"resourceVersion": rv}, "items": items})
        if method == "POST":
            if namespace is None and rt.namespaced:
                raise ApiError.method_not_allowed()
            body = self._decode(raw)
            body = self._fields(rt, body)
            created = store.create(rt, namespace or "", body, dry_run=self._dry_run())
            return self._send(201, created)
        if method == "DELETE":
            labels = parse_label_selector(self.query.get("labelSelector"))
            fields = parse_field_selector(self.query.get("fieldSelector"))
            items, _ = store.list(rt, namespace, labels, fields)
            deleted = []
            for item in list(items):
                obj, _gone = store.delete(rt, item["metadata"].get("namespace", ""), item["metadata"]["name"],
                                          dry_run=self._dry_run())
                deleted.append(obj)
            return self._send(200, {"kind": f"{rt.kind}List", "apiVersion": rt.api_version,
                                    "metadata": {"resourceVersion": str(store.rv)}, "items": deleted})
        raise ApiError.method_not_allowed()

    # ---- single objects ------------------------------------------------------------------
    def _object(self, method: str, rt: ResourceType, namespace: str, name: str, sub: str, raw: bytes) -> None:
        store = self.sim.store
        if method == "GET":
            obj = store.get(rt, namespace, name)
            obj["apiVersion"] = rt.api_version
            if tables.wants_table(self.headers.get("Accept")):
                return self._send(200, tables.table(rt, [obj], obj["metadata"]["resourceVersion"],
                                                    self.query.get("includeObject", "Metadata")),
                                  tables.TABLE_CONTENT_TYPE)
            return self._send(200, obj)
        if method == "PUT":
            body = self._decode(raw)
            if rt.key == ("", "namespaces") and sub == "finalize":
                sub = ""
            body = self._fields(rt, body)
            return self._send(200, store.update(rt, namespace, name, body, subresource=sub,
                                                dry_run=self._dry_run()))
        if method == "PATCH":
            return self._patch(rt, namespace, name, sub, raw)
        if method == "DELETE":
            options = self._decode(raw) or {}
            propagation = self.query.get("propagationPolicy") or options.get("propagationPolicy") or "Background"
            if options.get("orphanDependents") or self.query.get("orphanDependents") == "true":
                propagation = "Orphan"
            obj, _gone = store.delete(rt, namespace, name, propagation=propagation,
                                     preconditions=options.get("preconditions"), dry_run=self._dry_run(options))
            # The deleted (or still-finalizing) object: what the API returns for pods, services and
            # service accounts, and what clients typed as `object` accept for every other kind too.
            return self._send(200, obj)
        raise ApiError.method_not_allowed()

    def _patch(self, rt: ResourceType, namespace: str, name: str, sub: str, raw: bytes) -> None:
        store = self.sim.store
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        body = self._decode(raw)
        dry = self._dry_run()
        ns_key = namespace if rt.namespaced else ""
        with store.lock:
            live = store.peek(rt.key, ns_key, name)
            if ctype == APPLY:
                manager = self.query.get("fieldManager")
                if not manager:
                    raise ApiError.bad_request("PATCH /apply: fieldManager is required for apply requests")
                if not isinstance(body, dict):
                    raise ApiError.bad_request("apply patch body must be an object")
                meta = body.get("metadata") or {}
                if meta.get("name") and meta["name"] != name:
                    raise ApiError.bad_request(f'the name of the object ({meta["name"]}) does not match the name '
                                               f"on the URL ({name})")
                if live is None:
                    if sub:
                        raise ApiError.not_found(rt.qualified, name)
                    body = {**body, "metadata": {**meta, "name": name}}
                    body = self._fields(rt, body, apply=True)
                    created = store.create(rt, namespace, body, dry_run=dry)
                    if not dry:
                        store.applied[(created["metadata"]["uid"], manager)] = clone(body)
                    return self._send(201, created)
                last = store.applied.get((live["metadata"]["uid"], manager))
                body = self._fields(rt, body, apply=True)
                merged = apply_merge(clone(live), last, body)
                merged.setdefault("metadata", {})["resourceVersion"] = live["metadata"]["resourceVersion"]
                result = store.update(rt, namespace, name, merged, subresource=sub, dry_run=dry)
                if not dry:
                    store.applied[(live["metadata"]["uid"], manager)] = clone(body)
                return self._send(200, result)
            if live is None:
                raise ApiError.not_found(rt.qualified, name)
            if ctype == "application/json-patch+json":
                patched = json_patch(live, body)
            elif ctype == "application/merge-patch+json":
                patched = merge_patch(live, body)
            elif ctype == "application/strategic-merge-patch+json":
                if rt.group not in ("", "apps", "batch", "rbac.authorization.k8s.io", "networking.k8s.io",
                                    "policy", "coordination.k8s.io", "autoscaling", "storage.k8s.io"):
                    raise ApiError(415, "UnsupportedMediaType",
                                   "strategic merge patch is not supported for custom resources")
                patched = strategic_merge(live, body)
            else:
                raise ApiError(415, "UnsupportedMediaType", f"the body of the request was in an unknown format: "
                               f"accepted media types include: application/json-patch+json, "
                               f"application/merge-patch+json, application/apply-patch+yaml, "
                               f"application/strategic-merge-patch+json (got {ctype!r})")
            patched = self._fields(rt, patched)
            return self._send(200, store.update(rt, namespace, name, patched, subresource=sub, dry_run=dry))

    def _fields(self, rt: ResourceType, obj, apply: bool = False):
        """Unknown fields: apply and Strict fail, Warn warns, and they are always dropped."""
        if not isinstance(obj, dict):
            return obj
        crd = self.sim.store.peek(("apiextensions.k8s.io", "customresourcedefinitions"), "",
                                  f"{rt.plural}.{rt.group}") if rt.group else None
        schema = (validation.crd_schema(crd, rt.version) if crd is not None
                  else builtin_schemas.SCHEMAS.get(rt.kind) if rt.storage_version else None)
        pruned, unknown = validation.check(schema, obj)
        if not unknown:
            return obj
        level = self.query.get("fieldValidation") or "Warn"
        if apply and level != "Ignore":
            raise ApiError.bad_request(f"{validation.apply_path(unknown[0])}: field not declared in schema")
        names = [validation.strict_path(u) for u in unknown]
        if level == "Strict":
            raise ApiError.bad_request("strict decoding error: " + ", ".join(f'unknown field "{n}"' for n in names))
        if level == "Warn":
            self.warnings.extend(f'unknown field "{n}"' for n in names)
        return pruned

    def _pod_log(self, namespace: str, name: str) -> None:
        pod = self.sim.store.get(self.sim.store.registry.lookup("", "v1", "pods"), namespace, name)
        try:
            tail = int(self.query["tailLines"]) if self.query.get("tailLines") else None
        except ValueError:
            raise ApiError.bad_request("tailLines must be an integer") from None
        with self.sim.store.lock:  # logs read other objects (the pool, its pods) while controllers write
            lines = logs.pod_log(pod, self.sim.store, self.sim.faults, container=self.query.get("container"),
                                 previous=self.query.get("previous") == "true")
        if tail is not None:
            lines = lines[-tail:] if tail > 0 else []
        return self._send(200, "".join(line + "\n" for line in lines), "text/plain")
