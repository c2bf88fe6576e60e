"""Validate geopolitics (issue 13): a bloc join against each national lever, and the baseline's risers.

Usage: ``python tools/validate_geopolitics.py [SCENARIO] [seeds...] [--write docs/validation.md]``
(default: the baseline, seeds 1-5; with ``--write`` the report replaces the ``geopolitics``
section of the file, see `sovereign.ensemble.docsection`).

Every lever case plays India by script alone (`ai: off` all game, so nothing the AI does for India
blurs the comparison) against the same passive India with no commands, on the same seeds:

- join: leave BRICS in 2026Q1, apply to `us_allies` in 2026Q2 (admitted by the members' votes);
- subsidy: a 50% datacenter subsidy from 2026Q1;
- localisation + build-out: a data-localisation law and a 500 MW state campus (200 MW ordered in
  2026Q1 and 300 MW in 2026Q3, as the budget allows), filled with accelerators as it opens;
- programme: the IndiaAI compute programme at its calibrated size (CALIBRATION 12: about 38,000
  GPUs for Rs 10,372 crore, ~$1.25B over five years): a 50 MW state campus (room for about
  38,000 H100e) filled as it opens;
- licence: a deal offered to the United States (whose AI answers): 100k H100e a quarter of the
  frontier class licensed to India for 20 quarters for $0.2B a quarter; licence + build-out adds
  the 500 MW state campus;
- security: cyber-security spending raised to $3B a year from 2026Q1.

Then each of four levers (50% subsidy, localisation, security, the 50 MW programme) alone for
every other nation of the scenario, the same way, sized to the nation (`lever_terms`: the campus
ordered when its budget pays for it, with its own generation where the grid would connect it only
after it is built; security $3B a year or twice its spending).

Prints the 2030 index and pillars per case (the mean of the year's four quarters, `year_mean`; mean
over seeds), each case's change against the
control, and for the AI-only baseline: the largest rise of any nation's index over 2026-35 with
its own compute, power and chip pillars' rises, and Europe against Russia in the median seed.
"""

from __future__ import annotations

import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sovereign.ensemble.docsection import write_section  # noqa: E402
from sovereign.scenario.catalog import resolve_scenario  # noqa: E402
from sovereign.scenario.loader import load_scenario  # noqa: E402
from sovereign.scenario.schema import quarter_label  # noqa: E402
from sovereign.scenario.script import play_scripted, script_from_dict  # noqa: E402
from sovereign.sim.model import SovereignModel  # noqa: E402
from sovereign.sim.phases.grid import expected_wait_quarters  # noqa: E402

PILLARS = ["compute_self_reliance", "power_adequacy", "chip_security", "data_governance", "cyber_resilience"]
EUROPE = ["DEU", "FRA", "EU_REST", "NORDICS", "IRL"]


def _buys(
    quarters: list[str], h100e: float, nation: str = "IND", accelerator: str = "frontier"
) -> list[dict[str, Any]]:
    """Bids each quarter for the state campus (refused while it has no free space: logged, harmless)."""
    return [
        {
            "quarter": q,
            "seat": nation,
            "command": {
                "kind": "buy_accelerators",
                "accelerator": accelerator,
                "h100e": h100e,
                "max_price_usd": 30000.0,
                "region": nation,
            },
        }
        for q in quarters
    ]


