"""The SLURM recipe of docs/cluster.md, as written there, builds the job script it promises.

No SLURM here: dask-jobqueue writes the sbatch script without submitting anything
(`SLURMCluster.job_script()`); the cluster object only starts a local Dask scheduler.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("dask_jobqueue", reason="dask-jobqueue is part of the dask and dev extras")

DOC = Path(__file__).resolve().parents[2] / "docs" / "cluster.md"


def recipe_call() -> str:
    """The `SLURMCluster(...)` call of the launcher script in docs/cluster.md."""
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    [launcher] = [b for b in blocks if "SLURMCluster(" in b]
    match = re.search(r"cluster = (SLURMCluster\(.*?\n\))", launcher, flags=re.S)
    assert match, "the launcher script must create `cluster = SLURMCluster(...)`"
    return match.group(1)


def test_the_documented_slurm_cluster_writes_the_promised_job_script():
    from dask_jobqueue import SLURMCluster

    cluster = eval(recipe_call(), {"SLURMCluster": SLURMCluster})  # the doc's own text
    try:
        script = cluster.job_script()
        address = cluster.scheduler_address
    finally:
        cluster.close()
    directives = [line for line in script.splitlines() if line.startswith("#SBATCH")]
    assert "#SBATCH -p compute" in directives
    assert "#SBATCH -A my-project" in directives
    assert "#SBATCH --exclusive" in directives
    assert "#SBATCH -t 04:00:00" in directives
    assert "#SBATCH --cpus-per-task=32" in directives
    assert any(re.fullmatch(r"#SBATCH --mem=\d+G", d) for d in directives)
    body = script.split("\n\n", 1)[1]
    assert "source /path/to/venv/bin/activate" in body, "workers must run in the venv where sovereign is installed"
    [worker] = [line for line in body.splitlines() if "distributed.cli.dask_worker" in line]
    assert address in worker, "workers connect back to the scheduler started by the launcher"
    # one single-threaded worker process per core: the model is Python and numpy, threads would share the GIL
    assert "--nworkers 32" in worker and "--nthreads 1" in worker
    assert "--local-directory $TMPDIR" in worker
