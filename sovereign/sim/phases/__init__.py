"""The phases of a quarter, one module each, in the order `SovereignModel.step` runs them.

orders -> diplomacy (deals, covert operations) -> events -> construction -> chips -> power -> compute ->
finance -> metrics -> grid -> diplomacy (terms, shared risk) -> demand.
Each takes the model's state and what earlier phases produced, changes only what it owns (its
module docstring says what) and returns a typed result (`sovereign.sim.state`).
"""
