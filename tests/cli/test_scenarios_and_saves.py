"""Scenarios by name on the command line, `sovereign scenarios`, and where saves go by default."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sovereign import data
from sovereign.cli import main
from sovereign.data import SCENARIO_PATH_ENV
from sovereign.scenario.catalog import bundled_names

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "sim" / "fixtures" / "tiny.yaml"


@pytest.fixture
def user_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user scenario folder holding the tiny world as `tiny_world`."""
    folder = tmp_path / "mine"
    folder.mkdir()
    shutil.copy(TINY, folder / "tiny_world.yaml")
    monkeypatch.setenv(SCENARIO_PATH_ENV, str(folder))
    return folder


def test_scenarios_lists_bundled_and_user_scenarios_with_titles(user_folder: Path, tmp_path: Path, capsys) -> None:
    extra = tmp_path / "extra.yaml"
    shutil.copy(TINY, extra)
    assert main(["scenarios", "--scenario", str(extra)]) == 0
    out = capsys.readouterr().out
    for text in ("baseline", "taiwan_strait", "Taiwan Strait: when the chips stop", "tiny_world", "Tiny world"):
        assert text in out
    assert "extra" in out and "file" in out
    assert f"your scenario folders: {user_folder}" in out


def test_scenarios_reports_a_broken_user_scenario(user_folder: Path, capsys) -> None:
    (user_folder / "broken.yaml").write_text("meta: [\n")
    assert main(["scenarios"]) == 1
    assert "does not load" in capsys.readouterr().out


def test_validate_and_run_take_names(user_folder: Path, tmp_path: Path, capsys) -> None:
    assert main(["validate", "baseline", "tiny_world"]) == 0
    out = capsys.readouterr().out
    assert "baseline.yaml: OK (Sovereign baseline" in out and "tiny_world.yaml: OK (Tiny world" in out
    assert main(["run", "tiny_world", "--quarters", "1", "--out", str(tmp_path / "r"), "--quiet"]) == 0
    assert (tmp_path / "r" / "world.parquet").is_file()


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "baseilne"],
        ["montecarlo", "baseilne", "--runs", "1"],
        ["screenshot", "x.png", "--scenario", "baseilne"],
        ["play", "--scenario", "baseilne", "--seat", "IND"],
    ],
)
def test_an_unknown_name_is_a_usage_error_that_lists_the_bundled_ones(argv, capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "sovereign: error: baseilne: no such file, and no scenario of that name" in err
    assert f"Bundled scenarios: {', '.join(bundled_names())};" in err and "taiwan_strait" in err


def test_validate_an_unknown_name_exits_1(capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "baseline", "baseilne"]) == 1
    captured = capsys.readouterr()
    assert "baseline.yaml: OK" in captured.out and "baseilne: no such file" in captured.err


# --------------------------------------------------------------------------- where saves go


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="runs from a clone of the repository")
def test_a_clone_keeps_its_saves_in_saves() -> None:
    assert data.repository_root() == ROOT
    assert data.default_saves_folder() == ROOT / "saves"


def test_installed_saves_go_to_the_user_data_folder_and_the_path_is_printed(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(data, "repository_root", lambda: None)  # as from a wheel in site-packages
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    saves = tmp_path / "xdg" / "sovereign" / "saves"
    assert data.default_saves_folder() == saves

    assert main(["saves"]) == 0
    assert f"no saves yet: saves go to {saves}" in capsys.readouterr().out

    assert main(["run", str(TINY), "--quarters", "1", "--quiet", "--autosave"]) == 0
    assert f"autosaves go to {saves}" in capsys.readouterr().out
    assert len(list(saves.glob("autosave-*.json.gz"))) == 1
    assert not (tmp_path / "saves").exists(), "never the current directory"

    assert main(["saves"]) == 0  # lists that folder by default
    out = capsys.readouterr().out
    assert "no saves yet" not in out and "tiny" in out


def test_play_takes_a_bundled_scenario_by_name(tmp_path, monkeypatch, capsys) -> None:
    """`sovereign play --scenario taiwan_strait` (rendered headless: the new-game screen with it picked)."""
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    shot = tmp_path / "new-game.png"
    argv = ["play", "--scenario", "taiwan_strait", "--seat", "TWN", "--screenshot", str(shot), "--screen", "new_game"]
    assert main(argv) == 0
    assert shot.read_bytes()[:4] == b"\x89PNG"
