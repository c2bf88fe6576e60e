"""Monte Carlo ensembles: seeded runs on local processes or Dask, Parquet output, reports.

Modules, in the order a run flows through them:

- `seeds`: run i plays with child i of ``SeedSequence(seed)``;
- `design`: plain repeats, full-factorial sweeps, Latin hypercube and Sobol (SALib) designs;
- `worker`: what a worker does for one run (scenario once per worker, provenance on every row);
- `executors`: local worker processes (default) and Dask distributed;
- `runner`: the loop: retries, failure records, streaming writes, Ctrl-C and resume;
- `store`: the output folder (Parquet parts, design.json, manifest.json) and its readers;
- `summary` and `report`: key outcomes, fan charts, sensitivity charts and index.html;
- `cli`: ``sovereign montecarlo`` and ``sovereign report``.

Heavy modules are not imported here, so ``import sovereign.ensemble`` stays cheap.
"""

__all__: list[str] = []
