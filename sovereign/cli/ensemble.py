"""`sovereign montecarlo` and `sovereign report`: seeded ensembles and their plots.

Exit codes: 0 when every run finished, 1 when some runs failed after their retries (their
records are in ``OUT/failures``) or the executor could not work, 2 for bad input (scenario,
``--set``/``--sweep``/``--param`` values, an output folder holding another design), 130 after
Ctrl-C (finished runs are kept; the same command resumes).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sovereign.cli.args import check_output_folder, non_negative_int, positive_int, seed
from sovereign.cli.errors import UsageError

EXAMPLES = """\
examples:
  sovereign montecarlo baseline --runs 1000 --seed 7 --out results/base
  sovereign montecarlo baseline --runs 50 --out results/voll \\
      --sweep economics.voll_usd_mwh=1000,3000,9000
  sovereign montecarlo baseline --runs 256 --out results/sobol --sample sobol \\
      --param demand.growth_per_year=0.2:0.6 --param economics.voll_usd_mwh=1000:9000
  sovereign montecarlo baseline --runs 2000 --out results/cluster \\
      --engine dask --scheduler tcp://head:8786
  sovereign report results/base --out results/base/report

Each ensemble needs its own --out folder: a folder holds one design (the same command resumes it).
"""


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``montecarlo`` and ``report``."""
    p = sub.add_parser(
        "montecarlo",
        help="run a seeded ensemble of headless games (sweeps, LHS, Sobol) to Parquet",
        description="Play many seeded runs of a scenario with AI seats and stream tidy results to Parquet. "
        "Run i plays with child i of SeedSequence(--seed), so results do not depend on the executor or the "
        "number of workers. Running the same command again resumes an interrupted ensemble.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "scenario",
        metavar="SCENARIO",
        nargs="?",
        default=None,
        help="scenario file or name (e.g. baseline; see `sovereign scenarios`); not with --from",
    )
    p.add_argument(
        "--from",
        dest="start",
        type=Path,
        default=None,
        metavar="SAVE",
        help="continue a saved game in every run (its scenario, from its quarter; AI in every seat); "
        "the save's state digest is in every row and the manifest",
    )
    p.add_argument(
        "--runs",
        type=positive_int,
        required=True,
        metavar="N",
        help="runs (repeats per sweep point; base sample size for --sample)",
    )
    p.add_argument("--seed", type=seed, default=0, help="root seed (default 0)")
    p.add_argument(
        "--out", type=Path, default=None, metavar="DIR", help="output folder (default results/montecarlo-<scenario>)"
    )
    p.add_argument(
        "--workers", type=_workers, default="auto", help="worker processes: a number or auto (all cores; default)"
    )
    p.add_argument(
        "--engine", choices=("local", "dask"), default="local", help="local processes (default) or Dask distributed"
    )
    p.add_argument(
        "--scheduler", metavar="ADDRESS", default=None, help="Dask scheduler address (implies --engine dask)"
    )
    p.add_argument(
        "--set",
        dest="sets",
        action="extend",
        nargs="+",
        default=[],
        metavar="PATH=VALUE",
        help="override a scenario value",
    )
    p.add_argument(
        "--sweep",
        dest="sweeps",
        action="extend",
        nargs="+",
        default=[],
        metavar="PATH=V1,V2,...",
        help="sweep a value (full factorial over sweeps)",
    )
    p.add_argument(
        "--sample",
        choices=("lhs", "sobol"),
        default=None,
        help="sample the --param box (Latin hypercube or Sobol/Saltelli)",
    )
    p.add_argument(
        "--param",
        dest="params",
        action="extend",
        nargs="+",
        default=[],
        metavar="PATH=LOW:HIGH",
        help="a sampled parameter",
    )
    p.add_argument("--retries", type=non_negative_int, default=1, help="extra attempts of a failed run (default 1)")
    p.add_argument("--quarters", type=positive_int, default=None, help="quarters per run (default: the whole scenario)")
    p.add_argument("--difficulty", choices=("easy", "normal", "hard"), default=None, help="AI difficulty")
    p.add_argument(
        "--script",
        type=Path,
        default=None,
        metavar="FILE",
        help="policy script every run plays (see docs/scripts.md); its hash is in every row",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=cmd_montecarlo)

    r = sub.add_parser(
        "report",
        help="fan charts, outcome distributions and sensitivity of an ensemble, as PNGs and index.html",
    )
    r.add_argument("results", type=Path, metavar="RESULTS", help="output folder of sovereign montecarlo")
    r.add_argument("--out", type=Path, default=None, metavar="DIR", help="report folder (default RESULTS/report)")
    r.set_defaults(handler=cmd_report)

    c = sub.add_parser(
        "compare",
        help="is the difference between two ensembles real? effect size, 95%% interval and a test",
        description="Compare one outcome (a column of nations, firms or world at a quarter) between two "
        "ensemble folders, B minus A: paired by run when both used the same --seed (common random "
        "numbers), else independent. Prints the means, the difference with its 95%% confidence interval, "
        "Cohen's d, a t-test and a rank test (scipy.stats).",
        epilog="example: sovereign compare results/base results/whatif --table nations --column "
        "sovereignty_index --seat IND --quarter 2030Q4",
    )
    c.add_argument("a", type=Path, metavar="A", help="ensemble folder (the reference)")
    c.add_argument("b", type=Path, metavar="B", help="ensemble folder (the variant)")
    c.add_argument("--table", choices=("nations", "firms", "world"), default="nations")
    c.add_argument("--column", default="sovereignty_index", help="the outcome column (default sovereignty_index)")
    c.add_argument("--seat", default=None, help="region id (nations) or firm id (firms)")
    c.add_argument("--quarter", default=None, help="quarter of the outcome (default: the last)")
    c.set_defaults(handler=cmd_compare)


