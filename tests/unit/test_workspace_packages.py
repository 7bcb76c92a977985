"""Agora's notebook packages reach workspaces that run as other accounts, even from a checkout
those accounts cannot open (e.g. cloned in /root)."""

import os
import stat

import pytest

from hub.workspaces.accounts import IsolationError
from hub.workspaces.packages import published_root, workspace_pythonpath
from tests.support import reachable_temp_folder

NAME = "agora_probe_widgets"


@pytest.fixture
def base():
    """In /tmp, open to every account (pytest's tmp_path sits in a closed folder)."""
    return reachable_temp_folder("agora-packages-")


@pytest.fixture
def checkout(base, monkeypatch):
    """A checkout holding a package NAME (importable by this process), a venv next to it."""
    folder = base / "checkout"
    package = folder / NAME
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("VALUE = 1\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"stale")
    monkeypatch.syspath_prepend(str(folder))
    command = base / "venv" / "bin" / "jupyterhub-singleuser"
    command.parent.mkdir(parents=True)
    command.touch()
    for opened in (base / "venv", base / "venv" / "bin"):
        os.chmod(opened, 0o755)
    return {"folder": folder, "package": package, "command": str(command)}


def test_an_open_checkout_is_imported_where_it_is(checkout):
    os.chmod(checkout["folder"], 0o755)
    os.chmod(checkout["package"], 0o755)
    assert workspace_pythonpath(checkout["command"], (NAME,)) is None
    assert not os.path.exists(published_root(checkout["command"]))


def test_a_closed_checkout_is_published_read_only_next_to_the_venv(checkout):
    os.chmod(checkout["folder"], 0o700)
    root = workspace_pythonpath(checkout["command"], (NAME,))
    assert root == published_root(checkout["command"])
    assert root.endswith(os.path.join("venv", "share", "agora", "workspace-packages"))
    copy = os.path.join(root, NAME)
    with open(os.path.join(copy, "__init__.py")) as f:
        assert f.read() == "VALUE = 1\n"
    assert not os.path.exists(os.path.join(copy, "__pycache__"))  # no stale bytecode
    for parent, dirs, files in os.walk(root):
        assert stat.S_IMODE(os.stat(parent).st_mode) == 0o755
        for name in files:
            assert stat.S_IMODE(os.stat(os.path.join(parent, name)).st_mode) == 0o644


def test_the_copy_follows_the_checkout_and_is_not_redone_when_unchanged(checkout):
    os.chmod(checkout["folder"], 0o700)
    root = workspace_pythonpath(checkout["command"], (NAME,))
    copied = os.path.join(root, NAME, "__init__.py")
    first = os.stat(copied).st_ino
    assert workspace_pythonpath(checkout["command"], (NAME,)) == root
    assert os.stat(copied).st_ino == first  # unchanged: not copied again
    (checkout["package"] / "__init__.py").write_text("VALUE = 2\n")
    (checkout["package"] / "sub" / "__init__.py").unlink()
    workspace_pythonpath(checkout["command"], (NAME,))
    with open(copied) as f:
        assert f.read() == "VALUE = 2\n"
    assert not os.path.exists(os.path.join(root, NAME, "sub", "__init__.py"))
    assert sorted(os.listdir(root)) == [f".{NAME}.digest", NAME]  # no staging left behind


def test_a_venv_others_cannot_reach_is_refused_with_the_fix(checkout, base):
    os.chmod(checkout["folder"], 0o700)
    os.chmod(base / "venv", 0o700)
    with pytest.raises(IsolationError, match="could not import .* keep Agora in a folder"):
        workspace_pythonpath(checkout["command"], (NAME,))


@pytest.mark.skipif(os.geteuid() != 0, reason="making a folder someone else's needs root")
def test_a_publishing_folder_that_is_not_the_hubs_is_refused_and_left_as_it_is(checkout):
    os.chmod(checkout["folder"], 0o700)
    root = published_root(checkout["command"])
    os.makedirs(root, 0o700)
    os.chown(root, 65534, 65534)  # nobody's
    with pytest.raises(IsolationError, match="not the hub's own folder"):
        workspace_pythonpath(checkout["command"], (NAME,))
    assert stat.S_IMODE(os.stat(root).st_mode) == 0o700
