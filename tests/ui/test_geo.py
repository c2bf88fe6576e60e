"""Map geometry: the asset, the projection, the viewport, region hit tests and drawing."""

from __future__ import annotations

import itertools
import json
import math
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import numpy as np
import pygame
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sovereign.ui import geo

WORLD_PATH = geo.asset_path(geo.WORLD_ASSET)

# A mapping like the baseline scenario's ~25 regions (DESIGN.md "The world").
GAME_REGIONS: dict[str, list[str]] = {
    "usa": ["USA"],
    "can": ["CAN"],
    "bra": ["BRA"],
    "latam": "MEX GTM BLZ HND SLV NIC CRI PAN CUB JAM HTI DOM COL VEN GUY SUR ECU PER BOL CHL ARG URY PRY".split(),
    "gbr": ["GBR"],
    "irl": ["IRL"],
    "fra": ["FRA"],
    "deu": ["DEU"],
    "nordics": ["NOR", "SWE", "FIN", "DNK", "ISL"],
    "rest_eu": "ESP PRT ITA NLD BEL LUX AUT POL CZE SVK HUN SVN HRV ROU BGR GRC CYP MLT EST LVA LTU".split(),
    "rus": ["RUS"],
    "sau": ["SAU"],
    "are": ["ARE"],
    "mideast": ["IRN", "IRQ", "SYR", "JOR", "LBN", "ISR", "KWT", "QAT", "BHR", "OMN", "YEM"],
    "ind": ["IND"],
    "chn": ["CHN", "HKG"],
    "twn": ["TWN"],
    "kor": ["KOR"],
    "jpn": ["JPN"],
    "sea": ["SGP", "MYS", "IDN", "THA", "VNM", "PHL", "KHM", "LAO", "MMR", "BRN"],
    "aus": ["AUS"],
    "africa": ["NGA", "ZAF", "EGY", "KEN", "ETH", "MAR", "DZA", "GHA", "TZA", "AGO", "COD"],
    "row": ["*"],
}

CITIES = {
    "paris": ((2.35, 48.86), "fra"),
    "new_delhi": ((77.21, 28.61), "ind"),
    "sao_paulo": ((-46.63, -23.55), "bra"),
    "beijing": ((116.40, 39.90), "chn"),
    "chicago": ((-87.63, 41.88), "usa"),
    "sydney_inland": ((150.0, -33.0), "aus"),
    "almaty": ((76.95, 43.24), "row"),
}


@pytest.fixture(scope="module")
def world() -> geo.World:
    return geo.load_world()


@pytest.fixture(scope="module")
def shapes(world: geo.World) -> geo.RegionShapes:
    return geo.RegionShapes(world, GAME_REGIONS)


def _views() -> list[geo.MapView]:
    """Several zooms, pans and rect offsets, including a window not at the origin."""
    return [
        geo.MapView((0, 0, 1600, 900)),
        geo.MapView((120, 40, 1000, 700), zoom=2.5, center=(0.2, 0.1)),
        geo.MapView((0, 0, 800, 600), zoom=6.0, center=(-0.3, 0.0)),
        geo.MapView((30, 60, 1280, 720), zoom=12.0),
    ]


# ---- the asset ------------------------------------------------------------------------------


def test_asset_loads_with_enough_countries(world: geo.World) -> None:
    assert len(world) >= 170
    assert {"FRA", "NOR", "IND", "CHN", "BRA", "USA", "RUS", "FJI", "XKX"} <= set(world.countries)
    assert world.countries["FRA"].name == "France"
    assert world.countries["IND"].continent == "Asia"


def test_asset_has_no_placeholder_iso_codes(world: geo.World) -> None:
    raw = json.loads(WORLD_PATH.read_text(encoding="utf-8"))
    codes = [f["properties"]["iso3"] for f in raw["features"]]
    assert "-99" not in codes
    assert len(codes) == len(set(codes))
    assert all(isinstance(c, str) and len(c) == 3 for c in codes)