FILL = [f"{y}Q{q}" for y in range(2027, 2031) for q in range(1, 5)]
#: H100e the programme's 50 MW campus is filled with (IndiaAI's ~38,000 GPUs, CALIBRATION 12)
PROGRAMME_H100E = 38_000.0
#: A deal with the United States (its AI answers): 100k H100e a quarter of the frontier class licensed
#: to India for 20 quarters, India paying $0.2B a quarter (about 10% of the licensed chips' list value)
LICENCE = {
    "quarter": "2026Q1",
    "seat": "IND",
    "command": {
        "kind": "offer_deal",
        "partner": "USA",
        "deal_kind": "export_licence",
        "accelerator": "frontier",
        "h100e_per_quarter": 100_000.0,
        "quarters": 20,
        "payment_busd_per_quarter": -0.2,
        "supplier_is_proposer": False,
    },
}
CASES: dict[str, list[dict[str, Any]]] = {
    "control": [],
    "join": [
        {"quarter": "2026Q1", "seat": "IND", "command": {"kind": "leave_bloc", "bloc": "brics"}},
        {"quarter": "2026Q2", "seat": "IND", "command": {"kind": "join_bloc", "bloc": "us_allies"}},
    ],
    "subsidy": [{"quarter": "2026Q1", "seat": "IND", "command": {"kind": "set_subsidy", "rate": 0.5}}],
    "localisation_buildout": [
        {"quarter": "2026Q1", "seat": "IND", "command": {"kind": "set_localisation", "enabled": True}},
        {"quarter": "2026Q1", "seat": "IND", "command": {"kind": "build_datacenter", "region": "IND", "it_mw": 200.0}},
        {"quarter": "2026Q3", "seat": "IND", "command": {"kind": "build_datacenter", "region": "IND", "it_mw": 300.0}},
        *_buys(FILL, 50_000.0),
    ],
    "programme": [
        {"quarter": "2026Q1", "seat": "IND", "command": {"kind": "build_datacenter", "region": "IND", "it_mw": 50.0}},
        *_buys(FILL, PROGRAMME_H100E),
    ],
    "licence": [LICENCE],
    "licence_buildout": [
        LICENCE,
        {"quarter": "2026Q1", "seat": "IND", "command": {"kind": "build_datacenter", "region": "IND", "it_mw": 200.0}},
        {"quarter": "2026Q3", "seat": "IND", "command": {"kind": "build_datacenter", "region": "IND", "it_mw": 300.0}},
        *_buys(FILL, 50_000.0),
    ],
    "security": [
        {"quarter": "2026Q1", "seat": "IND", "command": {"kind": "set_security_spending", "busd_per_year": 3.0}}
    ],
}


SCENARIO = "baseline"

#: India, whose levers the cases above measure; every other nation of the scenario is measured the
#: same way (each lever alone, the nation played by script against the same passive nation).
ACTING = "IND"
#: Each lever and the pillar it aims at.
OTHER_LEVERS = {
    "subsidy": "compute_self_reliance",
    "localisation": "data_governance",
    "security": "cyber_resilience",
    "programme": "compute_self_reliance",
}


def other_cases(
    nation: str,
    onsite: bool = False,
    campus_quarter: str = "2026Q1",
    security_busd: float = 3.0,
    accelerator: str = "frontier",
) -> dict[str, list[dict[str, Any]]]:
    """The levers of `nation`, each alone: as India's, the programme a 50 MW state campus filled as it opens.

    `onsite`: the campus brings its own generation. A government with a 2030 target does so where
    the grid would connect the campus only after it is built (Frankfurt's queue: four years and
    more, CALIBRATION 11; CyrusOne's 61 MW on-site gas plant there), as the game's build form
    suggests; otherwise the programme would measure the queue, not the programme.
    `campus_quarter`: when the campus is ordered, the first quarter the nation's AI budget pays for
    it (`lever_terms`): a nation whose quarter's budget is less than the campus is refused in 2026Q1
    ("not enough budget"), and a programme is funded over the quarters it takes.
    `security_busd`: the yearly security spending the lever sets, a rise for every nation.
    `accelerator`: the class the campus is filled with, one the nation may import.
    """
    return {
        "control": [],
        "subsidy": [{"quarter": "2026Q1", "seat": nation, "command": {"kind": "set_subsidy", "rate": 0.5}}],
        "localisation": [
            {"quarter": "2026Q1", "seat": nation, "command": {"kind": "set_localisation", "enabled": True}}
        ],
        "security": [
            {
                "quarter": "2026Q1",
                "seat": nation,
                "command": {"kind": "set_security_spending", "busd_per_year": round(security_busd, 2)},
            }
        ],
        "programme": [
            {
                "quarter": campus_quarter,
                "seat": nation,
                "command": {"kind": "build_datacenter", "region": nation, "it_mw": 50.0, "onsite": onsite},
            },
            *_buys(FILL, PROGRAMME_H100E, nation, accelerator),
        ],
    }


