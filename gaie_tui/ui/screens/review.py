"""Review: the plan in plain words, deviations, diff on upgrade, helm command, objects, approval."""
from __future__ import annotations

import difflib
import shlex

import yaml
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from ..app import guarded
from ..widgets.action import ActionButton
from .base import WizardScreen


class Rendered(Message):
    def __init__(self, objects: list[str], error: str, deployed: str | None, preflight=None) -> None:
        super().__init__()
        self.objects, self.error, self.deployed, self.preflight = objects, error, deployed, preflight or []


class ReviewScreen(WizardScreen):
    STEP = "review"
    BINDINGS = [
        WizardScreen.BACK_BINDING,
        Binding("a", "approve", "Approve…", id="review.approve"),
        Binding("c", "copy_command", "Copy helm cmd", id="review.copy"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.plan = None
        self.chart = None
        self.blockers: list[str] = []

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="review-body"):
            yield Static("", id="approval", markup=False)
            yield Static("", id="plan", markup=False)
            yield Static("", id="deviations", markup=False)
            yield Static("", id="command", markup=False)
            yield Static("", id="preflight", markup=False)
            yield Static("Objects: rendering with helm template…", id="objects", markup=False)
            yield Static("", id="diff", markup=False)
            yield Static("", id="warnings", markup=False)
            yield ActionButton("Approve and deploy…  (a)", id="approve", variant="success")

    def on_mount(self) -> None:
        self.update_subtitle()
        self.build()

    def on_revisit(self) -> None:
        self.update_subtitle()
        self.build()

    @guarded
    def build(self) -> None:
        st = self.app.state
        svc = self.app.services
        self.chart = svc.chart(st.chart_ref)
        text = st.values_text or ""
        diags = svc.check(text, self.chart)
        st.diagnostics = diags
        all_d = [*diags, *st.deep_diagnostics]
        a = st.answers
        self.plan = svc.plan(self.chart, text, a.release, a.namespace)
        known = getattr(st, "known_namespaces", None)
        if not st.offline and known is not None and a.namespace not in known:
            self.plan.create_namespace = True   # Setup said so: "deploy will create it"
        try:
            values = yaml.safe_load(text) or {}
        except yaml.YAMLError:
            values = {}
        if not isinstance(values, dict):
            values = {}
        lay = self.chart.layout.layout
        q = self.query_one
        # approval state first: the one thing the user must not miss
        self.blockers = []
        errors = [d for d in all_d if d.severity == "error"]
        if errors:
            self.blockers.append(f"{len(errors)} error(s) in the values: fix them on Values (esc)")
        if st.offline:
            self.blockers.append("offline: no cluster, so deploy is unavailable (review only)")
        if self.blockers:
            q("#approval", Static).update("✗ Approval blocked: " + "; ".join(self.blockers))
            q("#approval", Static).set_class(True, "blocked")
        else:
            prod = self.production()
            q("#approval", Static).update("Ready to approve (a)." + (
                f"  PRODUCTION ({prod}): you will type the release name." if prod else ""))
            q("#approval", Static).set_class(False, "blocked")
        q("#approve", ActionButton).disabled = bool(self.blockers)
        n_warn = sum(1 for d in all_d if d.severity == "warning")
        self.set_status(f"✗ {len(errors)} errors  ⚠ {n_warn} warnings  · "
                        + ("approval blocked" if self.blockers else "a approves · c copies the helm command"))

        # the plan in plain words
        epp = _get(values, lay.epp) or {}
        img = epp.get("image") or {}
        image = f"{img.get(lay.image_keys[0], '?')}/{img.get(lay.image_keys[1], '?')}:{img.get('tag', '?')}" \
            if img else "the chart's default image"
        sel = _get(values, lay.match_labels) or {}
        ports = [p.get("number") for p in (_get(values, lay.target_ports) or []) if isinstance(p, dict)]
        prov = (values.get("provider") or {}).get("name", "none")
        lines = [
            "THE PLAN",
            f"· helm release {a.release} in namespace {a.namespace} on "
            f"{'(offline)' if st.offline else (st.context or '?')}, chart {self.chart.name} {self.chart.version}",
            f"· the endpoint picker runs {image}, {epp.get('replicas', 1)} replica(s)",
            f"· the InferencePool routes to pods labelled {_labels(sel)} on port(s) "
            f"{', '.join(map(str, ports)) or '?'}",
            f"· gateway provider {prov}: " + {
                "istio": "a DestinationRule for the EPP Service (TLS SIMPLE, connection-pool limits)",
                "gke": "GKE HealthCheckPolicy and GCPBackendPolicy",
            }.get(str(prov), "no provider objects"),
        ]
        if a.hf_secret:
            lines.append(f"· HF_TOKEN comes from Secret {a.hf_secret} (key {a.hf_secret_key})")
        if a.zmq:
            lines.append("· zmq port 5557 open on the EPP container and Service (KV-cache events)")
        q("#plan", Static).update("\n".join(lines))

        # deviations from the chart defaults
        devs = []
        for path, value in _leaves(values):
            node = self.chart.tree.find(_generic(path))
            if node is not None and node.has_default and node.default != value and not isinstance(value, (dict,)):
                devs.append(f"· {path}: {_short(node.default)} → {_short(value)}")
        q("#deviations", Static).update("DEVIATIONS FROM THE CHART DEFAULTS\n" + ("\n".join(devs[:30]) or "· none"))

        q("#command", Static).update("HELM COMMAND (c copies it)\n" + shlex.join(self.command()))
        warns = [d for d in all_d if d.severity != "error"]
        q("#warnings", Static).update("REMAINING WARNINGS\n" + ("\n".join(
            f"· {d.mark} line {d.line}: {d.message}" for d in warns) or "· none"))
        self.render_worker(self.plan)

    @work(thread=True, exclusive=True, group="review", exit_on_error=False)
    def render_worker(self, plan) -> None:
        svc = self.app.services
        try:
            objects, error = svc.render_objects(plan)
        except Exception as exc:
            objects, error = [], str(exc)
        deployed, pre = None, []
        if not self.app.state.offline:
            try:
                deployed = svc.deployed_values(plan.release, plan.namespace)
            except Exception:
                deployed = None
            if not error:
                try:
                    pre = svc.preflight(plan)
                except Exception as exc:
                    from ..services import CheckRow
                    pre = [CheckRow("preflight", "preflight", "fail", f"could not run: {exc}")]
        self.post_message(Rendered(objects, error, deployed, pre))

    def on_rendered(self, msg: Rendered) -> None:
        q = self.query_one
        if msg.preflight:
            marks = {"pass": "✓", "warn": "⚠", "fail": "✗", "skip": "-"}
            lines = ["PREFLIGHT (read-only checks of the cluster)"]
            for c in msg.preflight:
                lines.append(f"{marks.get(c.status, '?')} {c.title}: {c.summary}")
                if c.status == "fail" and c.remedy:
                    lines.append(f"    → {c.remedy}")
            q("#preflight", Static).update("\n".join(lines))
            fails = [c for c in msg.preflight if c.status == "fail"]
            if fails and not any("preflight" in b for b in self.blockers):
                self.blockers.append(f"{len(fails)} preflight check(s) failed: " + ", ".join(c.title for c in fails))
                q("#approval", Static).update("✗ Approval blocked: " + "; ".join(self.blockers))
                q("#approval", Static).set_class(True, "blocked")
                q("#approve", ActionButton).disabled = True
        if msg.error and not self.app.state.offline:
            if not any("render" in b for b in self.blockers):
                self.blockers.append("the chart does not render with these values")
                q("#approval", Static).update("✗ Approval blocked: " + "; ".join(self.blockers))
                q("#approval", Static).set_class(True, "blocked")
                q("#approve", ActionButton).disabled = True
        if msg.error:
            q("#objects", Static).update(f"OBJECTS\n· not rendered: {msg.error.splitlines()[0][:300]}")
        else:
            q("#objects", Static).update("OBJECTS helm template renders\n" + "\n".join(f"· {o}" for o in msg.objects))
        if msg.deployed is not None and self.plan is not None:
            self.plan.upgrade = True
            try:
                old = yaml.safe_dump(yaml.safe_load(msg.deployed) or {}, sort_keys=True).splitlines()
                new = yaml.safe_dump(yaml.safe_load(self.plan.values_text) or {}, sort_keys=True).splitlines()
            except yaml.YAMLError:
                old, new = msg.deployed.splitlines(), self.plan.values_text.splitlines()
            diff = list(difflib.unified_diff(old, new, "deployed", "new", lineterm="", n=1))
            q("#diff", Static).update("UPGRADE: DIFF AGAINST THE DEPLOYED VALUES\n" + ("\n".join(diff[2:80]) or
                                                                                   "· no change"))
        else:
            q("#diff", Static).update("NEW INSTALL (no deployed release of this name)" if not self.app.state.offline
                                      else "")

    def command(self) -> list[str]:
        argv = self.app.services.helm_command(self.plan)
        return ["helm", *argv[1:]] if argv else argv   # the user's own helm, not our path to it

    def is_production(self) -> bool:
        return self.production() is not None

    def action_copy_command(self) -> None:
        if self.plan is None:
            return
        self.app.copy_to_clipboard(shlex.join(self.command()))
        self.app.notify("helm command copied (OSC 52; in tmux: set-clipboard on)", timeout=4)

    def on_action_button_pressed(self, event: ActionButton.Pressed) -> None:
        if event.button.id == "approve":
            self.action_approve()

    def action_approve(self) -> None:
        if self.blockers or self.plan is None:
            self.app.notify("Approval blocked: " + "; ".join(self.blockers), severity="error", markup=False)
            return
        from ..widgets.modals import Confirm
        st = self.app.state
        prod = self.production()
        question = (f"Deploy release {st.answers.release} to namespace {st.answers.namespace} on context "
                    f"{st.context}?\nchart {self.plan.chart_name} {self.plan.chart_version}"
                    + (f"\nThe namespace {st.answers.namespace} will be created." if self.plan.create_namespace else "")
                    + (f"\nPRODUCTION: {prod}." if prod else ""))
        self.app.push_screen(Confirm(question, yes="Deploy", no="Not yet", typed=st.answers.release if prod else None,
                                     danger=bool(prod)), self._approved)

    def _approved(self, ok: bool | None) -> None:
        if not ok:
            return
        st = self.app.state
        st.plan = self.plan
        st.deploy_result = None
        st.checks = []
        st.step(f"approved: helm upgrade --install {self.plan.release} ({self.plan.chart_name} "
                f"{self.plan.chart_version})")
        self.app.goto("deploy", fresh=True)

    def palette_commands(self):
        return [("Review: approve and deploy", "a", self.action_approve),
                ("Review: copy the helm command (OSC 52)", "c", self.action_copy_command)]


def _get(values: dict, dotted: str):
    node = values
    for part in dotted.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _leaves(values, prefix: str = ""):
    if isinstance(values, dict) and values:
        for k, v in values.items():
            yield from _leaves(v, f"{prefix}.{k}" if prefix else str(k))
    else:
        yield prefix, values


def _generic(path: str) -> str:
    return path


def _labels(sel: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in sel.items()) or "(none)"


def _short(value) -> str:
    import json
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "…"
