"""The `agora` command: its parser and dispatch; each command family has its own module."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from .. import __version__
from ..config.problems import ConfigProblems

# name -> (module of hub.cli holding cmd_<name>, help); imported only when run, so that
# `agora check` does not pay for pandas and the pipeline
COMMANDS = {
    "up": ("up", "Start the workspace and keep it running until Ctrl-C."),
    "check": ("check", "Validate the settings and every dataset recipe (with its access "
                       "rules); one line per problem."),
    "refresh": ("refresh", "Refresh datasets now (all, or those named), or run their "
                           "schedules with --watch."),
    "status": ("refresh", "Show each dataset's current version, rows, age and last refresh "
                          "result, or the whole record of the datasets named."),
    "publish": ("dashboards", "Publish a notebook as a new dashboard version for groups."),
    "unpublish": ("dashboards", "Stop serving a dashboard (its versions are kept)."),
    "rollback": ("dashboards", "Serve an earlier version of a dashboard again."),
    "dashboards": ("dashboards", "List published dashboards, or the versions of one."),
    "report": ("reports", "List report schedules, show a schedule's history, or run one now "
                          "(report list | history NAME | run NAME --period 2026-W48)."),
}


def refresh_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("datasets", nargs="*", metavar="DATASET",
                        help="dataset ids (default: all); datasets they join are refreshed first")
    parser.add_argument("--watch", action="store_true",
                        help="run the recipes' cron schedules in the foreground until Ctrl-C")
    parser.add_argument("--accept-shrink", action="store_true",
                        help="publish the named datasets even if they lost more rows than "
                        "refresh.max_shrink_fraction allows (once; recorded in the manifest)")


def status_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("datasets", nargs="*", metavar="DATASET",
                        help="show these datasets' whole record: current version, last "
                        "attempt and success, the last error in full")


def command(name: str):
    module, _ = COMMANDS[name]
    return getattr(importlib.import_module(f"{__package__}.{module}"), f"cmd_{name}")


def dashboards_arguments(name: str):
    """The argument builders of the dashboards commands, imported when the parser is built."""
    def build(parser):
        from . import dashboards

        getattr(dashboards, f"{name}_arguments")(parser)
    return build


def report_arguments(parser: argparse.ArgumentParser) -> None:
    from .reports import report_arguments as build

    build(parser)


ARGUMENTS = {"refresh": refresh_arguments, "status": status_arguments,
             "report": report_arguments,
             "publish": dashboards_arguments("publish"),
             "unpublish": dashboards_arguments("name"),
             "rollback": dashboards_arguments("rollback"),
             "dashboards": dashboards_arguments("list")}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agora", description="Agora data workspace")
    parser.add_argument("--version", action="version", version=f"agora {__version__}")
    parser.add_argument("-c", "--config", help="settings file (default: $AGORA_CONFIG, "
                        "else ./workspace.yaml if present, else the embedded default)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (_, help_line) in COMMANDS.items():
        parsed = sub.add_parser(name, help=help_line)
        # also accepted after the command: `agora up --config FILE`
        parsed.add_argument("-c", "--config", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        ARGUMENTS.get(name, lambda _: None)(parsed)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return command(args.command)(args)
    except ConfigProblems as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"agora {args.command}: {len(exc.problems)} problem(s); nothing was started.",
              file=sys.stderr)
        return 2
    except BrokenPipeError:  # `agora status | head`: the reader left, nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        return 0
