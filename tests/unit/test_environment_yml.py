"""environment.yml says the same as pyproject.toml's [project].dependencies.

Same packages, same version bounds (docs/decisions/0001-dependency-pins.md). A conda package
whose name differs from its PyPI name is listed in CONDA_TO_PYPI.
"""

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet

ROOT = Path(__file__).resolve().parents[2]

# conda-forge name -> PyPI name, where they differ.
CONDA_TO_PYPI = {
    "jupyterhub-base": "jupyterhub",  # JupyterHub without the Node.js proxy
    "python-duckdb": "duckdb",
}
# Entries of environment.yml that are not Agora dependencies.
CONDA_TOOLING = {"python", "pip"}

CONDA_SPEC = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*?)\s*$")


def conda_name(entry: str) -> str:
    match = CONDA_SPEC.match(entry)
    assert match, f"environment.yml: cannot read conda dependency {entry!r}"
    return match.group(1)


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject_deps() -> dict[str, SpecifierSet]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = {}
    for line in project["dependencies"]:
        req = Requirement(line)
        deps[normalise(req.name)] = req.specifier
    return deps


def conda_spec(entry: str) -> tuple[str, SpecifierSet]:
    name = conda_name(entry)
    spec = CONDA_SPEC.match(entry).group(2)
    try:
        return name, SpecifierSet(spec.replace(" ", ""))
    except InvalidSpecifier:
        raise AssertionError(f"environment.yml: {entry!r}: write bounds as 'name >=a,<b'") from None


def show(spec: SpecifierSet) -> str:
    """Lower bound first, as people write them; '(any)' for no bound."""
    parts = sorted((str(s) for s in spec), key=lambda s: (s.startswith("<"), s))
    return ",".join(parts) or "(any)"


def environment() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def environment_deps() -> dict[str, tuple[str, SpecifierSet]]:
    """Normalised PyPI name -> (where it is listed, specifier), from conda and pip entries."""
    deps = {}
    for entry in environment()["dependencies"]:
        if isinstance(entry, dict):
            for line in entry.get("pip", []):
                if line.strip().startswith("-"):
                    continue  # pip options such as `-e .`
                req = Requirement(line)
                deps[normalise(req.name)] = ("pip", req.specifier)
            continue
        if conda_name(str(entry)) in CONDA_TOOLING:
            continue
        name, spec = conda_spec(str(entry))
        deps[normalise(CONDA_TO_PYPI.get(name, name))] = (f"conda {name}", spec)
    return deps


def test_every_pyproject_dependency_is_in_environment_yml_with_the_same_bounds():
    env = environment_deps()
    problems = []
    for name, spec in sorted(pyproject_deps().items()):
        if name not in env:
            problems.append(f"{name}: pyproject.toml says {show(spec)}, "
                            "environment.yml does not list it")
        elif env[name][1] != spec:
            where, env_spec = env[name]
            problems.append(f"{name}: pyproject.toml says {show(spec)}, environment.yml "
                            f"({where}) says {show(env_spec)}")
    assert not problems, "environment.yml and pyproject.toml disagree:\n" + "\n".join(problems)


def test_environment_yml_lists_nothing_pyproject_does_not():
    extra = sorted(set(environment_deps()) - set(pyproject_deps()))
    assert not extra, (f"environment.yml lists {', '.join(extra)}, which pyproject.toml's "
                       "[project].dependencies does not; add them there or remove them")


def test_environment_yml_installs_agora_itself_on_conda_forge_python_311():
    env = environment()
    assert env["channels"] == ["conda-forge"]
    assert "python=3.11" in env["dependencies"]
    pip = next(e["pip"] for e in env["dependencies"] if isinstance(e, dict) and "pip" in e)
    assert "-e ." in pip, "environment.yml: the pip section must install Agora (`- -e .`)"


def test_the_comparison_catches_a_drift():
    """Guard the guard: different bounds are not equal, reordered bounds are."""
    assert SpecifierSet(">=6.1,<7") == conda_spec("jupyterhub-base >=6.1,<7")[1]
    assert SpecifierSet(">=6.1,<7") == conda_spec("jupyterhub-base <7, >=6.1")[1]
    assert SpecifierSet(">=6.1,<7") != conda_spec("jupyterhub-base >=6.0,<7")[1]
    assert normalise("Jupyterhub_Idle.Culler") == "jupyterhub-idle-culler"
