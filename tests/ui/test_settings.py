"""Settings persist between sessions; a broken file is reported and replaced, never fatal."""

from __future__ import annotations

import json

import pytest

from sovereign.ui.settings import Settings, config_dir, load_settings, save_settings, settings_from_json, settings_path


def test_missing_file_gives_defaults_without_problems(tmp_path):
    settings, problems = load_settings(tmp_path / "nope.json")
    assert settings == Settings()
    assert problems == []


def test_round_trip_keeps_every_field_and_unknown_keys(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"future_option": 3}))
    s, _ = load_settings(path)
    s.window_size = (1920, 1080)
    s.fullscreen = True
    s.ui_scale = 1.25
    s.palette = "colourblind"
    s.autosave = False
    assert save_settings(s, path) is None
    back, problems = load_settings(path)
    assert problems == []
    assert (back.window_size, back.fullscreen, back.ui_scale, back.palette, back.autosave) == (
        (1920, 1080),
        True,
        1.25,
        "colourblind",
        False,
    )
    assert json.loads(path.read_text())["future_option"] == 3


def test_corrupt_json_is_reported_kept_aside_and_replaced(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text("{ this is not json")
    settings, problems = load_settings(path)
    assert settings == Settings()
    assert len(problems) == 1 and "not valid JSON" in problems[0]
    assert (tmp_path / "settings.json.corrupt").read_text() == "{ this is not json"
    save_settings(settings, path)
    assert load_settings(path) == (Settings(), [])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("window_size", [10, 10]),
        ("window_size", "big"),
        ("ui_scale", 99),
        ("ui_scale", float("nan")),
        ("ui_scale", True),
        ("palette", "neon"),
        ("fullscreen", "yes"),
    ],
)
def test_one_bad_field_costs_only_that_field(field, value):
    data = {"ui_scale": 1.5, "palette": "colourblind", field: value}
    s, problems = settings_from_json(data)
    assert len(problems) == 1 and problems[0].startswith(field)
    assert getattr(s, field) == getattr(Settings(), field)
    if field != "ui_scale":
        assert s.ui_scale == 1.5
    if field != "palette":
        assert s.palette == "colourblind"


def test_not_an_object_is_reported(tmp_path):
    path = tmp_path / "s.json"
    path.write_text("[1, 2]")
    s, problems = load_settings(path)
    assert s == Settings() and problems


def test_xdg_config_home_is_honoured(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert config_dir() == tmp_path / "sovereign"
    assert settings_path() == tmp_path / "sovereign" / "settings.json"
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/ignored")
    assert config_dir().is_absolute()


def test_unwritable_location_returns_a_message(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    err = save_settings(Settings(), blocker / "sub" / "settings.json")
    assert err is not None and "could not save settings" in err


def test_app_starts_with_a_corrupt_settings_file_and_repairs_it(tmp_path):
    from sovereign.ui.app import App

    path = tmp_path / "settings.json"
    path.write_text('{"ui_scale": "huge", "palette": "colourblind"}')
    app = App(settings_file=path, size=(1280, 720))
    assert app.settings.palette == "colourblind" and app.settings.ui_scale == 1.0
    assert any("ui_scale" in t.text for t in app.toasts)
    assert load_settings(path)[1] == []  # repaired on disk
    app.open("menu")
    app.frame(dt=1 / 60)


def test_a_fifo_in_place_of_the_settings_never_blocks(tmp_path):
    import os
    import threading

    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    path = tmp_path / "settings.json"
    os.mkfifo(path)
    result = []
    thread = threading.Thread(target=lambda: result.append(load_settings(path)), daemon=True)
    thread.start()
    thread.join(10)
    assert result, "load_settings blocked on a FIFO"
    settings, problems = result[0]
    assert settings == Settings() and "FIFO" in problems[0]