# --------------------------------------------------------------------------- argument types


def _workers(text: str) -> int | str:
    return "auto" if text == "auto" else positive_int(text)


# --------------------------------------------------------------------------- montecarlo


def cmd_montecarlo(args: argparse.Namespace) -> int:
    """Build and check the design, run it, print the summary; see the module docstring for exit codes."""
    from rich.console import Console

    from sovereign.ensemble.cores import available_cores
    from sovereign.ensemble.design import (
        DesignError,
        check_design,
        make_design,
        parse_assignment,
        parse_range,
        parse_sweep,
        parse_value,
    )
    from sovereign.ensemble.executors import ExecutorError
    from sovereign.ensemble.runner import EnsembleSpec, run_ensemble
    from sovereign.ensemble.store import StoreError
    from sovereign.ensemble.summary import rich_tables, summarize
    from sovereign.scenario.loader import ScenarioError, load_scenario, scenario_to_dict

    engine = "dask" if args.scheduler else args.engine
    workers = available_cores() if args.workers == "auto" else int(args.workers)
    try:
        sets = [parse_assignment(text, "--set") for text in args.sets]
        overrides = {path: _value(parse_value, path, raw) for path, raw in sets}
        sweeps = [parse_sweep(text) for text in args.sweeps]
        ranges = [parse_range(text) for text in args.params]
    except DesignError as exc:
        raise UsageError(str(exc)) from None
    start = None
    if args.start is not None:
        if args.scenario is not None:
            raise UsageError("give a SCENARIO or --from SAVE, not both: a saved game carries its scenario")
        start, scenario_path, scenario = _start_point(args.start, overrides)
    elif args.scenario is None:
        raise UsageError("name a SCENARIO (e.g. baseline) or a saved game to continue with --from SAVE")
    else:
        from sovereign.cli.run import scenario_file

        scenario_path = scenario_file(args.scenario)
        try:
            scenario = load_scenario(scenario_path, overrides)
        except ScenarioError as exc:
            raise UsageError(f"invalid scenario {scenario_path}:\n{exc}") from None
    script = None
    if args.script is not None:
        from sovereign.cli.run import load_script_or_fail

        script = load_script_or_fail(args.script, scenario)
    try:
        design = make_design(
            runs=args.runs,
            seed=args.seed,
            sets=list(overrides.items()),
            sweeps=sweeps,
            sample=args.sample,
            ranges=ranges,
        )
        check_design(design, scenario_to_dict(scenario))
    except DesignError as exc:
        raise UsageError(f"invalid design:\n{exc}") from None
    out = args.out if args.out is not None else Path("results") / f"montecarlo-{scenario_path.stem}"
    check_output_folder(out, "--out")  # before the workers start, not after the first batch
    err = Console(stderr=True)
    if design.kind == "sobol" and args.runs & (args.runs - 1):
        err.print(
            f"[yellow]note:[/yellow] Sobol designs converge best when --runs is a power of two (found {args.runs})"
        )
    err.print(
        f"[bold]{scenario.meta.title}[/bold]: {design.n_runs} runs ({_describe(design)}), seed {design.seed}, "
        f"{engine} executor{'' if args.scheduler else f' with {workers} workers'} -> {out}"
    )
    spec = EnsembleSpec(
        scenario_path=scenario_path,
        scenario=scenario,
        design=design,
        out=out,
        quarters=args.quarters,
        difficulty=args.difficulty,
        retries=args.retries,
        engine=engine,
        workers=workers,
        scheduler=args.scheduler,
        command=["sovereign", *sys.argv[1:]] if sys.argv else [],
        script=script,
        start=start,
    )
    try:
        result = run_ensemble(spec, show_progress=not args.quiet, console=err)
    except StoreError as exc:
        raise UsageError(str(exc)) from None
    except ExecutorError as exc:
        err.print(f"sovereign: error: {exc}")
        return 1
    # piped output (a log, a notebook cell) gets room for the tables instead of rich's 80 columns
    console = Console(width=None if sys.stdout.isatty() else 120)
    for table in rich_tables(summarize(out)):
        console.print(table)
    if script is not None:
        _report_script_refusals(out, script)
    memory = f"; parent peak RSS {result.peak_rss_mib:.0f} MiB" if result.peak_rss_mib else ""
    # plain prints: these lines are grepped by scripts, so rich must not wrap them
    print(f"{result.ran} runs played in {result.elapsed_s:.1f} s ({result.skipped} already done){memory}")
    print(f"results: {out}   report: sovereign report {out}")
    if result.status == "interrupted":
        print(
            f"interrupted: {result.succeeded} of {result.n_runs} runs are kept in {out}; "
            "run the same command again to resume",
            file=sys.stderr,
        )
        return 130
    if result.failed:
        print(f"{result.failed} runs failed after {args.retries} retries; see {out / 'failures'}", file=sys.stderr)
        return 1
    return 0


