"""Issue 13 diagnosis: a bloc join's effect on the sovereignty index vs subsidy and localisation.

Run from the repo root: python experiments/i13/diagnose.py [seeds...]
Prints each case's sovereignty index (2030Q4 and mean 2027-35) and pillars for the acting nation,
next to the no-script counterfactual on the same seed.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pandas as pd

from sovereign.scenario.catalog import resolve_scenario
from sovereign.scenario.loader import load_scenario
from sovereign.scenario.script import load_script, play_scripted
from sovereign.sim.model import SovereignModel
from sovereign.sim.runner import write_tables

HERE = Path(__file__).parent
CASES = {
    "ind_join": "IND",
    "ind_subsidy": "IND",
    "ind_local": "IND",
    "ind_aioff": "IND",
    "ind_subsidy_aioff": "IND",
    "rus_join_eu": "RUS",
}
PILLARS = ["compute_self_reliance", "power_adequacy", "chip_security", "data_governance", "cyber_resilience"]


def nations(model: SovereignModel) -> pd.DataFrame:
    """The model's per-nation metrics table."""
    with tempfile.TemporaryDirectory() as tmp:
        write_tables(model, Path(tmp), "parquet")
        return pd.read_parquet(Path(tmp) / "nations.parquet")


def play(scenario, seed: int, script_name: str | None) -> pd.DataFrame:
    """Play the whole scenario on a seed, with the named script of this folder or none."""
    model = SovereignModel(scenario, rng=seed)
    n = model.end_q - model.quarter + 1
    if script_name is None:
        model.run(n)
    else:
        play_scripted(model, load_script(HERE / f"{script_name}.yaml", scenario), n)
    return nations(model)


def row(df: pd.DataFrame, region: str) -> dict[str, float]:
    """A region's 2030Q4 index and pillars and its 2027-35 mean index."""
    d = df[df.region == region]
    q30 = d[d.quarter == "2030Q4"].iloc[0]
    mean = d[d.quarter.str[:4].astype(int) >= 2027].sovereignty_index.mean()
    return {"idx2030": q30.sovereignty_index, "mean27_35": mean, **{p[:8]: q30[p] for p in PILLARS}}


def main() -> None:
    """Print the table for the seeds given (default 1-3)."""
    seeds = [int(s) for s in sys.argv[1:]] or [1, 2, 3]
    scenario = load_scenario(resolve_scenario("baseline"))
    out = []
    for seed in seeds:
        base = play(scenario, seed, None)
        for region in ("IND", "RUS", "FRA", "DEU", "SAU"):
            out.append({"seed": seed, "case": "none", "region": region, **row(base, region)})
        for case, region in CASES.items():
            out.append({"seed": seed, "case": case, "region": region, **row(play(scenario, seed, case), region)})
    table = pd.DataFrame(out)
    pd.set_option("display.width", 200)
    print(table.round(3).to_string(index=False))


if __name__ == "__main__":
    main()
