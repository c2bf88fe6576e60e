"""Executors: where the runs of an ensemble are played (local processes, or a Dask cluster).

Both executors have the same small contract, driven by `sovereign.ensemble.runner`:
``start()``, ``capacity`` (how many more tasks it takes now), ``submit(task)``,
``wait(timeout) -> [Outcome]`` and ``close(cancel)``. An outcome is a finished run, a failed attempt
(the run raised, or its worker process died), or a task handed back untouched (``lost``) because
it never started; the runner decides about retries, so retry policy is the same everywhere.

Why a small pool of our own instead of `concurrent.futures.ProcessPoolExecutor`: when one worker
of a ProcessPoolExecutor dies, the whole pool is broken, every pending future fails with
BrokenProcessPool and nothing tells which task killed it, so innocent runs would be blamed and all
workers restarted. Here each worker has its own pipe and holds one run at a time, so a death is
charged to exactly the run that was playing, only that worker is replaced, and the others keep
going. Workers start with ``forkserver`` where the platform has it (Linux, macOS), else ``spawn``:
never plain ``fork``, which copies the parent's threads' locks (the progress bar and Dask run
threads) and can deadlock. The fork server is a fresh process, started from a clean interpreter
with none of our threads, that imports the model once (`PRELOAD`; OpenBLAS rebuilds its own pool
after a fork); each worker is forked from it, so starting or replacing a worker costs
milliseconds instead of the seconds that importing Mesa, SciPy and pyarrow takes. The ``SOVEREIGN_*``
environment (the fault-injection aid) is forwarded explicitly, because a fork server keeps the
environment it started with. The base scenario is sent once per worker at start-up, each task is a
few hundred bytes, and a run is dispatched the moment its worker is free, so per-run overhead is
about a millisecond.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing as mp
import os
import signal
import threading
import traceback
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from sovereign.ensemble.worker import RunContext, RunOutput, RunTask

#: Modules the fork server imports once, so forked workers start warm.
PRELOAD = ["sovereign.ensemble.worker", "sovereign.sim.runner", "sovereign.ensemble._preload_kernels"]
#: Consecutive worker start-up failures after which the pool gives up (a broken install, not a run).
MAX_STARTUP_FAILURES = 3


class ExecutorError(RuntimeError):
    """The executor itself cannot work (workers cannot start, the scheduler is unreachable)."""


@dataclass
class Failure:
    """Why an attempt failed: ``exception`` (the run raised) or ``worker_died``."""

    kind: str
    error_type: str
    message: str
    traceback: str = ""


@dataclass
class Outcome:
    """What came back for one task: an output, a failure, or (``lost``) the task to resubmit as is."""

    task: RunTask
    output: RunOutput | None = None
    failure: Failure | None = None
    lost: bool = False


@contextlib.contextmanager
def ignoring_sigint() -> Iterator[None]:
    """Ignore Ctrl-C while starting child processes, so they inherit the ignored disposition.

    A terminal sends Ctrl-C to the whole process group; workers must not die half-way through a
    result, the parent alone decides to stop, keeps what finished and shuts the workers down.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def holding_sigint() -> Iterator[list[int]]:
    """Hold Ctrl-C during a step that must not be cut in half; yields the list of signals held.

    Why not `ignoring_sigint` everywhere: connecting the first worker waits for the fork server to
    import the model, which takes seconds; a Ctrl-C ignored there is lost, and the user's only way
    to stop the ensemble silently does nothing. Here it is noted; the caller finishes its
    bookkeeping and then raises KeyboardInterrupt (see `deliver_held`).
    """
    caught: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield caught
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield caught
    finally:
        signal.signal(signal.SIGINT, previous)
        if previous in (signal.SIG_IGN, None):
            caught.clear()  # Ctrl-C was being ignored around us: keep ignoring it


def deliver_held(caught: list[int]) -> None:
    """Raise the KeyboardInterrupt that `holding_sigint` held back, if a Ctrl-C came."""
    if caught:
        raise KeyboardInterrupt


# --------------------------------------------------------------------------- local processes


