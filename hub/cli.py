"""The `agora` command: up, check (more commands join as their features land)."""

from __future__ import annotations

import argparse
import sys

from . import __version__
from .problems import ConfigProblems
from .settings import Settings, load_settings


def _load(args) -> Settings:
    return load_settings(args.config)


def cmd_check(args) -> int:
    """Validate the settings (and, as they land, catalogs and policy); one line per problem."""
    settings = _load(args)
    print(f"ok: settings from {settings.source} (auth: {settings.auth.mode}, "
          f"isolation: {settings.spawner.isolation})")
    return 0


def cmd_up(args) -> int:
    """Start the workspace and keep it running until Ctrl-C."""
    from .runner import StartRefused, run_hub

    settings = _load(args)
    try:
        return run_hub(settings)
    except StartRefused as exc:
        print(f"agora up: {exc}", file=sys.stderr)
        return 1


COMMANDS = {"up": cmd_up, "check": cmd_check}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agora", description="Agora data workspace")
    parser.add_argument("--version", action="version", version=f"agora {__version__}")
    parser.add_argument("-c", "--config", help="settings file (default: $AGORA_CONFIG, "
                        "else ./workspace.yaml if present, else the embedded default)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, func in COMMANDS.items():
        sub.add_parser(name, help=func.__doc__.splitlines()[0])
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ConfigProblems as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"agora {args.command}: {len(exc.problems)} problem(s); nothing was started.",
              file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
