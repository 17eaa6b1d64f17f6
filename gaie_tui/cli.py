"""Command line: the wizard by default, headless subcommands for every phase.

Each subcommand lives in `gaie_tui/commands/<name>.py` with `add_arguments(parser)` and
`run(args) -> int`. They are imported only when chosen, so `gaie-tui --help` and the wizard's
first frame never pay for kubernetes, httpx or jsonschema.
"""
from __future__ import annotations

import importlib
import os
import sys
from types import SimpleNamespace

from .core.errors import UserError

COMMANDS: dict[str, str] = {
    "generate": "write a commented values file for a chart version and provider",
    "schema": "print the JSON Schema derived from a chart version",
    "validate": "check a values file against the exact chart version",
    "preflight": "check the cluster before a deploy, changing nothing",
    "deploy": "preflight, helm upgrade --install, verify and record",
    "verify": "verify an existing release",
    "releases": "list the inferencepool and llm-d-router-gateway releases in the cluster",
    "rollback": "roll a release back to an earlier revision, verified and recorded",
    "uninstall": "uninstall a release, listing every object it deletes first",
    "versions": "newest endpoint-picker release and chart versions",
    "sim": "run the simulated Kubernetes cluster in the foreground",
    "demo": "start the wizard against a simulated cluster",
}


def build_parser(load_subcommand: str | None = None):
    import argparse

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> None:  # exit 2 with one line, as for every usage error
            self.print_usage(sys.stderr)
            print(f"{self.prog}: error: {message}", file=sys.stderr)
            sys.exit(2)

    parser = _Parser(prog="gaie-tui", description="Deploy the GAIE inferencepool chart, checked and verified.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("--values", metavar="FILE", help="open an existing values file in the wizard")
    parser.add_argument("--chart", metavar="REF", help="chart reference for the wizard")
    parser.add_argument("--no-mouse", action="store_true", help="do not capture the mouse")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, help_text in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == load_subcommand:
            _module(name).add_arguments(p)
    return parser


def _module(name: str):
    return importlib.import_module(f"gaie_tui.commands.{name}")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        # plain `gaie-tui`, the usual start: the wizard without building the parser and its nine
        # subcommands (about 7 ms of the first frame)
        args = SimpleNamespace(version=False, values=None, chart=None, no_mouse=False, command=None)
    else:
        chosen = next((a for a in argv if not a.startswith("-")), None)
        chosen = chosen if chosen in COMMANDS else None
        args = build_parser(chosen).parse_args(argv)
    if args.version:
        from . import __version__
        print(f"gaie-tui {__version__}")
        return 0
    try:
        if args.command is None:
            from .commands import wizard
            return wizard.run(args)
        return int(_module(args.command).run(args) or 0)
    except UserError as exc:
        print(f"gaie-tui: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("gaie-tui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `gaie-tui schema | head` must not end in a traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