def _start_point(path: Path, overrides: dict[str, Any]) -> tuple[Any, Path, Any]:
    """(StartPoint, save path, scenario with --set applied) for ``--from SAVE``, or UsageError."""
    from sovereign.ensemble.design import apply_params
    from sovereign.ensemble.runner import StartPoint
    from sovereign.persist import SaveError, read_save
    from sovereign.persist.files import model_from_document
    from sovereign.persist.state import state_digest
    from sovereign.scenario.loader import ScenarioError

    try:
        doc = read_save(path)
        model = model_from_document(doc)  # the whole save is validated before any run starts
    except SaveError as exc:
        raise UsageError(str(exc)) from None
    if model.done:
        raise UsageError(f"{path}: the game is over; there is no quarter left to play")
    try:
        scenario = apply_params(doc.state["scenario"]["content"], overrides, source="--set")
    except ScenarioError as exc:
        raise UsageError(f"invalid --set for the saved game's scenario:\n{exc}") from None
    start = StartPoint(path, doc.state, state_digest(doc.state)["state"], model.quarter_label)
    return start, path, scenario


def _report_script_refusals(out: Path, script: Any, shown: int = 10) -> None:
    """Print how many runs refused scripted commands, and the most frequent refusals with their reason."""
    from collections import Counter

    from sovereign.ensemble.store import part_files, read_table

    if not any(part_files(out, "runs")):
        return
    runs = read_table(out, "runs", columns=["script_refused", "script_refusals"]).to_pylist()
    hit = [r for r in runs if r["script_refused"]]
    print(f"script {script.source}: scripted commands refused in {len(hit)} of {len(runs)} runs")
    counts = Counter(line for r in hit for line in (r["script_refusals"] or "").splitlines())
    for line, n in counts.most_common(shown):
        print(f"  {n} run(s): {line}")
    if len(counts) > shown:
        print(f"  ... {len(counts) - shown} more: see the script_refusals column of {out / 'runs'}")