def _worker_main(conn: Connection, ctx: RunContext, env: dict[str, str]) -> None:
    """Loop of a worker process: receive a task, play it, send the output or the error back."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for key in [k for k in os.environ if k.startswith("SOVEREIGN_") and k not in env]:
        del os.environ[key]  # a fork server's environment may be older than the parent's
    os.environ.update(env)
    try:
        from sovereign.ensemble.heap import settle_heap
        from sovereign.ensemble.worker import execute, prepare

        prepare(ctx)
        settle_heap()  # the scenario and script this worker keeps, out of the collector's sight
    except BaseException:
        with contextlib.suppress(OSError):
            conn.send(("init_error", traceback.format_exc()))
        return
    conn.send(("ready", os.getpid()))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        try:
            msg: tuple[Any, ...] = ("ok", execute(task, ctx))
        except (Exception, SystemExit) as exc:
            msg = ("error", type(exc).__name__, str(exc), traceback.format_exc())
        try:
            conn.send(msg)
        except Exception as exc:  # an output that cannot be pickled is a failure of the run
            conn.send(("error", type(exc).__name__, f"cannot send the result back: {exc}", traceback.format_exc()))


class _Worker:
    def __init__(self, process: Any, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self.task: RunTask | None = None
        self.ready = False


class LocalExecutor:
    """Runs on local worker processes, one run at a time per worker.

    Args:
        workers: Number of worker processes.
        ctx: What every run shares (sent once per worker).
    """

    name = "local"

    def __init__(self, workers: int, ctx: RunContext) -> None:
        if workers < 1:
            raise ValueError(f"expected at least one worker, found {workers}")
        self.workers = workers
        self.ctx = ctx
        self.start_method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
        self._mp = mp.get_context(self.start_method)
        if self.start_method == "forkserver":
            self._mp.set_forkserver_preload(PRELOAD)
        self._pool: list[_Worker] = []
        self._startup_failures = 0
        self._last_init_error = ""
        # Forwarded explicitly rather than relying on inheritance: documents what workers read.
        self._env = {k: v for k, v in os.environ.items() if k.startswith("SOVEREIGN_")}

    def describe(self) -> dict[str, Any]:
        """Executor settings for the manifest."""
        return {"engine": self.name, "workers": self.workers, "start_method": self.start_method}

    def start(self) -> None:
        """Start the worker processes (they import the model while the first tasks queue up)."""
        for _ in range(self.workers):
            self._pool.append(self._spawn())

    def _spawn(self) -> _Worker:
        parent, child = self._mp.Pipe(duplex=True)
        process = self._mp.Process(
            target=_worker_main, args=(child, self.ctx, self._env), name="sovereign-worker", daemon=True
        )
        if self.start_method == "forkserver":
            from multiprocessing import forkserver

            # The fork server is started with Ctrl-C ignored, so it (while importing the model)
            # and every worker it forks ignore it: the parent alone decides to stop. Starting it
            # is a fork and exec (milliseconds); connecting to it waits for its imports (seconds),
            # during which a Ctrl-C is held and then delivered, never lost.
            with ignoring_sigint():
                forkserver.ensure_running()
            with holding_sigint() as held:
                process.start()
        else:  # spawn: the child inherits the ignored disposition; starting it does not wait
            held = []
            with ignoring_sigint():
                process.start()
        child.close()  # so the parent sees EOF when the worker dies
        worker = _Worker(process, parent)
        if held:
            self._pool.append(worker)  # tracked, so closing the executor stops it too
            deliver_held(held)
        return worker

    @property
    def capacity(self) -> int:
        """Idle workers."""
        return sum(1 for w in self._pool if w.task is None)

    def submit(self, task: RunTask) -> None:
        """Hand `task` to an idle worker."""
        worker = next(w for w in self._pool if w.task is None)
        worker.task = task
        try:
            worker.conn.send(task)
        except (BrokenPipeError, OSError):
            pass  # the worker is dead; `wait` sees its sentinel and hands the task back

    def wait(self, timeout: float) -> list[Outcome]:
        """Outcomes that arrive within `timeout` seconds (possibly none)."""
        handles: dict[Any, _Worker] = {}
        for w in self._pool:
            handles[w.conn] = w
            handles[w.process.sentinel] = w
        ready = wait(list(handles), timeout)
        outcomes: list[Outcome] = []
        seen: set[int] = set()
        for handle in ready:
            w = handles[handle]
            if id(w) not in seen:
                seen.add(id(w))
                outcomes.extend(self._service(w))
        return outcomes

    def _service(self, w: _Worker) -> list[Outcome]:
        outcomes: list[Outcome] = []
        alive = True
        while True:
            try:
                if not w.conn.poll():
                    break
                msg = w.conn.recv()
            except (EOFError, OSError):
                alive = False
                break
            if msg[0] == "ready":
                w.ready = True
                self._startup_failures = 0
            elif msg[0] == "init_error":
                self._last_init_error = msg[1]
            elif msg[0] == "ok" and w.task is not None:
                outcomes.append(Outcome(w.task, output=msg[1]))
                w.task = None
            elif msg[0] == "error" and w.task is not None:
                outcomes.append(Outcome(w.task, failure=Failure("exception", msg[1], msg[2], msg[3])))
                w.task = None
        if alive and w.process.is_alive():
            return outcomes
        w.process.join(timeout=5)
        code = w.process.exitcode
        if w.task is not None:
            if w.ready:
                message = f"the worker process died while playing this run (exit code {code})"
                outcomes.append(Outcome(w.task, failure=Failure("worker_died", "WorkerDied", message)))
            else:
                outcomes.append(Outcome(w.task, lost=True))
        if not w.ready:
            self._startup_failures += 1
            if self._startup_failures >= MAX_STARTUP_FAILURES:
                detail = self._last_init_error.strip() or f"exit code {code}"
                raise ExecutorError(f"worker processes cannot start:\n{detail}")
        w.conn.close()
        self._pool[self._pool.index(w)] = self._spawn()
        return outcomes

    def close(self, cancel: bool = False) -> None:
        """Stop the workers: politely when idle, at once when `cancel` (runs in progress are dropped)."""
        for w in self._pool:
            if cancel and w.task is not None:
                w.process.terminate()
            else:
                with contextlib.suppress(OSError):
                    w.conn.send(None)
        for w in self._pool:
            w.process.join(timeout=5)
            if w.process.is_alive():
                w.process.terminate()
                w.process.join(timeout=5)
            w.conn.close()
        self._pool = []


# --------------------------------------------------------------------------- Dask


class DaskExecutor:
    """Runs on Dask distributed: a LocalCluster of `workers` processes, or an existing scheduler.

    The scenario reaches each worker once through a worker plugin (re-installed on restarted
    workers), which also loads the compiled market kernels. Runs are handed out in *batches*: one
    Dask task plays several runs one after the other and returns their results together. A Dask
    task costs tens of milliseconds of scheduling, most of it in the client process that also
    writes the results; with runs of 0.2 s, one task per run kept two workers half idle (49%
    parallel efficiency). Batches are sized for about four per worker thread (``runs /
    (4 x threads)``, at most `MAX_BATCH_RUNS` runs), so the scheduler still balances the load and
    results still stream back as batches finish. At most two batches per thread are in flight, so
    the client holds a bounded number of futures and results are written as they arrive.

    What a batch does not change: run i still plays with child i of the root seed, so the data are
    the same as with any other executor; a run that raises is recorded and retried on its own by
    the runner's ``--retries``, as before. When a worker dies during a batch, Dask cannot say which
    run killed it, so the batch's runs are played again one per task (no attempt counted); a death
    then is charged to exactly the run that was playing, as with local processes.

    On a LocalCluster that we create, ``distributed.scheduler.allowed-failures`` is 0: a worker
    death is reported at once as KilledWorker. An existing cluster keeps its own setting (Dask then
    re-runs a task whose worker died up to that many times before reporting it).

    Args:
        workers: Worker processes of the LocalCluster (ignored with a scheduler address).
        ctx: What every run shares.
        scheduler: Address of a running scheduler, e.g. ``tcp://10.0.0.5:8786``; None for a LocalCluster.
        runs: How many runs the ensemble will hand out (sizes the batches; None: one run per task).
        batch_runs: Runs per batch, overriding the size derived from `runs`.
    """

    name = "dask"

    def __init__(
        self,
        workers: int,
        ctx: RunContext,
        scheduler: str | None = None,
        runs: int | None = None,
        batch_runs: int | None = None,
    ) -> None:
        if batch_runs is not None and batch_runs < 1:
            raise ValueError(f"expected at least one run per batch, found {batch_runs}")
        self.workers = workers
        self.ctx = ctx
        self.scheduler = scheduler
        self.runs = runs
        self.batch_runs = batch_runs or 1
        self._fixed_batch = batch_runs is not None
        self.token = uuid.uuid4().hex[:12]
        self._client: Any = None
        self._cluster: Any = None
        self._futures: dict[Any, list[RunTask]] = {}
        self._pending: list[RunTask] = []
        self._in_futures = 0
        self._batches = 0
        self._slots = workers

    def describe(self) -> dict[str, Any]:
        """Executor settings for the manifest."""
        return {
            "engine": self.name,
            "workers": self._slots,
            "scheduler": self.scheduler or "LocalCluster",
            "batch_runs": self.batch_runs,
        }

    def start(self) -> None:
        """Start a LocalCluster or connect to the scheduler, then install the context on every worker."""
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError:
            raise ExecutorError("--engine dask needs Dask: pip install 'sovereign[dask]'") from None
        from sovereign.ensemble.dask_plugin import ContextPlugin

        try:
            if self.scheduler:
                self._client = Client(self.scheduler, timeout="30s")
            else:
                import logging

                # The workers' statistical profiler samples every thread's stack every 10 ms, holding
                # the GIL; our runs are pure-Python-heavy, and with it on they ran ~15-25% slower
                # than in local processes (benchmarks/ensemble.py). Queuing on the scheduler (worker
                # saturation) is off because `capacity` already bounds what is in flight, and a
                # worker holding its next batch does not wait a scheduler round trip between batches.
                with (
                    dask.config.set(
                        {
                            "distributed.scheduler.allowed-failures": 0,
                            "distributed.worker.profile.enabled": False,
                            "distributed.scheduler.worker-saturation": float("inf"),
                            # the background chores of every Dask process (event-loop tick checks
                            # every 20 ms, system and memory monitors, work stealing's periodic
                            # rebalancing) take a share of the same two cores on one machine;
                            # `capacity` already keeps each worker's next batch in hand
                            "distributed.admin.tick.interval": "1s",
                            "distributed.admin.system-monitor.interval": "5s",
                            "distributed.admin.system-monitor.gil.enabled": False,
                            "distributed.worker.memory.monitor-interval": "1s",
                            "distributed.scheduler.work-stealing": False,
                        }
                    ),
                    ignoring_sigint(),
                    warnings.catch_warnings(),
                ):
                    # Another cluster on this machine holds port 8787: Dask then picks a free one.
                    warnings.filterwarnings("ignore", message="Port .* is already in use")
                    self._cluster = LocalCluster(
                        n_workers=self.workers,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=None,
                        silence_logs=logging.ERROR,
                    )
                self._client = Client(self._cluster)
        except OSError as exc:
            raise ExecutorError(f"cannot reach the Dask scheduler {self.scheduler or ''}: {exc}") from None
        try:
            self._client.register_plugin(ContextPlugin(self.token, self.ctx), name=f"sovereign-ensemble-{self.token}")
        except Exception as exc:  # a worker cannot take the context: wrong version, broken install
            self.close()
            raise ExecutorError(f"the Dask workers cannot run this ensemble: {type(exc).__name__}: {exc}") from None
        self._slots = max(1, sum(self._client.nthreads().values()))
        if not self._fixed_batch:
            self.batch_runs = batch_size(self.runs, self._slots)

    def on_workers(self, fn: Callable[[], Any]) -> dict[str, Any]:
        """`fn()` run on every worker of the started cluster, by worker address (for diagnostics)."""
        if self._client is None:
            raise ExecutorError("the Dask executor is not started")
        return dict(self._client.run(fn))

    @property
    def capacity(self) -> int:
        """Runs the executor takes now: up to two batches per worker thread in flight."""
        return max(0, 2 * self._slots * self.batch_runs - self._in_futures - len(self._pending))

    def submit(self, task: RunTask) -> None:
        """Queue one attempt; a full batch goes to the cluster at once, the rest at the next `wait`."""
        self._pending.append(task)
        if len(self._pending) >= self.batch_runs:
            self._send(self._pending)
            self._pending = []

    def _send(self, tasks: list[RunTask]) -> None:
        from sovereign.ensemble.worker import execute_batch_in_dask

        self._batches += 1
        first = tasks[0]
        key = f"sovereign-runs-{first.run_id}-{first.attempt}-n{len(tasks)}-{self._batches}-{self.token}"
        future = self._client.submit(execute_batch_in_dask, list(tasks), self.token, key=key, pure=False, retries=0)
        self._futures[future] = list(tasks)
        self._in_futures += len(tasks)

    def wait(self, timeout: float) -> list[Outcome]:
        """Outcomes of the batches that finish within `timeout` seconds (a partial batch is sent first)."""
        from distributed import wait as dask_wait

        if self._pending:  # the runner has nothing more to give now: send what there is
            self._send(self._pending)
            self._pending = []
        if not self._futures:
            return []
        try:
            done, _ = dask_wait(list(self._futures), timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:
            return []
        outcomes: list[Outcome] = []
        for future in done:
            tasks = self._futures.pop(future)
            self._in_futures -= len(tasks)
            outcomes.extend(self._outcomes(future, tasks))
            future.release()
        return outcomes

    def _outcomes(self, future: Any, tasks: list[RunTask]) -> list[Outcome]:
        from distributed.scheduler import KilledWorker

        if future.status == "finished":
            try:
                results = future.result()
            except Exception:  # the result died with its worker before it reached us: play again
                return [Outcome(task, lost=True) for task in tasks]
            return [_batch_outcome(task, item) for task, item in zip(tasks, results, strict=True)]
        if future.status != "error":  # cancelled, or lost with a worker: nothing ran to completion here
            return [Outcome(task, lost=True) for task in tasks]
        exc = future.exception()
        if isinstance(exc, KilledWorker):
            if len(tasks) > 1:
                for task in tasks:  # find the run that kills its worker: one run per task from now on
                    self._send([task])
                return []
            message = f"the worker process died while playing this run ({exc})"
            return [Outcome(tasks[0], failure=Failure("worker_died", "KilledWorker", message))]
        tb = "".join(traceback.format_exception(type(exc), exc, future.traceback()))
        return [Outcome(task, failure=Failure("exception", type(exc).__name__, str(exc), tb)) for task in tasks]

    def close(self, cancel: bool = False) -> None:
        """Cancel what is left, remove the plugin, and close the client (and our LocalCluster)."""
        self._pending = []
        if self._client is not None:
            with contextlib.suppress(Exception):
                if self._futures:
                    self._client.cancel(list(self._futures))
                self._futures.clear()
                self._in_futures = 0
            with contextlib.suppress(Exception):
                self._client.unregister_worker_plugin(f"sovereign-ensemble-{self.token}")
            with contextlib.suppress(Exception):
                self._client.close()
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close()
        self._client = self._cluster = None


#: Largest batch of runs in one Dask task: bounds what a dying worker takes with it, keeps
#: results streaming back, and bounds the tail (the last batch a worker plays while the other has
#: finished): 8 full baseline runs are about 4 s, against tens of milliseconds of scheduling per
#: task. With 32, a 200-run ensemble on 2 workers had batches of 25 runs (14 s) and lost 6% of its
#: parallel efficiency waiting for the last one (benchmarks/ensemble.py, docs/benchmarks.md).
MAX_BATCH_RUNS = 8
#: Batches per worker thread that `batch_size` aims for: enough for the scheduler to even out
#: runs of unequal length, few enough that scheduling costs little.
BATCHES_PER_THREAD = 4


def batch_size(runs: int | None, threads: int) -> int:
    """Runs per Dask task: about `BATCHES_PER_THREAD` batches per worker thread, 1..`MAX_BATCH_RUNS`.

    Args:
        runs: Runs the ensemble will hand out (None when unknown: one run per task).
        threads: Worker threads of the cluster.
    """
    if not runs:
        return 1
    return max(1, min(MAX_BATCH_RUNS, math.ceil(runs / (BATCHES_PER_THREAD * max(1, threads)))))


def _batch_outcome(task: RunTask, item: tuple[Any, ...]) -> Outcome:
    """One run's result from a batch (see `sovereign.ensemble.worker.execute_batch_in_dask`)."""
    if item[0] == "ok":
        return Outcome(task, output=item[1])
    _, error_type, message, tb = item
    return Outcome(task, failure=Failure("exception", error_type, message, tb))


def make_executor(
    engine: str, workers: int, ctx: RunContext, scheduler: str | None = None, runs: int | None = None
) -> Any:
    """The executor for ``--engine`` (``local`` or ``dask``); `runs` sizes Dask's batches."""
    if engine == "local":
        return LocalExecutor(workers, ctx)
    if engine == "dask":
        return DaskExecutor(workers, ctx, scheduler, runs=runs)
    raise ValueError(f"unknown engine {engine!r}: use local or dask")
