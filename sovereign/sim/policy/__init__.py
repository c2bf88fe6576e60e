"""The AI seats' decisions: the investor view, margins, difficulty and one policy per kind of seat.

Policies only return commands; the model validates and applies them like a player's. They read
the same economics as the phases (`sovereign.sim.economics`), so one rule has one home.
"""
