"""`agora check`: validate the settings, every dataset recipe and every report schedule file,
one line per problem."""

from __future__ import annotations

from ..config.loading import load_settings
from ..config.problems import ConfigProblems
from ..config.runtime_checks import check_runtime, isolation_warnings
from ..pipeline.column_flow import column_problems
from ..pipeline.recipe import load_catalog
from ..pipeline.snapshot_checks import geometry_join_problems
from ..pipeline.store import open_store
from ..reports.schedules import load_schedule_files, missing_templates


def cmd_check(args) -> int:
    """Validate the settings, every dataset recipe (with its access rules) and every report
    schedule file; one line per problem."""
    settings = load_settings(args.config)
    check_runtime(settings)
    print(f"ok: settings from {settings.source} (auth: {settings.auth.mode}, "
          f"isolation: {settings.isolation})")
    for warning in isolation_warnings(settings):
        print(f"warning: {warning}")
    recipes = load_catalog(settings.catalog_dir)
    store = open_store(settings)
    joins = geometry_join_problems(recipes, store)
    if joins:
        raise ConfigProblems(joins)
    print(f"ok: {len(recipes)} dataset recipe(s) in {settings.catalog_dir}")
    for problem in column_problems(recipes, settings.sources_dir, store):
        print(f"warning: {problem}")
    schedules, problems = load_schedule_files(settings.schedules_dir, settings.reports.timezone)
    if problems:
        raise ConfigProblems(problems)
    print(f"ok: {len(schedules)} report schedule(s) in {settings.schedules_dir}")
    for warning in missing_templates(schedules.values(), settings.templates_dir):
        print(f"warning: {warning}")
    return 0
