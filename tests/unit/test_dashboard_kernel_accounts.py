"""One account per live dashboard kernel (as root): real system accounts, real processes.

Two kernels taken at once get two accounts and two private homes; what a kernel leaves
(files, a process that outlives it) is gone before the account serves the next viewer; the
pool never hands out an account twice.
"""

import os
import stat
import subprocess

import pytest

from hub.services.dashboards.kernel_accounts import KernelAccounts, PoolExhausted
from tests.support import TEST_KERNEL_PREFIX, reachable_temp_folder, remove_test_accounts

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="kernel accounts are made as root")


@pytest.fixture(scope="module")
def accounts():
    pool = KernelAccounts(TEST_KERNEL_PREFIX, reachable_temp_folder("agora-kernels-") / "homes",
                          size=2)
    yield pool
    remove_test_accounts(TEST_KERNEL_PREFIX)


def test_two_live_kernels_get_two_accounts_with_private_homes(accounts):
    first, second = accounts.take(), accounts.take()
    try:
        assert first.uid != second.uid and first.home != second.home
        for account in (first, second):
            info = os.stat(account.home)
            assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (account.uid, 0o700)
        with pytest.raises(PoolExhausted):
            accounts.take()
        secret = os.path.join(first.home, "connection.json")
        with open(secret, "w") as f:
            f.write("{}")
        os.chown(secret, first.uid, first.gid)
        os.chmod(secret, 0o600)
        peek = subprocess.run(["cat", secret], user=second.uid, group=second.gid,
                              extra_groups=[], capture_output=True, text=True)
        assert peek.returncode != 0 and "Permission denied" in peek.stderr
    finally:
        accounts.release(first)
        accounts.release(second)


def test_what_a_kernel_leaves_is_gone_before_the_next_viewer(accounts):
    account = accounts.take()
    planted = os.path.join(account.home, ".ipython", "profile_default", "startup", "evil.py")
    subprocess.run(["sh", "-c", f"mkdir -p {os.path.dirname(planted)} && echo x > {planted}"],
                   user=account.uid, group=account.gid, extra_groups=[], check=True)
    daemon = subprocess.Popen(["sleep", "300"], user=account.uid, group=account.gid,
                              extra_groups=[], start_new_session=True)
    accounts.release(account)
    assert daemon.wait(timeout=10) != 0  # killed, not left to read the next connection file
    again = accounts.take()
    try:
        assert again.name == account.name
        assert os.listdir(again.home) == []
    finally:
        accounts.release(again)


def test_a_released_account_is_handed_out_again_not_a_new_one(accounts):
    names = set()
    for _ in range(4):
        account = accounts.take()
        names.add(account.name)
        accounts.release(account)
    assert names == {f"{TEST_KERNEL_PREFIX}1"}
