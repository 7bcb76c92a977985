"""`agora publish | unpublish | rollback | dashboards`: the publication store from a terminal.

They work on the publication store the settings name (hub/services/dashboards/publications.py:
files in the data directory, or the shared state database when hub.state_db_url is set);
a running dashboards service serves the change at the next page load, no restart.
"""

from __future__ import annotations

import getpass
import os
import sys

from ..config.loading import load_settings
from ..services.dashboards.publications import Publication, PublicationStore, PublishError


def store_for(args) -> PublicationStore:
    return PublicationStore.from_settings(load_settings(args.config))


def who(args) -> str:
    return getattr(args, "as_user", None) or os.environ.get("JUPYTERHUB_USER") or getpass.getuser()


def line(p: Publication) -> str:
    return (f"{p.name:<24} v{p.version:<3} {p.published_at}  by {p.publisher:<14} "
            f"to {', '.join(p.groups)}  {p.title!r}")


def refused(command: str, exc: PublishError) -> int:
    print(f"agora {command}: {exc}", file=sys.stderr)
    return 1


def cmd_publish(args) -> int:
    """Publish a notebook as a new dashboard version, visible to the groups named."""
    store = store_for(args)
    try:
        p = store.publish(args.notebook, args.to, who(args), title=args.title, name=args.name)
    except PublishError as exc:
        return refused("publish", exc)
    print(f"published {p.name} v{p.version} (sha256 {p.sha256[:12]}) to {', '.join(p.groups)}; "
          f"open <hub URL>{p.url_path}")
    return 0


def cmd_unpublish(args) -> int:
    """Stop serving a dashboard; its versions are kept (agora rollback serves one again)."""
    try:
        store_for(args).unpublish(args.name, who(args))
    except PublishError as exc:
        return refused("unpublish", exc)
    print(f"unpublished {args.name}; its versions are kept (agora rollback {args.name})")
    return 0


def cmd_rollback(args) -> int:
    """Serve an earlier version again (default: the one before the current one)."""
    try:
        p = store_for(args).rollback(args.name, who(args), args.version)
    except PublishError as exc:
        return refused("rollback", exc)
    print(f"{p.name} now serves v{p.version} ({p.published_at}, by {p.publisher})")
    return 0


def cmd_dashboards(args) -> int:
    """List published dashboards, or every version of one."""
    store = store_for(args)
    if args.name:
        current = store.current(args.name)
        versions = store.versions(args.name)
        if not versions:
            return refused("dashboards", PublishError(f"no dashboard named {args.name!r}"))
        for p in versions:
            mark = "*" if current and current.version == p.version else " "
            print(f"{mark} {line(p)}  sha256 {p.sha256[:12]}")
        return 0
    published = store.published()
    for p in published:
        print(line(p))
    print(f"{len(published)} published dashboard(s) in {store.root}")
    return 0


def publish_arguments(parser) -> None:
    parser.add_argument("notebook", metavar="NOTEBOOK", help="the .ipynb file to publish")
    parser.add_argument("--to", nargs="+", required=True, metavar="GROUP",
                        help="hub groups whose members may open it")
    parser.add_argument("--title", help="title shown in lists (default: the previous "
                        "version's, else the file name)")
    parser.add_argument("--name", help="publication name in its URL (default: from the file "
                        "name, e.g. territory-kpis)")
    as_argument(parser)


def as_argument(parser) -> None:
    parser.add_argument("--as", dest="as_user", metavar="USER",
                        help="hub user recorded as publisher (default: $JUPYTERHUB_USER, "
                        "else your login)")


def name_arguments(parser) -> None:
    parser.add_argument("name", metavar="NAME", help="the dashboard's name")
    as_argument(parser)


def rollback_arguments(parser) -> None:
    name_arguments(parser)
    parser.add_argument("version", nargs="?", type=int, metavar="VERSION",
                        help="version to serve (default: the one before the current one)")


def list_arguments(parser) -> None:
    parser.add_argument("name", nargs="?", metavar="NAME",
                        help="show every version of this dashboard (* marks the one served)")
