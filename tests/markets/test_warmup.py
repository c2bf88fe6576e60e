"""Loading the compiled kernels up front: announced only when a compile is coming."""

from __future__ import annotations

from sovereign import markets
from sovereign.sim import warmup


def test_warm_up_runs_every_kernel():
    assert warmup.warm_up() >= 0.0
    assert markets.compiled_kernels_cached()
    assert warmup.compiled_kernels_cached()


def test_a_kernel_never_compiled_is_not_cached():
    class Never:  # a dispatcher numba never cached (no locator)
        py_func = test_a_kernel_never_compiled_is_not_cached

    assert not markets.kernels_cached([Never()])


def test_compile_is_announced_only_when_needed(monkeypatch):
    said: list[str] = []
    monkeypatch.setattr(warmup, "compiled_kernels_cached", lambda: False)
    warmup.prepare_kernels(said.append)
    assert said and "first run" in said[0]
    said.clear()
    monkeypatch.setattr(warmup, "compiled_kernels_cached", lambda: True)
    warmup.prepare_kernels(said.append)
    assert said == []
