"""`agora check`: validate the settings and every dataset recipe, one line per problem."""

from __future__ import annotations

from ..config.loading import load_settings
from ..config.runtime_checks import check_runtime, isolation_warnings
from ..pipeline.recipe import load_catalog


def cmd_check(args) -> int:
    """Validate the settings and every dataset recipe (with its access rules); one line per problem."""
    settings = load_settings(args.config)
    check_runtime(settings)
    print(f"ok: settings from {settings.source} (auth: {settings.auth.mode}, "
          f"isolation: {settings.isolation})")
    for warning in isolation_warnings(settings):
        print(f"warning: {warning}")
    recipes = load_catalog(settings.catalog_dir)
    print(f"ok: {len(recipes)} dataset recipe(s) in {settings.catalog_dir}")
    return 0
