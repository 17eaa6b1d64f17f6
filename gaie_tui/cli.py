"""Command line: the wizard by default, headless subcommands for every phase.

Each subcommand lives in `gaie_tui/commands/<name>.py` with `add_arguments(parser)` and
`run(args) -> int`. They are imported only when chosen, so `gaie-tui --help` and the wizard's
first frame never pay for kubernetes, httpx or jsonschema.

Every way out is one line on stderr and a documented exit code (README, "Exit codes"): 0 done,
1 the check found problems, 2 could not run (usage, bad input, unreachable cluster),
3 an internal error (its redacted traceback goes to gaie-tui.log, never to the terminal),
130 interrupted. Whatever echoes user input (usage errors, error messages) is redacted and has
its control characters made visible first.
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
    "migrate": "rewrite values for another chart version or family, with a proof",
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
EXIT_OK, EXIT_FINDINGS, EXIT_CANNOT_RUN, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

# The wizard's options, accepted before the subcommand and (for `demo`, which opens the wizard)
# after it too: `gaie-tui demo --no-mouse` is how people type it.
_WIZARD_OPTIONS = (("--values", dict(metavar="FILE", action="append",
                                     help="open an existing values file in the wizard; repeat it for a layered "
                                          "set, in helm's order (later files win)")),
                   ("--chart", dict(metavar="REF", help="chart reference for the wizard")),
                   ("--no-mouse", dict(action="store_true", help="do not capture the mouse")))
_VERSION = ("--version", dict(action="store_true", help="print the version and exit"))
_TAKES_VALUE = {"--values", "--chart"}


def safe_text(text: str) -> str:
    """User input echoed back: secrets redacted, control characters made visible."""
    from .core.redact import redact
    from .core.textsafe import visible
    return visible(redact(text))


def build_parser(load_subcommand: str | None = None):
    import argparse

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> None:  # exit 2 with one line, as for every usage error
            self.print_usage(sys.stderr)
            # argparse quotes the offending value (`invalid choice: 'hf_…'`): never echo a token
            print(f"{self.prog}: error: {safe_text(message)}", file=sys.stderr)
            sys.exit(EXIT_CANNOT_RUN)

    parser = _Parser(prog="gaie-tui", description="Deploy the GAIE inferencepool chart, checked and verified.")
    parser.add_argument(_VERSION[0], **_VERSION[1])
    for flag, kw in _WIZARD_OPTIONS:
        parser.add_argument(flag, **kw)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, help_text in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == load_subcommand:
            _module(name).add_arguments(p)
            _add_global_options(p, wizard=(name == "demo"))
    return parser


def _add_global_options(p, *, wizard: bool) -> None:
    """The global options a subcommand does not define itself, accepted after it. SUPPRESS as the
    default keeps a value given before the subcommand (`gaie-tui --no-mouse demo`)."""
    import argparse

    from . import __version__
    if "--version" not in p._option_string_actions:
        # prints and exits before the subcommand's required arguments are asked for
        p.add_argument("--version", action="version", version=f"gaie-tui {__version__}",
                       help="print the version and exit")
    for flag, kw in (_WIZARD_OPTIONS if wizard else ()):
        if flag not in p._option_string_actions:
            p.add_argument(flag, **{**kw, "default": argparse.SUPPRESS})


def _module(name: str):
    return importlib.import_module(f"gaie_tui.commands.{name}")


def _subcommand(argv: list[str]) -> str | None:
    """The subcommand named on the command line: the first word that is not an option or the
    value of a global option (`gaie-tui --values v.yaml demo` is `demo`)."""
    skip = False
    for a in argv:
        if skip:
            skip = False
            continue
        if a == "--":
            return None
        if a.startswith("-"):
            skip = a in _TAKES_VALUE
            continue
        return a if a in COMMANDS else None
    return None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if not argv:
            # plain `gaie-tui`, the usual start: the wizard without building the parser and its nine
            # subcommands (about 7 ms of the first frame)
            args = SimpleNamespace(version=False, values=None, chart=None, no_mouse=False, command=None)
        else:
            args = build_parser(_subcommand(argv)).parse_args(argv)
        if args.version:
            from . import __version__
            print(f"gaie-tui {__version__}")
            return EXIT_OK
        if args.command is None:
            from .commands import wizard
            return wizard.run(args)
        return int(_module(args.command).run(args) or 0)
    except UserError as exc:
        print(f"gaie-tui: error: {safe_text(str(exc))}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    except KeyboardInterrupt:
        print("gaie-tui: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `gaie-tui schema | head` must not end in a traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - a bug must still end in one line, never a traceback
        return _internal_error(exc, argv)


def _internal_error(exc: BaseException, argv: list[str]) -> int:
    from .core.errorlog import describe, write_error_log
    from .core.redact import redact_argv
    path = write_error_log(exc, "gaie-tui " + " ".join(redact_argv(argv)))
    where = f"; details in {safe_text(str(path))}" if path else ""
    print(f"gaie-tui: internal error: {describe(exc)}{where}", file=sys.stderr)
    return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
