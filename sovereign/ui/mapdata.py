"""Shared map geometry: the world asset and each scenario's region shapes, loaded once per process.

Loading and projecting the countries takes a noticeable fraction of a second; screens come and go
(menu, new game, game), so they share one copy through these cached accessors.
"""

from __future__ import annotations

from functools import cache

from sovereign.scenario.schema import Scenario
from sovereign.ui.geo import RegionShapes, World, load_world


@cache
def world() -> World:
    """The bundled Natural Earth countries (projected lazily by geo)."""
    return load_world()


_SHAPES: dict[tuple[tuple[str, tuple[str, ...]], ...], RegionShapes] = {}


def shapes_for(scenario: Scenario) -> RegionShapes:
    """Region shapes of a scenario, cached by its regions' ISO lists.

    Unknown ISO codes are skipped rather than fatal (``strict=False``): a scenario typo must not
    stop the game from drawing the rest of the world.
    """
    key = tuple((r.id, tuple(r.iso3)) for r in scenario.regions)
    shapes = _SHAPES.get(key)
    if shapes is None:
        shapes = RegionShapes(world(), {r.id: list(r.iso3) for r in scenario.regions}, strict=False)
        _SHAPES[key] = shapes
    return shapes


@cache
def backdrop_shapes() -> RegionShapes:
    """Every country as one region, for the decorative map behind the menus."""
    return RegionShapes(world(), {"world": ["*"]}, strict=False)