def test_asset_is_compact() -> None:
    assert WORLD_PATH.stat().st_size < 300_000


def test_no_ring_spans_more_than_half_the_globe(world: geo.World) -> None:
    """A ring wider than 180 degrees would be drawn as a streak across the map."""
    for country in world.countries.values():
        for polygon in country.polygons:
            for ring in polygon:
                span = ring[:, 0].max() - ring[:, 0].min()
                assert span <= 180.0, (country.iso3, span)
                jumps = np.abs(np.diff(ring[:, 0]))
                assert jumps.max(initial=0.0) <= 180.0, country.iso3


def test_antimeridian_countries_stay_on_their_side(world: geo.World) -> None:
    """Russia and Fiji straddle 180 degrees: each piece must lie wholly on one side."""
    for iso3 in ("RUS", "FJI"):
        sides = set()
        for polygon in world.countries[iso3].polygons:
            lon = polygon[0][:, 0]
            assert lon.min() >= 0 or lon.max() <= 0 or lon.max() - lon.min() < 90
            sides.add(bool(lon.mean() > 0))
        assert sides == {True, False}, iso3


def test_asset_path_finds_the_committed_asset() -> None:
    assert WORLD_PATH.is_file()
    assert WORLD_PATH.name == "world.geojson"
    assert WORLD_PATH.parent.name == "assets"


def test_missing_asset_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"make_map\.py"):
        geo.load_world(tmp_path / "nope.geojson")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"type": "Feature"}', "FeatureCollection"),
        ('{"type": "FeatureCollection", "features": []}', "no features"),
        (
            '{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
            '{"iso3":"-99"},"geometry":{"type":"Polygon","coordinates":[]}}]}',
            "iso3",
        ),
        (
            '{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
            '{"iso3":"AAA"},"geometry":{"type":"Point","coordinates":[0,0]}}]}',
            "Polygon or MultiPolygon",
        ),
        (
            '{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
            '{"iso3":"AAA"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0]]]}}]}',
            ">= 3",
        ),
        (
            '{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
            '{"iso3":"AAA"},"geometry":{"type":"Polygon","coordinates":'
            "[[[0,0],[1,0],[1,200],[0,0]]]}}]}",
            "outside",
        ),
    ],
)
def test_malformed_asset_is_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    bad = tmp_path / "bad.geojson"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(geo.MapAssetError, match=message) as info:
        geo.load_world(bad)
    assert str(bad) in str(info.value)


def test_geometry_module_does_not_import_pygame() -> None:
    """Map logic must work headless and without a display library (lazy import)."""
    code = "import sys, sovereign.ui.geo; assert 'pygame' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# ---- projection -----------------------------------------------------------------------------

lons = st.floats(min_value=-180.0, max_value=180.0, allow_nan=False)
lats = st.floats(min_value=-89.9, max_value=89.9, allow_nan=False)


