"""The Plan: everything one deploy will do, fixed at approval — the chart (archive or registry
address and exact version), the values as an ordered list of layers (helm gets one `-f` per layer,
later layers winning), release, namespace, cluster, helm and its flags. `render()` asks
`helm template` what the cluster should end up with; `summary()` says it in plain words.

With several layers, "the values" (`values_text`: the values check's input, the record's
values-merged.yaml, the upgrade diff) are the layers merged exactly as helm merges them
(`core.values.layers`); helm itself always gets the layers, one `-f` each, in order.

Both front ends show the plan from here, so what a screen shows is what the engine runs.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

from ..cluster import helm as helm_mod
from ..errors import UserError
from ..names import check_namespace, check_release
from ..redact import redact
from ..verify.expected import Expected, expected_from_objects, parse_manifest


@dataclass(frozen=True)
class ValuesLayer:
    """One values file of the plan: `name` says where it came from (a path, "the wizard's editor")."""
    name: str
    text: str


@dataclass
class Plan:
    """Everything approved for one deploy. `helm_argv(files)` is the exact command."""
    chart_ref: str
    chart_name: str
    chart_version: str
    chart_source: str
    archive: str | None          # local archive passed to helm, when there is one
    helm_chart: str              # what helm gets: the archive path, or the oci:// address (+ --version),
                                 # a registry mirror (GAIE_TUI_REGISTRY_MIRRORS) applied
    values: list[ValuesLayer]
    release: str
    namespace: str
    kubeconfig: str | None = None
    context: str | None = None
    create_namespace: bool = False
    wait_timeout: str = helm_mod.DEFAULT_WAIT
    helm: str = "helm"
    helm_major: int = 4
    epp_label: str = "inferencepool"
    match_labels_path: str = "inferencePool.modelServers.matchLabels"
    plain_http: bool = False     # the chart comes from an http:// mirror
    notes: list[str] = field(default_factory=list)

    @property
    def layered(self) -> bool:
        """Several values files, merged by helm."""
        return len(self.values) > 1

    def layer_pairs(self) -> list[tuple[str, str]]:
        return [(layer.name, layer.text) for layer in self.values]

    def merged(self):
        """The layers merged as helm merges them (`core.values.layers.Layered`: values, where each
        value was set, what later layers overrode). Computed once per set of layers."""
        from ..values.layers import merge_layers
        key = tuple(self.values)
        cached = self.__dict__.get("_merged")
        if cached is None or cached[0] != key:
            cached = (key, merge_layers(self.layer_pairs()))
            self.__dict__["_merged"] = cached
        return cached[1]

    @property
    def values_text(self) -> str:
        """The values as one text: a one-layer plan's own text; with several layers, the merged
        result as YAML (headed by this plan's chart), meaning to helm what the layers mean."""
        if not self.layered:
            return self.values[0].text if self.values else ""
        from ..values.merged import merged_text
        layered = self.merged()
        if not layered.ok:
            raise layers_error(layered)
        return merged_text(layered, chart_ref=f"{self.chart_name}@{self.chart_version}")

    def kube_args(self) -> list[str]:
        args: list[str] = []
        if self.kubeconfig:
            args += ["--kubeconfig", self.kubeconfig]
        if self.context:
            args += ["--kube-context", self.context]
        return args

    def values_file_names(self) -> list[str]:
        """The file name each layer gets in the record folder: values.yaml, or values-1.yaml …"""
        if len(self.values) == 1:
            return ["values.yaml"]
        return [f"values-{i}.yaml" for i in range(1, len(self.values) + 1)]

    def merged_file_name(self) -> str | None:
        """The record's file of the merged values (several layers only; helm never reads it)."""
        return MERGED_FILE if self.layered else None

    def set_by(self) -> list[tuple[str, str, int]]:
        """(value path, file, line) that set each merged value — several layers only."""
        if not self.layered or not self.merged().ok:
            return []
        from ..values.merged import set_by
        return set_by(self.merged())

    def helm_argv(self, values_files: list[str] | None = None) -> list[str]:
        """`helm upgrade --install … -f LAYER …`; without files, the record folder's names."""
        return helm_mod.upgrade_install_argv(
            self.helm, self.helm_major, release=self.release, chart=self.helm_chart,
            version=None if self.archive else self.chart_version, namespace=self.namespace,
            values_file=values_files or self.values_file_names(), wait_timeout=self.wait_timeout,
            create_namespace=self.create_namespace, kube_args=self.kube_args(), plain_http=self.plain_http)

    def shown_argv(self, values_files: list[str] | None = None) -> list[str]:
        """The command as a person would type it: `helm`, not our path to it; secrets redacted."""
        return ["helm", *helm_mod.redact_argv(self.helm_argv(values_files))[1:]]

    def to_dict(self) -> dict:
        d = asdict(self)
        d["values"] = [{"name": layer.name, "file": f} for layer, f in zip(self.values, self.values_file_names(),
                                                                         strict=True)]
        d["values_merged"] = ({"file": MERGED_FILE, "from": [layer.name for layer in self.values]}
                              if self.layered else None)
        d["helm_command"] = helm_mod.redact_argv(self.helm_argv())
        return d


MERGED_FILE = "values-merged.yaml"


def layers_error(layered) -> UserError:
    """The first layer that is not valid YAML, named by file, line and column."""
    bad = next((d for d in layered.source.diagnostics if d.severity == "error"), None)
    files = " ".join(f"-f {name}" for name in layered.files)
    if bad is None:
        return UserError("the values files could not be merged", f"gaie-tui validate {files} shows why")
    return UserError(f"{bad.file}:{bad.line}:{bad.column}: {bad.message}",
                     f"fix the YAML of that file (gaie-tui validate {files} shows every problem); "
                     "layered values are merged before anything runs")


def make_plan(chart, values: str | list[ValuesLayer], *, release: str, namespace: str,
              kubeconfig: str | None = None, context: str | None = None, create_namespace: bool = False,
              wait_timeout: str = helm_mod.DEFAULT_WAIT, helm: str | None = None,
              values_name: str = "values.yaml") -> Plan:
    """A Plan for a chart of the knowledge store; validates names and finds helm (and its major
    version). `values` is one text (named `values_name`) or the layers in helm's order."""
    from ..charts.refs import FAMILIES
    check_release(release)
    check_namespace(namespace)
    if helm_mod.duration_seconds(wait_timeout) is None:
        raise UserError(f"timeout {wait_timeout!r} is not a duration", "e.g. 5m0s or 300s")
    binary, version = helm_mod.check_helm(helm)
    archive = str(chart.archive) if chart.archive else None
    address = chart.ref.oci_address or (FAMILIES[chart.name].oci if chart.name in FAMILIES else None)
    if not archive and not address:
        raise UserError(f"no chart archive and no registry address for {chart.ref}",
                        "give the chart archive with --chart PATH.tgz")
    plain_http = False
    if not archive:
        # the same registry mirror the chart lookups and pulls use (GAIE_TUI_REGISTRY_MIRRORS)
        from types import SimpleNamespace

        from ..upstream.charts import pull_target
        from ..upstream.net import Endpoints
        target = pull_target(address, SimpleNamespace(endpoints=Endpoints.from_env()))
        address, plain_http = target.address, target.plain_http
    layers = [ValuesLayer(values_name, values)] if isinstance(values, str) else list(values)
    if not layers:
        raise UserError("a plan needs at least one values file", "give the values with -f FILE")
    merged = None
    if len(layers) > 1:
        # the merged values are the values check's input, the record's values-merged.yaml and the
        # upgrade diff: a layer that is not YAML stops here, named (helm would refuse it as well)
        from ..values.layers import merge_layers
        merged = merge_layers([(layer.name, layer.text) for layer in layers])
        if not merged.ok:
            raise layers_error(merged)
    fam = FAMILIES.get(chart.name)
    plan = Plan(chart_ref=str(chart.ref), chart_name=chart.name, chart_version=chart.version,
                chart_source=chart.source, archive=archive, helm_chart=archive or address, values=layers,
                release=release, namespace=namespace, kubeconfig=kubeconfig, context=context,
                create_namespace=create_namespace, wait_timeout=wait_timeout, helm=binary, helm_major=version[0],
                epp_label=fam.epp_pod_label if fam else "inferencepool",
                match_labels_path=chart.layout.layout.match_labels, plain_http=plain_http)
    if merged is not None:
        plan.__dict__["_merged"] = (tuple(layers), merged)
    return plan


class RenderFailed(UserError):
    def __init__(self, message: str, hint: str, output: str) -> None:
        super().__init__(message, hint)
        self.output = output


@contextlib.contextmanager
def values_for_helm(plan: Plan) -> Iterator[tuple[list[str], str | None]]:
    """(the `-f` arguments, standard input) that hand the plan's values to helm without leaving a
    file behind: one layer goes through standard input (`-f -`); several go to a private scratch
    folder that is removed afterwards (and swept on the next start if we are killed)."""
    if len(plan.values) == 1:
        yield ["-"], plan.values[0].text
        return
    from ..safeio import write_text
    from ..scratch import scratch
    with scratch() as folder:
        files = []
        for name, layer in zip(plan.values_file_names(), plan.values, strict=True):
            files.append(str(write_text(folder / name, layer.text, private=True)))
        yield files, None


def render(plan: Plan) -> Expected:
    """`helm template` of the exact chart and values → what the cluster should end up with."""
    import time
    with values_for_helm(plan) as (files, stdin):
        argv = helm_mod.template_argv(plan.helm, release=plan.release, chart=plan.helm_chart,
                                      version=None if plan.archive else plan.chart_version,
                                      namespace=plan.namespace, values_file=files, plain_http=plan.plain_http)
        rc, out, err = helm_mod.run_capture(argv, timeout=120, input_text=stdin)
    if rc != 0:
        res = helm_mod.HelmResult(argv=argv, returncode=rc, duration=0.0,
                                  lines=[helm_mod.LogLine(time.time(), "stderr", ln) for ln in err.splitlines()])
        ex = helm_mod.explain(res) or helm_mod.Explanation("render", "the chart could not be rendered", "")
        if ex.kind in ("failed", "unreachable"):
            # `helm template` never talks to a cluster: anything else is the values or the chart
            ex = helm_mod.Explanation("render", "the chart could not be rendered with these values",
                                      "fix the values (the values checker and helm's message name the key)")
        lines = [ln for ln in err.splitlines() if ln.strip()]
        last = next((ln for ln in lines if ln.startswith("Error:")), lines[-1] if lines else "")
        raise RenderFailed(f"{ex.message}: {redact(last)[:400]}", ex.hint, err)
    objects = parse_manifest(out, plan.namespace)
    return expected_from_objects(objects, release=plan.release, namespace=plan.namespace,
                                 chart_name=plan.chart_name, chart_version=plan.chart_version,
                                 epp_label=plan.epp_label)


def summary(plan: Plan, exp: Expected) -> list[str]:
    """The configuration in plain words, from what helm rendered (Review and the record)."""
    ports = ", ".join(map(str, exp.target_ports))
    out = [f"Chart {plan.chart_name} {plan.chart_version} ({plan.chart_source}) as release {plan.release} in "
           f"namespace {plan.namespace}" + (" (created if missing)" if plan.create_namespace else "") + ".",
           f"Endpoint picker {exp.epp}: image {exp.epp_image or 'unknown'}, {exp.epp_replicas} replica(s)"
           + (" with leader election (only the leader is Ready)" if exp.epp_replicas > 1 else "") + ".",
           f"InferencePool {exp.pool} selects model-server pods labelled "
           f"{exp.pool_label_selector or '(nothing)'} on port(s) {ports}; "
           f"the gateway calls the EPP on port {exp.ext_proc_port}."]
    if exp.destination_rule is not None:
        spec = exp.destination_rule.get("spec") or {}
        pool = (spec.get("trafficPolicy") or {}).get("connectionPool")
        out.append(f"Istio DestinationRule for host {spec.get('host')} (TLS SIMPLE)"
                   + (", with the connection-pool limits" if pool else ", without connection-pool limits") + ".")
    else:
        out.append("No Istio DestinationRule.")
    if "ServiceMonitor" in exp.extra_kinds:
        out.append("Prometheus monitoring: a ServiceMonitor scrapes the EPP's metrics.")
    if "HTTPRoute" in exp.extra_kinds:
        out.append("An HTTPRoute is rendered.")
    if exp.secret_refs:
        out.append("The EPP reads secret(s): " + ", ".join(f"{n} (key {k})" for n, k in exp.secret_refs) + ".")
    else:
        out.append("The EPP reads no secret.")
    out.append(f"helm waits up to {plan.wait_timeout} for readiness and rolls back on failure.")
    return [redact(line) for line in out]