def lever_terms(model: SovereignModel, nation: str) -> dict[str, Any]:
    """`other_cases`' terms for `nation` at the start of `model`'s game.

    The campus: with its own generation where the grid would connect it only after it is built;
    ordered in the first quarter the nation's cash covers it, where a passive nation's cash grows
    by its quarter's budget less its security spending, up to the scenario's carry-over limit
    (never, within two years, gives 2026Q1: the refusal is then the measurement). Security:
    $3B a year, or twice what the nation spends already where that is more (the United States
    and China spend more than $3B: $3B would be a cut). The chips: the first class of the scenario
    the nation may import (China's programme fills its campus with the domestic class: the
    frontier class is barred to it).
    """
    from sovereign.sim.commands import BuildDatacenter, command_cost_busd
    from sovereign.sim.phases.chips import destination_caps, may_receive

    r = model.region_ix[nation]
    onsite = float(expected_wait_quarters(model)[r]) > 0.0
    cost = command_cost_busd(model, nation, BuildDatacenter(region=nation, it_mw=50.0, onsite=onsite))
    security = float(model.world.security_busd[r])
    budget = model.budget_busd(nation)
    years = model.scenario.finance.budget_carryover_years
    cash, quarter = float(model.seats[nation].cash_busd), model.quarter
    for q in range(model.quarter, model.quarter + 8):
        if cash >= cost * 1.01:
            quarter = q
            break
        cash += budget - security / 4.0
        if years is not None:
            cash = min(cash, years * 4.0 * budget)
    caps, barred = destination_caps(model)
    here = np.array([r])
    importable = [
        a.id
        for g, a in enumerate(model.scenario.accelerators)
        if bool(may_receive(model, here, here, np.array([g]))[0]) and not barred[r, g] and caps[r, g] > 0
    ]
    return {
        "onsite": onsite,
        "campus_quarter": quarter_label(quarter),
        "security_busd": max(3.0, 2.0 * security),
        "accelerator": importable[0] if importable else "frontier",
    }


#: The year the levers are measured in (the issue's "2030 index").
YEAR = "2030"


def year_mean(model: SovereignModel, nation: str, year: str = YEAR) -> dict[str, float]:
    """A nation's index and pillars in `year`: the mean of its four quarters.

    Why the year, not its last quarter: which nation's demand the world's clouds serve moves from
    quarter to quarter (India's compute self-reliance moved by 0.05 between two quarters of the same
    game), so one quarter measured the market's churn as much as the lever: the join's and the
    programme's 2030Q4 changes were within noise of each other on seeds 1-5, their 2030 means
    are not (seeds 1-10, measured in session 14).
    """
    rows = [r for r in model.metrics.nations if r["region"] == nation and r["quarter"].startswith(year)]
    if not rows:  # a scenario that ends before `year` (a lesson): the last year it plays
        last = max(r["quarter"] for r in model.metrics.nations)[:4]
        rows = [r for r in model.metrics.nations if r["region"] == nation and r["quarter"].startswith(last)]
    return {k: float(np.mean([r[k] for r in rows])) for k in ["sovereignty_index", *PILLARS, "compute_demand_h100e"]}


