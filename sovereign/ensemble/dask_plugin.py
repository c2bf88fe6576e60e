"""Dask worker plugin that plays the part of a process pool's initializer.

Kept apart from `sovereign.ensemble.worker` because it subclasses a `distributed` class: the
local executor and plain runs never import Dask (an optional extra).
"""

from __future__ import annotations

from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from sovereign.ensemble.worker import CONTEXT_ERRORS, CONTEXTS, RunContext, prepare


class ContextPlugin(WorkerPlugin):
    """Hands the `RunContext` to every worker of the cluster, including workers started later.

    The scheduler keeps registered plugins and installs them on each new worker, so a worker that
    the nanny restarts after a crash gets the scenario again without the client resending it with
    every task.
    """

    def __init__(self, token: str, ctx: RunContext) -> None:
        self.token = token
        self.ctx = ctx
        self.name = f"sovereign-ensemble-{token}"

    def setup(self, worker: Any) -> None:
        """Store the context in this worker process, validate the scenario once, load the market kernels.

        Loading the compiled kernels here (about half a second from numba's cache) makes it part
        of the cluster's start-up, as the local executor's fork server does, instead of slowing
        each worker's first runs.
        """
        try:
            prepare(self.ctx)
            from sovereign.ensemble.heap import settle_heap
            from sovereign.sim.warmup import warm_up

            warm_up()
            settle_heap()
        except Exception as exc:
            # Dask only logs a failing plugin; keep the reason so each task can report it.
            CONTEXT_ERRORS[self.token] = f"{type(exc).__name__}: {exc}"
            raise
        CONTEXTS[self.token] = self.ctx

    def teardown(self, worker: Any) -> None:
        """Forget the context when the ensemble is over."""
        CONTEXTS.pop(self.token, None)