def _value(parse: Any, path: str, raw: str) -> Any:
    from sovereign.ensemble.design import DesignError

    try:
        return parse(raw)
    except ValueError as exc:
        raise DesignError([f"--set {path}: {exc}"]) from None


def _describe(design: Any) -> str:
    if design.kind == "sweep":
        return f"{design.n_points} sweep points x {design.replicates}"
    if design.kind == "lhs":
        return f"Latin hypercube of {design.n_points} points"
    if design.kind == "sobol":
        return f"Sobol/Saltelli, base {design.runs}, {len(design.ranges)} parameters"
    return "repeats"


# --------------------------------------------------------------------------- report


def cmd_report(args: argparse.Namespace) -> int:
    """Write the report of an ensemble folder and say where it is."""
    from sovereign.ensemble.report import ReportError, write_report
    from sovereign.ensemble.store import damaged_batches

    out = args.out if args.out is not None else args.results / "report"
    if not args.results.is_dir():
        what = "not a folder" if args.results.exists() else "no such folder"
        raise UsageError(f"{args.results}: {what} (give the --out folder of sovereign montecarlo)")
    damaged = damaged_batches(args.results)
    if damaged:
        raise UsageError(
            f"{args.results}: {len(damaged)} damaged batch(es) of results ({', '.join(damaged[:3])}"
            f"{', ...' if len(damaged) > 3 else ''}); run the same montecarlo command again: it deletes them "
            "and plays their runs again"
        )
    check_output_folder(out, "--out")
    try:
        index = write_report(args.results, out)
    except ReportError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot write the report to {out}: {exc.strerror or exc}") from None
    print(f"wrote {index}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    """Print the comparison of one outcome between two ensembles."""
    from rich.console import Console
    from rich.table import Table

    from sovereign.cli.run import fit_table
    from sovereign.cli.text import plain
    from sovereign.ensemble.compare import CompareError, Outcome, compare

    outcome = Outcome(args.table, args.column, args.seat if args.table != "world" else None, args.quarter)
    try:
        result = compare(args.a, args.b, outcome)
    except CompareError as exc:
        raise UsageError(str(exc)) from None
    who = f" of {plain(args.seat)}" if outcome.seat else ""
    how = "paired" if result.paired else "independent"
    print(f"{args.table}.{args.column}{who} at {result.quarter}: B minus A, {how} runs")
    table = Table()
    for name in ("", "runs", "mean"):
        table.add_column(name, justify="left" if not name else "right")
    table.add_row(f"A {plain(args.a)}", str(result.n_a), f"{result.mean_a:,.4g}")
    table.add_row(f"B {plain(args.b)}", str(result.n_b), f"{result.mean_b:,.4g}")
    Console().print(fit_table(table))
    ci = f"95% CI {result.ci_low:+,.4g} to {result.ci_high:+,.4g}"
    print(f"difference {result.difference:+,.4g} ({ci}); Cohen's d {result.effect_size:+.2f}")
    print(f"{result.test}: p = {result.p_value:.3g}; {result.rank_test}: p = {result.rank_p_value:.3g}")
    return 0