def _play_other(args: tuple[str, str, int, str]) -> tuple[str, str, int, dict[str, float]]:
    nation, case, seed, name = args
    scenario = load_scenario(resolve_scenario(name))
    model = SovereignModel(scenario, rng=seed)
    commands = other_cases(nation, **lever_terms(model, nation))[case]
    script = script_from_dict({"seats": {nation: {"ai": "off"}}, "commands": commands}, scenario)
    play_scripted(model, script)
    return nation, case, seed, year_mean(model, nation)


def report_others(
    seeds: list[int],
    others: dict[tuple[str, str], list[dict[str, float]]],
    reasons: dict[tuple[str, str], str] | None = None,
) -> str:
    """The same levers for other nations: each lever's change of its pillar and of the index, in 2030.

    A nation a lever cannot move by 0.02 is named with the reason where the report can tell it: the
    pillar already at its ceiling in the control (0.95 or more), or a reason from the scenario
    (`reasons`, by lever and nation, from `scenario_reasons`); the others are listed as misses.
    """
    reasons = reasons or {}
    nations = sorted({n for n, _ in others}, key=lambda n: [n for n, _ in others].index(n))

    def delta(nation: str, case: str, key: str) -> float:
        rows, base = others[(nation, case)], others[(nation, "control")]
        return float(np.mean([r[key] for r in rows]) - np.mean([r[key] for r in base]))

    lines = [
        "",
        f"The same levers for every other nation (each alone, the nation played by script against the same "
        f"passive nation, seeds {seeds[0]}-{seeds[-1]}, 2030 mean): the change of the lever's pillar / of the "
        "index (the pillar's level in the control). The campus is ordered in the first quarter the nation's "
        "budget pays for it and filled with a class it may import; security is $3B a year or twice the "
        "nation's spending, whichever is more (`lever_terms`).",
        "",
        "| nation | 50% subsidy (compute) | localisation (data) | security (cyber) | 50 MW programme (compute) |",
        "|---|---:|---:|---:|---:|",
    ]
    short: dict[str, list[str]] = {lever: [] for lever in OTHER_LEVERS}
    excused: dict[str, list[str]] = {lever: [] for lever in OTHER_LEVERS}
    for nation in nations:
        cells = []
        for lever, pillar in OTHER_LEVERS.items():
            d_p, d_i = delta(nation, lever, pillar), delta(nation, lever, "sovereignty_index")
            level = float(np.mean([r[pillar] for r in others[(nation, "control")]]))
            cells.append(f"{d_p:+.3f} / {d_i:+.3f} ({level:.2f})")
            if max(d_p, d_i) >= 0.02:
                continue
            ceiling = level >= 0.95
            demand = float(np.mean([r["compute_demand_h100e"] for r in others[(nation, "control")]]))
            if (lever, nation) in reasons:
                excused[lever].append(f"{nation} ({reasons[(lever, nation)]})")
            elif lever == "programme" and PROGRAMME_H100E < 0.02 * demand:
                excused[lever].append(f"{nation} (the campus is {PROGRAMME_H100E / demand:.1%} of its demand)")
            elif ceiling:
                excused[lever].append(f"{nation} (pillar at its ceiling)")
            else:
                short[lever].append(nation)
        lines.append(f"| {nation} | " + " | ".join(cells) + " |")
    lines += ["", "Checks (index or the lever's pillar up by >= 0.02 in 2030):", ""]
    for lever, missed in short.items():
        moved = len(nations) - len(missed) - len(excused[lever])
        text = f"- {lever}: {moved} of {len(nations)} nations"
        if excused[lever]:
            text += "; cannot move: " + ", ".join(excused[lever])
        text += "; " + ("every other one moves" if not missed else "**not met** for " + ", ".join(missed))
        lines.append(text)
    return "\n".join(lines)


def scenario_reasons(scenario: Any) -> dict[tuple[str, str], str]:
    """Levers a nation cannot use at the start of the scenario, with the reason, by (lever, nation).

    Localisation where the law is already in force (Russia, China); security where the nation's
    yearly AI budget is less than what it spends on security already (it cannot pay a rise).
    """
    out: dict[tuple[str, str], str] = {}
    for r in scenario.regions:
        if r.localisation_law:
            out[("localisation", r.id)] = "law in force"
        if r.gdp_busd * r.ai_budget_share < r.security_spend_busd:
            out[("security", r.id)] = "budget below its security spending"
    return out


