"""Another core kept busy for as long as a block runs, and not a moment longer."""

import os
import sys

import pytest

from engine.busy_core import another_core_busy, spare_core


def _children() -> set[int]:
    pid = os.getpid()
    found = set()
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            found |= {int(c) for c in f.read().split()}
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_spinning_process_runs_for_the_block_only():
    before = _children()
    with another_core_busy():
        spinning = _children() - before
        assert len(spinning) == 1
        (pid,) = spinning
        with open(f"/proc/{pid}/stat") as f:
            assert f.read().split()[2] in "RS"             # alive (running or about to)
    assert not (_children() - before)                      # killed and reaped
    assert not os.path.exists(f"/proc/{pid}")


def test_a_core_is_spare_only_when_the_engine_leaves_one():
    n = os.cpu_count() or 1
    assert spare_core(n - 1) == (n > 1)
    assert not spare_core(n)
