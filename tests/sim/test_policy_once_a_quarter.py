"""What the AI policies find once a quarter for every seat equals what each seat would find alone.

`pact_choices` picks every nation's pact partner from the whole trust matrix at once; `seat_projects`
groups the world's projects by owner once a quarter for `under_construction`. Each is held equal
here to the plain one-seat rule it replaced.
"""

from __future__ import annotations

import numpy as np

from sovereign.sim.model import SovereignModel
from sovereign.sim.phases.diplomacy import pact_matrix
from sovereign.sim.policy.deals import pact_choices
from sovereign.sim.policy.decide import under_construction


def _one_nation(m: SovereignModel, pacts: np.ndarray, r: int) -> tuple[bool, int, float]:
    """The pact rule for one nation, row by row: the reference `pact_choices` must equal."""
    w = m.world
    trust = w.trust[r].copy()
    trust[r] = -1.0
    trust[pacts.any(axis=1)] = -1.0
    rivals = {1: 3, 3: 1}.get(int(w.export_tier[r]))
    if rivals is not None:
        trust[w.export_tier == rivals] = -1.0
    best = int(np.argmax(trust))
    return bool(pacts[r].any()), best, float(trust[best])


def test_every_nations_pact_choice_at_once_equals_its_own_row(tiny):
    m = SovereignModel(tiny, rng=1)
    rng = np.random.default_rng(7)
    n_r = len(m.region_ix)
    for _ in range(50):
        m.world.trust = rng.choice([0.2, 0.5, 0.7, 0.9], size=(n_r, n_r))  # ties on purpose
        m.world.export_tier = rng.integers(1, 4, n_r)
        pacts = np.zeros((n_r, n_r), bool)
        a, b = rng.integers(0, n_r, 2)
        pacts[a, b] = pacts[b, a] = a != b and rng.random() < 0.5
        in_pact, partners, trusts = pact_choices(m, pacts)
        assert [(in_pact[r], partners[r], trusts[r]) for r in range(n_r)] == [
            _one_nation(m, pacts, r) for r in range(n_r)
        ]
    assert pact_choices(m, pact_matrix(m))[0] == [False] * n_r


def test_a_seats_projects_under_construction_are_those_in_the_worlds_list(tiny):
    m = SovereignModel(tiny, rng=1)
    m.run(6)
    m.view_cache = None
    for agent in m.seats.values():
        for kind in ("build_fab", "build_packaging", "build_datacenter"):
            for by in (None, m.quarter + 2):
                scanned = sum(
                    p["size"]
                    for p in m.world.projects
                    if p["kind"] == kind and p["owner"] == agent.seat_id and (by is None or p["done"] <= by)
                )
                assert under_construction(agent, kind, by) == float(scanned)