def _play(args: tuple[str, int, str]) -> tuple[str, int, dict[str, float]]:
    case, seed, name = args
    scenario = load_scenario(resolve_scenario(name))
    model = SovereignModel(scenario, rng=seed)
    script = script_from_dict({"seats": {"IND": {"ai": "off"}}, "commands": CASES[case]}, scenario)
    play_scripted(model, script)
    return case, seed, year_mean(model, "IND")


def _baseline(args: tuple[int, str]) -> dict[str, Any]:
    seed, name = args
    model = SovereignModel(load_scenario(resolve_scenario(name)), rng=seed)
    model.run()
    by = {(r["region"], r["quarter"]): r for r in model.metrics.nations}
    regions = sorted({r for r, _ in by})
    first, last = min(q for _, q in by), max(q for _, q in by)  # the scenario's own span
    rises = []
    for r in regions:
        a, b = by[(r, first)], by[(r, last)]
        own = {p: b[p] - a[p] for p in ("compute_self_reliance", "power_adequacy", "chip_security")}
        rises.append((b["sovereignty_index"] - a["sovereignty_index"], r, own))
    end = {r: by[(r, last)]["sovereignty_index"] for r in regions}
    return {"seed": seed, "rises": sorted(rises, reverse=True)[:3], "end": end, "span": (first, last)}


LEVERS = ("subsidy", "localisation_buildout", "programme")
LABELS = {
    "control": "India passive (no commands): the control",
    "join": "leave BRICS, apply to us_allies (admitted)",
    "subsidy": "50% datacenter subsidy",
    "localisation_buildout": "localisation law + 500 MW state campus, filled",
    "programme": "IndiaAI programme: 50 MW campus, ~38k H100e",
    "licence": "export-licence deal with the US (100k H100e/q, $0.2B/q)",
    "licence_buildout": "licence deal + 500 MW state campus",
    "security": "security spending $3B/yr",
}


