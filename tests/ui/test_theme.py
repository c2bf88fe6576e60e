"""Palettes, the widget theme and its UI scaling."""

from __future__ import annotations

import numpy as np
import pytest

from sovereign.ui.theme import Scale, gui_theme, hex_to_rgba, load_palette, nice_ticks, readable_on


def test_palettes_load_and_differ():
    std, cb = load_palette("standard"), load_palette("colourblind")
    assert std.name == "standard" and cb.name == "colourblind"
    assert std.tiers != cb.tiers
    assert not np.array_equal(std.ramps["index"], cb.ramps["index"])
    assert load_palette("nonsense").name == "standard"
    for p in (std, cb):
        for key in ("background", "ocean", "text", "accent", "positive", "negative", "datacenter", "fab"):
            assert len(p.rgb(key)) == 3
        assert len(set(p.tiers.values())) == 3


def test_colourblind_palette_has_no_red_green_pair_for_good_and_bad():
    cb = load_palette("colourblind")
    good, bad = cb.rgb("positive"), cb.rgb("negative")
    # Okabe-Ito sky blue vs orange: they differ in blue, which red/green blindness keeps
    assert abs(good[2] - bad[2]) > 150


def test_ramps_interpolate_and_clip():
    p = load_palette()
    stops = p.ramps["sequential"]
    assert p.ramp("sequential", 0.0) == tuple(int(v) for v in stops[0])
    assert p.ramp("sequential", 1.0) == tuple(int(v) for v in stops[-1])
    assert p.ramp("sequential", 2.0) == p.ramp("sequential", 1.0)
    many = p.ramp_many("index", np.array([np.nan, 0.5, -1]))
    assert many.shape == (3, 3)


@pytest.mark.parametrize("scale", [0.75, 1.0, 1.25, 1.5, 2.0])
def test_gui_theme_scales_fonts_and_lengths(scale):
    base, scaled = gui_theme(1.0), gui_theme(scale)
    assert int(scaled["defaults"]["font"]["size"]) == round(int(base["defaults"]["font"]["size"]) * scale)
    assert int(scaled["@title"]["font"]["size"]) == round(44 * scale)
    assert int(scaled["window"]["misc"]["title_bar_height"]) == round(32 * scale)


def test_colourblind_theme_overrides_widget_colours():
    assert (
        gui_theme(1.0, "colourblind")["@primary"]["colours"]["normal_bg"]
        != gui_theme(1.0)["@primary"]["colours"]["normal_bg"]
    )


def test_helpers():
    assert hex_to_rgba("#01020304") == (1, 2, 3, 4)
    assert hex_to_rgba("#010203") == (1, 2, 3, 255)
    with pytest.raises(ValueError):
        hex_to_rgba("#123")
    assert readable_on((255, 255, 255)) != readable_on((0, 0, 0))
    assert nice_ticks(0, 1, 5) == [0.0, 0.25, 0.5, 0.75, 1.0]
    s = Scale(1.25)
    assert s(10) == 12 or s(10) == 13
    assert Scale(0.5)(1) == 1
