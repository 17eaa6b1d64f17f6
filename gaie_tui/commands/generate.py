"""`gaie-tui generate`: a commented values file for a chart version and provider."""
from __future__ import annotations

import sys

from ..core.values.providers import PROVIDERS
from .common import STDOUT_NAMES, add_chart_argument, chart_ref, knowledge_store, shown, write_output


def add_arguments(p) -> None:
    add_chart_argument(p)
    p.add_argument("--provider", choices=PROVIDERS, default="istio", help="gateway provider (default: istio)")
    p.add_argument("--namespace", default="llm-d", help="namespace the release goes to (default: llm-d)")
    p.add_argument("--release", default="gaie-inference", help="helm release name (default: gaie-inference)")
    p.add_argument("--image", metavar="REGISTRY/REPO:TAG", help="endpoint-picker image (default: the one paired with the chart)")
    p.add_argument("--hf-secret", metavar="NAME[:KEY]", help="Secret holding the Hugging Face token (key default HF_TOKEN)")
    p.add_argument("--no-zmq", action="store_true", help="leave out the zmq 5557 KV-cache-events port")
    p.add_argument("--monitoring", action="store_true", help="create a Prometheus ServiceMonitor")
    p.add_argument("--selector", metavar="KEY=VALUE", nargs="+", action="extend",
                   help="model-server pod labels (replace the default llm-d.ai/inferenceServing=true)")
    p.add_argument("--model-server-type", default="vllm", help="vllm (default), triton-tensorrt-llm, sglang, trtllm-serve")
    p.add_argument("--target-port", metavar="N", type=int, nargs="+", action="extend", help="model-server ports (default 8000)")
    p.add_argument("--replicas", type=int, default=1, help="EPP replicas (above 1: leader election)")
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")


def run(args) -> int:
    from ..core.names import parse_selector
    from ..core.values.generate import Answers, generate

    answers = Answers(release=args.release, namespace=args.namespace, provider=args.provider,
                      image=args.image, zmq=not args.no_zmq, monitoring=args.monitoring,
                      model_server_type=args.model_server_type, replicas=args.replicas)
    if args.hf_secret:
        name, _, key = args.hf_secret.partition(":")
        answers.hf_secret, answers.hf_secret_key = name, key or "HF_TOKEN"
        from ..core.names import namespace_problem
        if problem := namespace_problem(name):  # Secret names are DNS labels in practice
            from ..core.errors import UserError
            raise UserError(f"invalid secret name {name!r}: {problem}", "e.g. --hf-secret llm-d-hf-token:HF_TOKEN")
    if args.selector:
        answers.selector = parse_selector(args.selector)
    if args.target_port:
        answers.target_ports = list(args.target_port)
    chart = knowledge_store().get(chart_ref(args.chart))
    result = generate(chart, answers)
    write_output(result.text, args.output)
    if args.output and args.output not in STDOUT_NAMES:
        print(f"wrote {shown(args.output)} for {shown(chart.name)} {shown(chart.version)} ({shown(result.image.ref)})",
              file=sys.stderr)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    return 0
