"""Autosave: one new file per quarter, rotation per game, failures reported while the game goes on."""

from __future__ import annotations

import errno

import pytest

from sovereign.persist import Autosaver, SaveError, list_saves, load_game, save_game
from sovereign.persist import files as files_mod
from sovereign.persist.history import known_hashes

from .helpers import dump, new_game


@pytest.fixture
def game(saved_bytes, tmp_path):
    """The scripted game at 2026Q4 (loaded, so its quarter hashes are known)."""
    path = tmp_path / "start.json.gz"
    path.write_bytes(saved_bytes)
    return load_game(path)


def test_autosave_every_quarter_and_keep_the_last_n(game, tmp_path):
    folder = tmp_path / "saves"
    autosave = Autosaver(folder, keep=2)
    game.run(3, progress=autosave)
    names = sorted(p.name for p in folder.iterdir())
    assert len(names) == 2 and names[0].startswith("autosave-tiny-")
    assert names[0].endswith("-2027Q2.json.gz") and names[1].endswith("-2027Q3.json.gz")
    assert autosave.last is not None and autosave.last.ok and len(autosave.last.removed) == 1
    latest = load_game(folder / names[1])
    assert dump(latest) == dump(game)
    assert sorted(known_hashes(latest)) == list(range(game.start_q, game.quarter))


def test_rotation_leaves_other_games_and_files_alone(game, tiny, tmp_path):
    folder = tmp_path / "saves"
    folder.mkdir()
    mine = save_game(game, folder / "my-own-save.json.gz")
    other = Autosaver(folder, keep=1)
    other(new_game(tiny, seed=99))  # another game's autosave (before its first quarter)
    autosave = Autosaver(folder, keep=1)
    game.run(2, progress=autosave)
    names = {p.name for p in folder.iterdir()}
    assert mine.name in names
    assert sum(n.startswith(autosave.prefix(game)) for n in names) == 1
    assert sum(n.startswith("autosave-") for n in names) == 2


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EACCES])
def test_failed_autosave_is_reported_and_the_game_goes_on(game, tmp_path, monkeypatch, code):
    folder = tmp_path / "saves"
    autosave = Autosaver(folder, keep=3)
    game.run(1, progress=autosave)
    good = sorted(folder.iterdir())
    assert len(good) == 1
    reported: list[SaveError] = []
    autosave.on_error = reported.append

    def full(*args, **kwargs):
        raise OSError(code, "simulated")

    monkeypatch.setattr(files_mod, "_write_all", full)
    game.run(2, progress=autosave)  # no exception: play goes on
    assert game.quarter_label == "2027Q3"
    assert autosave.failures == 2 and len(reported) == 2 and not autosave.last.ok
    assert "disk is full" in str(reported[0]) or "permission denied" in str(reported[0])
    assert sorted(folder.iterdir()) == good, "a failed autosave neither replaces nor rotates good ones"
    monkeypatch.undo()
    assert not isinstance(list_saves(folder)[0], SaveError)
    load_game(good[0])


def test_failed_autosave_without_handler_logs_a_warning(game, tmp_path, monkeypatch, caplog):
    (tmp_path / "file").write_text("not a folder")
    autosave = Autosaver(tmp_path / "file" / "saves")
    result = autosave(game)
    assert not result.ok and "autosave failed" in caplog.text


def test_keep_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match="keep"):
        Autosaver(tmp_path, keep=0)


def test_rotation_keeps_the_saves_furthest_into_the_game(game, saved_bytes, tmp_path):
    """A restarted session of the same game, stopped early, never deletes the original's later saves."""
    folder = tmp_path / "saves"
    original = Autosaver(folder, keep=2)
    game.run(3, progress=original)  # the original session reaches 2027Q3
    later = sorted(p.name for p in folder.iterdir())
    assert [n[-14:] for n in later] == ["2027Q2.json.gz", "2027Q3.json.gz"]
    start = tmp_path / "restart.json.gz"
    start.write_bytes(saved_bytes)
    restarted = load_game(start)  # the same game again, from 2026Q4, written *after* the originals
    session = Autosaver(folder, keep=2)
    restarted.run(1, progress=session)
    names = sorted(p.name for p in folder.iterdir())
    assert set(later) <= set(names), "the original's later autosaves survive"
    assert session.last is not None and session.last.path is not None and session.last.path.name in names
    restarted.run(1, progress=session)  # now at 2027Q2: the same quarter saved twice keeps the newer file
    names = sorted(p.name for p in folder.iterdir())
    assert later[1] in names and session.last.path.name in names and len(names) == 2
    assert sorted(p.name[-14:] for p in session.last.removed) == ["2027Q1.json.gz", "2027Q2.json.gz"]
