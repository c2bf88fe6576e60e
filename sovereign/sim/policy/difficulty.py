"""Difficulty levels of the AI seats: what each level knows and how boldly it acts.

========== ======================================================================================
level      handicap
========== ======================================================================================
easy       reads prices two quarters old, misjudges returns by +-30%, invests half as much, never
           uses the subtle levers (localisation, permitting reform, curtailment priority)
normal     reads last quarter's prices, +-10% misjudgement, full investment, uses every lever
hard       last quarter's prices, no misjudgement, looks 3 years ahead instead of 2, invests 20%
           more, protects datacenters in shortages and reforms permitting early
========== ======================================================================================

These are game-design settings (how hard the opponents play), not calibrated economics, so they
live here rather than in the scenario: a scenario chooses the level (``seats.difficulty``).
"""

from __future__ import annotations

from typing import Any

LEVELS = ("easy", "normal", "hard")

DIFFICULTY: dict[str, dict[str, Any]] = {
    "easy": {"lag": 2, "noise": 0.3, "invest": 0.5, "horizon_q": 8, "levers": False, "security": 0.8},
    "normal": {"lag": 1, "noise": 0.1, "invest": 1.0, "horizon_q": 8, "levers": True, "security": 1.2},
    "hard": {"lag": 1, "noise": 0.0, "invest": 1.2, "horizon_q": 12, "levers": True, "security": 1.5},
}
