"""AI policies: helpers they rely on."""

import random

from sovereign.sim.policy.decide import fast_round


def test_fast_round_equals_builtin_round():
    rng = random.Random(3)
    values = [0.0, 0.05, 0.15, 0.25, 2.675, 1.005, 1e-9, 2.0**30, 1e12, -2.5, float("inf"), float("nan")]
    for _ in range(20_000):
        values.append(rng.uniform(0, 1e8) * rng.choice([1, 1e-3, 1e-6]))
        # decimal ties and their neighbours, where rounding is hardest
        tie = (rng.randrange(10**9) + 0.5) / rng.choice([10, 100, 1000])
        values.extend([tie, tie + 1e-12, tie - 1e-12, tie * (1 + 2e-16)])
    for x in values:
        for nd in (0, 1, 2, 3):
            want, got = round(x, nd), fast_round(x, nd)
            assert (want == got or (want != want and got != got)) and type(want) is type(got), (x, nd)
