"""Loading the compiled kernels up front: announced only when a compile is coming."""

from __future__ import annotations

from sovereign.markets import _warmup, warm_up


def test_warm_up_runs_every_kernel():
    assert warm_up() >= 0.0
    assert _warmup.compiled_kernels_cached()


def test_compile_is_announced_only_when_needed(monkeypatch):
    said: list[str] = []
    monkeypatch.setattr(_warmup, "compiled_kernels_cached", lambda: False)
    _warmup.prepare_kernels(said.append)
    assert said and "first run" in said[0]
    said.clear()
    monkeypatch.setattr(_warmup, "compiled_kernels_cached", lambda: True)
    _warmup.prepare_kernels(said.append)
    assert said == []