def test_projection_extent() -> None:
    xy = geo.project([[180.0, 0.0], [-180.0, 0.0], [0.0, 90.0], [0.0, -90.0], [0.0, 0.0]])
    np.testing.assert_allclose(xy[0], [1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(xy[1], [-1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(xy[2], [0.0, geo.MAP_HALF_HEIGHT], atol=1e-12)
    np.testing.assert_allclose(xy[3], [0.0, -geo.MAP_HALF_HEIGHT], atol=1e-12)
    np.testing.assert_allclose(xy[4], [0.0, 0.0], atol=1e-12)
    # Equal Earth's published aspect: width / height of the outline ~ 2.05.
    assert 2.0 / (2.0 * geo.MAP_HALF_HEIGHT) == pytest.approx(2.0546, abs=1e-3)


def test_projection_is_equal_area() -> None:
    """A 1x1 degree cell's projected area is proportional to its true area at every latitude."""
    ratios = []
    for lat in (-80.0, -45.0, -10.0, 0.0, 30.0, 60.0, 85.0):
        cell = np.array([[10, lat], [11, lat], [11, lat + 1], [10, lat + 1]], dtype=float)
        xy = geo.project(cell)
        x, y = xy[:, 0], xy[:, 1]
        projected = 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))
        true = math.sin(math.radians(lat + 1)) - math.sin(math.radians(lat))
        ratios.append(projected / true)
    np.testing.assert_allclose(ratios, ratios[0], rtol=2e-3)


@given(lon=lons, lat=lats)
def test_projection_round_trips(lon: float, lat: float) -> None:
    back = geo.unproject(geo.project([lon, lat]))
    np.testing.assert_allclose(back, [lon, lat], atol=1e-8)


@settings(deadline=None)
@given(
    lon=lons,
    lat=lats,
    zoom=st.floats(min_value=1.0, max_value=40.0),
    cx=st.floats(min_value=-1.0, max_value=1.0),
    cy=st.floats(min_value=-0.5, max_value=0.5),
)
def test_screen_round_trips_within_a_pixel(lon: float, lat: float, zoom: float, cx: float, cy: float) -> None:
    view = geo.MapView((37, 11, 1600, 900), zoom=zoom, center=(cx, cy))
    px, py = view.lonlat_to_screen(lon, lat)
    lon_lat = view.screen_to_lonlat(px, py)
    again = view.lonlat_to_screen(lon_lat[0], lon_lat[1])
    assert abs(again[0] - px) < 1.0 and abs(again[1] - py) < 1.0
    mx, my = view.to_map(px, py)
    np.testing.assert_allclose([mx, my], geo.project([lon, lat]), atol=1e-9)


# ---- viewport -------------------------------------------------------------------------------


def test_world_fits_the_view_at_zoom_one() -> None:
    view = geo.MapView((0, 0, 1600, 900))
    corners = view.to_screen([[-1.0, -geo.MAP_HALF_HEIGHT], [1.0, geo.MAP_HALF_HEIGHT]])
    assert (corners[:, 0] >= 0).all() and (corners[:, 0] <= 1600).all()
    assert (corners[:, 1] >= 0).all() and (corners[:, 1] <= 900).all()
    assert corners[1, 0] - corners[0, 0] > 0.9 * 1600  # and fills most of the width


def test_zoom_at_keeps_the_point_under_the_cursor() -> None:
    view = geo.MapView((0, 0, 1600, 900), zoom=2.0)
    before = view.to_map(900, 400)
    view.zoom_at(900, 400, 1.5)
    assert view.zoom == pytest.approx(3.0)
    np.testing.assert_allclose(view.to_map(900, 400), before, atol=1e-12)


def test_zoom_is_clamped_and_zooming_out_recentres() -> None:
    view = geo.MapView((0, 0, 1600, 900), zoom=4.0, center=(0.5, 0.2))
    view.zoom_at(800, 450, 1000.0)
    assert view.zoom == view.max_zoom
    view.zoom_at(800, 450, 1e-6)
    assert view.zoom == view.min_zoom
    assert view.center == (0.0, 0.0)  # the whole world fits, so it is centred


def test_pan_moves_content_and_stops_at_the_edge() -> None:
    view = geo.MapView((0, 0, 1600, 900), zoom=4.0)
    before = view.to_screen([0.1, 0.1])
    view.pan_by(25, -10)
    np.testing.assert_allclose(view.to_screen([0.1, 0.1]), before + np.array([25.0, -10.0]), atol=1e-9)
    view.pan_by(1e6, 0)  # drag far right: the left edge of the world stops at the view's edge
    left_edge_px = view.to_screen([-1.0, 0.0])[0]
    assert left_edge_px == pytest.approx(0.0, abs=1e-6)


def test_view_rejects_empty_rect() -> None:
    with pytest.raises(ValueError, match="positive size"):
        geo.MapView((0, 0, 0, 900))


# ---- regions --------------------------------------------------------------------------------


@pytest.mark.parametrize("city", sorted(CITIES))
def test_cities_hit_their_region_at_any_view(shapes: geo.RegionShapes, city: str) -> None:
    (lon, lat), region = CITIES[city]
    for view in _views():
        view.center_on(*(geo.project([lon, lat]) + np.array([0.01, -0.005])))  # city near, not at, centre
        px, py = view.lonlat_to_screen(lon, lat)
        assert shapes.region_at(px, py, view) == region, (city, view)


def test_sea_and_off_map_hit_nothing(shapes: geo.RegionShapes) -> None:
    view = geo.MapView((0, 0, 1600, 900))
    px, py = view.lonlat_to_screen(-30.0, 20.0)  # mid-Atlantic
    assert shapes.region_at(px, py, view) is None
    assert shapes.region_at(2, 2, view) is None  # the corner, outside the world's outline


def test_enclave_is_not_its_surroundings(shapes: geo.RegionShapes) -> None:
    """Maseru is in Lesotho, a hole in South Africa's polygon."""
    xy = geo.project([27.7, -29.5])
    assert shapes.country_at_map(*xy) == "LSO"
    assert shapes.country_at_map(*geo.project([28.0, -26.2])) == "ZAF"  # Johannesburg


def test_singapore_resolves_to_its_marker(world: geo.World) -> None:
    regions = {"sgp": ["SGP"], "mys": ["MYS", "IDN"], "bhr": ["BHR"], "row": ["*"]}
    shapes = geo.RegionShapes(world, regions)
    assert "SGP" not in world  # no polygon at 1:110m: that is why it is a marker
    assert shapes.countries("sgp") == ("SGP",)
    for view in [geo.MapView((0, 0, 1600, 900)), geo.MapView((0, 0, 800, 600), zoom=20.0)]:
        view.center_on(*geo.project([103.8, 1.35]))
        px, py = view.lonlat_to_screen(103.8, 1.35)
        assert shapes.region_at(px, py, view) == "sgp"
        assert shapes.region_at(px + 3, py - 2, view) == "sgp"  # within the marker radius
    anchor = shapes.anchor("sgp")
    assert anchor is not None
    np.testing.assert_allclose(anchor, geo.project([103.8, 1.35]))
    view = geo.MapView((0, 0, 1600, 900), zoom=20.0)
    view.center_on(*geo.project([101.7, 3.1]))  # Kuala Lumpur, far from the marker at this zoom
    assert shapes.region_at(*view.lonlat_to_screen(101.7, 3.1), view) == "mys"


def test_catch_all_claims_every_unclaimed_country(world: geo.World) -> None:
    shapes = geo.RegionShapes(world, {"ind": ["IND"], "rest": ["*"]})
    assert shapes.region_of["IND"] == "ind"
    assert shapes.region_of["KAZ"] == "rest"
    assert shapes.region_of["FRA"] == "rest"
    assert "ATA" not in shapes.region_of and "ATA" in shapes.unassigned
    assert len(shapes.countries("rest")) == len(world) - 2  # all but India and Antarctica
    view = geo.MapView((0, 0, 1600, 900))
    assert shapes.region_at(*view.lonlat_to_screen(2.35, 48.86), view) == "rest"


def test_without_catch_all_unclaimed_land_hits_nothing(world: geo.World) -> None:
    shapes = geo.RegionShapes(world, {"ind": ["IND"]})
    view = geo.MapView((0, 0, 1600, 900))
    assert shapes.region_at(*view.lonlat_to_screen(2.35, 48.86), view) is None
    assert "FRA" in shapes.unassigned


@pytest.mark.parametrize(
    ("regions", "message"),
    [
        ({"a": ["FRA"], "b": ["fra"]}, "claimed by both"),
        ({"a": ["*"], "b": ["*"]}, "only one catch-all"),
        ({"a": ["XXQ"]}, "XXQ"),
    ],
)
def test_bad_region_lists_fail_loudly(world: geo.World, regions: dict[str, list[str]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        geo.RegionShapes(world, regions)


def test_unknown_codes_can_be_tolerated(world: geo.World) -> None:
    shapes = geo.RegionShapes(world, {"a": ["FRA", "XXQ"], "ghost": ["XXZ"]}, strict=False)
    assert shapes.unknown_iso3 == ("XXQ", "XXZ")
    assert shapes.anchor("ghost") is None and shapes.bbox("ghost") is None


def test_every_region_anchor_lies_inside_the_region(shapes: geo.RegionShapes) -> None:
    for rid in shapes.region_ids:
        anchor = shapes.anchor(rid)
        assert anchor is not None, rid
        assert shapes.region_at_map(*anchor) == rid, rid
        xmin, ymin, xmax, ymax = shapes.bbox(rid)  # type: ignore[misc]
        assert xmin <= anchor[0] <= xmax and ymin <= anchor[1] <= ymax


def test_region_bbox_covers_its_countries(shapes: geo.RegionShapes, world: geo.World) -> None:
    xmin, ymin, xmax, ymax = shapes.bbox("nordics")  # type: ignore[misc]
    for iso3 in ("NOR", "SWE", "FIN", "DNK", "ISL"):
        for poly in world.projected[iso3]:
            assert poly[0][:, 0].min() >= xmin and poly[0][:, 0].max() <= xmax
            assert poly[0][:, 1].min() >= ymin and poly[0][:, 1].max() <= ymax


def test_unknown_region_id_is_a_key_error(shapes: geo.RegionShapes) -> None:
    with pytest.raises(KeyError, match="atlantis"):
        shapes.anchor("atlantis")


# ---- simplification and screen cache --------------------------------------------------------


def test_simplification_ranks_are_monotone_and_within_tolerance() -> None:
    rng = np.random.default_rng(7)
    angles = np.sort(rng.uniform(0, 2 * np.pi, 300))
    radius = 1.0 + 0.2 * rng.standard_normal(300)
    ring = np.column_stack((radius * np.cos(angles), radius * np.sin(angles)))
    sig = geo.douglas_peucker_significance(ring)
    assert np.isinf(sig).sum() == 2
    assert (sig > 0.0).all()
    for tol in (0.01, 0.05, 0.2):
        kept = np.flatnonzero(sig > tol)
        assert set(kept) <= set(np.flatnonzero(sig > tol / 2))  # coarser keeps a subset
        closed = np.append(kept, len(ring))
        for a, b in itertools.pairwise(closed):  # dropped points near the chord
            p, q = ring[a], ring[b % len(ring)]
            d = q - p
            for r in ring[a + 1 : b]:
                dist = abs(d[0] * (r[1] - p[1]) - d[1] * (r[0] - p[0])) / np.hypot(*d)
                assert dist <= tol + 1e-12


def test_screen_geometry_is_cached_per_view_state(shapes: geo.RegionShapes) -> None:
    view = geo.MapView((0, 0, 1600, 900), zoom=3.0)
    first = shapes.screen_geometry(view)
    assert shapes.screen_geometry(view) is first
    view.pan_by(10, 0)
    moved = shapes.screen_geometry(view)
    assert moved is not first
    view.pan_by(-10, 0)
    assert shapes.screen_geometry(view) is first  # recent states stay cached


def test_offscreen_polygons_are_culled(shapes: geo.RegionShapes) -> None:
    whole = shapes.screen_geometry(geo.MapView((0, 0, 1600, 900)))
    europe = geo.MapView((0, 0, 1600, 900), zoom=8.0)
    europe.center_on(*geo.project([10.0, 50.0]))
    zoomed = shapes.screen_geometry(europe)
    assert 0 < len(zoomed.fills) < len(whole.fills) / 2
    regions = {shapes.region_ids[r] for r, _ in zoomed.fills if r < len(shapes.region_ids)}
    assert {"fra", "deu"} <= regions and "aus" not in regions


# ---- drawing --------------------------------------------------------------------------------


def _colors(shapes: geo.RegionShapes) -> dict[str, tuple[int, int, int]]:
    return {rid: (20 + 9 * i, 200 - 7 * i, 60 + 5 * i) for i, rid in enumerate(shapes.region_ids)}


@pytest.mark.parametrize("view", _views()[:2], ids=["world", "zoomed"])
def test_drawing_fills_regions_with_their_colour(shapes: geo.RegionShapes, view: geo.MapView) -> None:
    surface = pygame.Surface((1600, 900))
    surface.fill((0, 0, 0))
    colors = _colors(shapes)
    drawn = geo.draw_regions(surface, shapes, view, colors, border_color=(255, 255, 255))
    assert drawn > 0
    checked = 0
    for rid in ("usa", "bra", "ind", "chn", "aus", "rus", "can"):
        px, py = shapes.anchor_screen(rid, view)  # type: ignore[misc]
        x, y, w, h = view.rect
        if x <= px < x + w and y <= py < y + h:
            assert tuple(surface.get_at((px, py)))[:3] == colors[rid], rid
            checked += 1
    assert checked >= 2
    # Nothing is drawn outside the view's rect.
    if view.rect[0] > 0:
        assert tuple(surface.get_at((view.rect[0] - 1, view.rect[1] + 5)))[:3] == (0, 0, 0)


def test_drawing_marks_microstates(world: geo.World) -> None:
    shapes = geo.RegionShapes(world, {"sgp": ["SGP"], "row": ["*"]})
    view = geo.MapView((0, 0, 1600, 900))
    surface = pygame.Surface((1600, 900))
    geo.draw_regions(surface, shapes, view, {"sgp": (250, 10, 10), "row": (10, 10, 250)})
    px, py = np.rint(view.lonlat_to_screen(103.8, 1.35)).astype(int)
    assert tuple(surface.get_at((int(px), int(py))))[:3] == (250, 10, 10)


def test_unassigned_land_uses_its_muted_colour_or_is_skipped(world: geo.World) -> None:
    shapes = geo.RegionShapes(world, {"ind": ["IND"]})
    view = geo.MapView((0, 0, 1600, 900))
    point = tuple(int(v) for v in np.rint(view.lonlat_to_screen(2.35, 48.86)))  # Paris
    surface = pygame.Surface((1600, 900))
    geo.draw_regions(surface, shapes, view, {}, unassigned_color=(70, 70, 70))
    assert tuple(surface.get_at(point))[:3] == (70, 70, 70)
    surface.fill((0, 0, 0))
    geo.draw_regions(surface, shapes, view, {}, unassigned_color=None)
    assert tuple(surface.get_at(point))[:3] == (0, 0, 0)


def test_region_codes_must_be_a_list(world: geo.World) -> None:
    with pytest.raises(TypeError, match="list of ISO-3 codes"):
        geo.RegionShapes(world, {"fra": "FRA"})  # type: ignore[dict-item]


def test_world_view_is_simplified_but_hit_tests_are_not(shapes: geo.RegionShapes, world: geo.World) -> None:
    total = sum(len(ring) for polys in world.countries.values() for poly in polys.polygons for ring in poly)
    drawn = sum(len(points) for _, points in shapes.screen_geometry(geo.MapView((0, 0, 1600, 900))).fills)
    assert drawn < 0.85 * total
    closeup = geo.MapView((0, 0, 1600, 900), zoom=40.0)
    closeup.center_on(*geo.project([2.35, 48.86]))
    assert shapes.region_at(800, 450, closeup) == "fra"
