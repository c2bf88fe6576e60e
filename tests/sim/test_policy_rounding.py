"""AI policies: helpers they rely on."""

import random

from sovereign.sim.policy.chip_bids import rounded


def test_rounded_equals_builtin_round_where_it_can_tell():
    """The compiled bid loop's rounding: the builtin's result exactly, or NaN (the builtin decides)."""
    rng = random.Random(3)
    values = [0.0, 0.05, 0.15, 0.25, 2.675, 1.005, 1e-9, 2.0**30, 1e12, -2.5, float("inf"), float("nan")]
    for _ in range(20_000):
        values.append(rng.uniform(0, 1e8) * rng.choice([1, 1e-3, 1e-6]))
        # decimal ties and their neighbours, where rounding is hardest
        tie = (rng.randrange(10**9) + 0.5) / rng.choice([10, 100, 1000])
        values.extend([tie, tie + 1e-12, tie - 1e-12, tie * (1 + 2e-16)])
    told = 0
    for x in values:
        for nd in (0, 1, 2, 3):
            got = rounded(x, 10.0**nd)
            if got == got:
                told += 1
                assert got == round(x, nd) and type(got) is float, (x, nd)
            else:  # left to the builtin: only near a tie, or out of the fast path's range
                assert not 0 <= x * 10.0**nd < 2.0**30 or abs(x * 10.0**nd % 1 - 0.5) <= 1e-6, (x, nd)
    assert told > 0.5 * 4 * len(values)  # every value but those near a tie (most of the list)