def report(
    name: str, seeds: list[int], table: dict[str, dict[int, dict[str, float]]], base: list[dict[str, Any]]
) -> str:
    """The markdown section: the lever table, the issue's checks, the baseline's risers."""

    def mean(case: str, key: str) -> float:
        return float(np.mean([table[case][s][key] for s in seeds]))

    def delta(case: str, key: str) -> float:
        return mean(case, key) - mean("control", key)

    command = "" if name == SCENARIO else name + " "
    lines = [
        "## Geopolitics and diplomacy",
        "",
        f"Produced by `python tools/validate_geopolitics.py {command}--write docs/validation.md` on "
        f"{time.strftime('%Y-%m-%d')} (Python {platform.python_version()}, 2 workers): scenario `{name}`, "
        f"seeds {seeds[0]}-{seeds[-1]}. India is played by a policy script alone in every case (`ai: off`), so "
        "nothing the AI would do for it blurs the comparison; each case is one move against the same passive "
        "India on the same seeds (common random numbers). Figures: India's 2030 sovereignty index and "
        "pillars (the mean of the year's four quarters), mean over the seeds, as changes against the control.",
        "",
        "| case | index 2030 | change | compute | power | chips | data | cyber |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for case in table:
        cells = [f"{delta(case, p):+.3f}" for p in PILLARS]
        lines.append(
            f"| {LABELS.get(case, case)} | {mean(case, 'sovereignty_index'):.3f} | "
            f"{delta(case, 'sovereignty_index'):+.3f} | " + " | ".join(cells) + " |"
        )
    join = delta("join", "sovereignty_index")
    lines += ["", "Checks of issue 13 (on these seeds):", ""]
    for lever in LEVERS:
        d = delta(lever, "sovereignty_index")
        ok = "met" if join < d else "**not met**"
        lines.append(f"- join ({join:+.3f}) below {LABELS[lever]} ({d:+.3f}): {ok}")

    def per_seed(case: str) -> str:
        key = "sovereignty_index"
        return ", ".join(f"{table[case][s][key] - table['control'][s][key]:+.3f}" for s in seeds)

    lines.append(
        "- the same index changes seed by seed (how far the means above are from noise): "
        + "; ".join(f"{LABELS.get(c, c)} {per_seed(c)}" for c in ("join", *LEVERS))
    )
    for lever, pillar in (
        ("subsidy", "compute_self_reliance"),
        ("localisation_buildout", "data_governance"),
        ("security", "cyber_resilience"),
        ("programme", "compute_self_reliance"),
    ):
        best = max(delta(lever, "sovereignty_index"), delta(lever, pillar))
        ok = "met" if best >= 0.02 else "**not met**"
        lines.append(f"- {LABELS[lever]}: index or {pillar.replace('_', ' ')} up by >= 0.02 ({best:+.3f}): {ok}")
    risers = [(rise, b["seed"], r, own) for b in base for rise, r, own in b["rises"]]
    worst = max(risers, key=lambda t: t[0])
    unmatched = [t for t in risers if t[0] > 0.25 and max(t[3].values()) < t[0]]
    lines.append(
        f"- largest index rise of any nation {base[0]['span'][0]}-{base[0]['span'][1]} in the AI-only game: "
        f"{worst[0]:+.3f} "
        f"({worst[2]}, seed {worst[1]}); rises above 0.25 without a matching own pillar: {len(unmatched)}: "
        + ("met" if not unmatched else "**not met**")
    )
    gaps = []
    for b in base:
        europe = [b["end"][r] for r in EUROPE if r in b["end"]]
        if europe and "RUS" in b["end"]:
            gaps.append(min(europe) - b["end"]["RUS"])
    if gaps:
        gap = float(np.median(gaps))
        lines.append(
            f"- lowest European state minus Russia, {base[0]['span'][1]}, median seed: {gap:+.3f}: "
            + ("met" if gap > 0 else "**not met**")
        )
    return "\n".join(lines)


def main() -> None:
    """Print (or write) the section for the scenario and seeds given (default baseline, 1-5)."""
    args = [a for a in sys.argv[1:] if a != "--write"]
    out = None
    if "--write" in sys.argv:
        k = sys.argv.index("--write")
        out = Path(sys.argv[k + 1])
        args = [a for a in args if a != sys.argv[k + 1]]
    name = SCENARIO
    if args and not args[0].isdigit():
        name, args = args[0], args[1:]
    seeds = [int(s) for s in args] or [1, 2, 3, 4, 5]
    jobs = [(case, seed, name) for case in CASES for seed in seeds]
    scenario = load_scenario(resolve_scenario(name))
    nations = [r.id for r in scenario.regions if r.id != ACTING]
    other_jobs = [(n, case, seed, name) for n in nations for case in other_cases(n) for seed in seeds]
    with ProcessPoolExecutor(2) as pool:
        results = list(pool.map(_play, jobs))
        base = list(pool.map(_baseline, [(seed, name) for seed in seeds]))
        other_rows = list(pool.map(_play_other, other_jobs, chunksize=4))
    table: dict[str, dict[int, dict[str, float]]] = {}
    for case, seed, row in results:
        table.setdefault(case, {})[seed] = row
    others: dict[tuple[str, str], list[dict[str, float]]] = {}
    for nation, case, _, row in other_rows:
        others.setdefault((nation, case), []).append(row)
    text = report(name, seeds, table, base) + "\n" + report_others(seeds, others, scenario_reasons(scenario))
    print(text)
    if out is not None:
        write_section(out, "geopolitics", text)


if __name__ == "__main__":
    main()
