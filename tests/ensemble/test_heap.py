"""`settle_heap`: a worker's long-lived objects are left out of later collections."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_settle_heap_freezes_what_the_worker_holds_and_frees_the_garbage_first():
    # In a fresh process (freezing is for the process's life, so not in the test runner's):
    # a cycle that is garbage at the call is collected, not frozen; the model's modules are frozen,
    # so a full collection afterwards scans only what came after.
    code = textwrap.dedent(
        """
        import gc, weakref
        import sovereign.sim.model  # the modules a worker holds for life
        from sovereign.ensemble.heap import settle_heap

        class Node:
            pass

        a, b = Node(), Node()
        a.other, b.other = b, a
        dead = weakref.ref(a)
        del a, b
        before = len(gc.get_objects())
        settle_heap()
        assert dead() is None, "garbage was frozen"
        assert gc.get_freeze_count() > 0.8 * before, (gc.get_freeze_count(), before)
        assert len(gc.get_objects()) < 0.05 * before, (len(gc.get_objects()), before)
        print("ok", before, gc.get_freeze_count())
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok")
