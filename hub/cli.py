"""The `agora` command: up, check, refresh, status."""

from __future__ import annotations

import argparse
import os
import sys

from . import __version__
from .checks import check_runtime, isolation_warnings
from .problems import ConfigProblems
from .settings import Settings, load_settings


def _load(args) -> Settings:
    return load_settings(args.config)


def cmd_check(args) -> int:
    """Validate the settings and every dataset recipe (with its access rules); one line per problem."""
    settings = _load(args)
    check_runtime(settings)
    print(f"ok: settings from {settings.source} (auth: {settings.auth.mode}, "
          f"isolation: {settings.isolation})")
    for warning in isolation_warnings(settings):
        print(f"warning: {warning}")
    from .pipeline.recipe import load_catalog

    recipes = load_catalog(settings.catalog_dir)
    print(f"ok: {len(recipes)} dataset recipe(s) in {settings.catalog_dir}")
    return 0


def cmd_up(args) -> int:
    """Start the workspace and keep it running until Ctrl-C."""
    from .runner import StartRefused, run_hub

    settings = _load(args)
    check_runtime(settings)
    try:
        return run_hub(settings)
    except StartRefused as exc:
        print(f"agora up: {exc}", file=sys.stderr)
        return 1


def cmd_refresh(args) -> int:
    """Refresh datasets now (all, or those named), or run their schedules with --watch."""
    from .pipeline.commands import refresh_command, watch_command

    from .demo_data.bootstrap import demo_environment

    settings = _load(args)
    demo_environment(settings, os.environ)  # demo mode: the demo sources' variables and key
    return watch_command(settings) if args.watch else refresh_command(settings, args.datasets)


def cmd_status(args) -> int:
    """Show each dataset's current version, rows, age and last refresh result."""
    from .pipeline.commands import status_command

    return status_command(_load(args))


def _refresh_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("datasets", nargs="*", metavar="DATASET",
                        help="dataset ids (default: all); datasets they join are refreshed first")
    parser.add_argument("--watch", action="store_true",
                        help="run the recipes' cron schedules in the foreground until Ctrl-C")


COMMANDS = {"up": cmd_up, "check": cmd_check, "refresh": cmd_refresh, "status": cmd_status}
ARGUMENTS = {"refresh": _refresh_arguments}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agora", description="Agora data workspace")
    parser.add_argument("--version", action="version", version=f"agora {__version__}")
    parser.add_argument("-c", "--config", help="settings file (default: $AGORA_CONFIG, "
                        "else ./workspace.yaml if present, else the embedded default)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, func in COMMANDS.items():
        command = sub.add_parser(name, help=func.__doc__.splitlines()[0])
        # also accepted after the command: `agora up --config FILE`
        command.add_argument("-c", "--config", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        ARGUMENTS.get(name, lambda _: None)(command)
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
