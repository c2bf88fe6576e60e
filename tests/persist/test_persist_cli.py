"""`sovereign run --save/--autosave`, `resume`, `replay`, `saves`: clean messages, never tracebacks."""

from __future__ import annotations

import gzip
import hashlib
import json

import pytest

from sovereign.cli import main
from sovereign.persist import SaveError, load_game, save_info
from sovereign.persist.files import FORMAT_VERSION

from .helpers import TINY

#: The header line of a save of the current format, before its checksum.
HEADER = f"sovereign-save {FORMAT_VERSION} sha256:".encode()


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """`sovereign run` of 3 quarters with a final save and autosaves (keep 2)."""
    folder = tmp_path_factory.mktemp("cli")
    rc = main(
        [
            "run", str(TINY), "--seed", "4", "--quarters", "3", "--quiet",
            "--save", str(folder / "end.json.gz"), "--autosave", "--saves-dir", str(folder / "auto"), "--keep", "2",
        ]
    )  # fmt: skip
    assert rc == 0
    return folder


def test_run_saves_and_autosaves(run_dir):
    info = save_info(run_dir / "end.json.gz")
    assert (info.scenario_id, info.quarter, info.quarters_played) == ("tiny", "2026Q4", 3)
    assert len(list((run_dir / "auto").iterdir())) == 2


def test_resume_plays_on_and_saves(run_dir, tmp_path, capsys):
    out = tmp_path / "later.json.gz"
    assert main(["resume", str(run_dir / "end.json.gz"), "--quarters", "2", "--quiet", "--save", str(out)]) == 0
    text = capsys.readouterr().out
    assert "next quarter 2026Q4, 3 played" in text and "nations at 2027Q1" in text
    assert load_game(out).quarter_label == "2027Q2"


def test_replay_check_and_review(run_dir, capsys):
    assert main(["replay", str(run_dir / "end.json.gz"), "--check"]) == 0
    assert "replay OK: 3 quarter(s) re-played, 3 quarter hash(es) checked" in capsys.readouterr().out
    assert main(["replay", str(run_dir / "end.json.gz")]) == 0
    text = capsys.readouterr().out
    assert "2026Q1" in text and "2026Q3" in text and "replay OK" in text


def test_replay_divergence_exits_1(run_dir, tmp_path, capsys):
    raw = (run_dir / "end.json.gz").read_bytes()
    doc = json.loads(gzip.decompress(raw[raw.index(b"\n") + 1 :]))
    doc["game"]["economy"]["$obj"]["fields"]["next_event_id"] += 5
    body = gzip.compress(json.dumps(doc).encode(), mtime=0)
    path = tmp_path / "edited.json.gz"
    path.write_bytes(HEADER + hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
    assert main(["replay", str(path), "--check"]) == 1
    assert "DIVERGES" in capsys.readouterr().out


def test_saves_lists_good_and_damaged(run_dir, tmp_path, capsys):
    (tmp_path / "good.json.gz").write_bytes((run_dir / "end.json.gz").read_bytes())
    (tmp_path / "broken.json.gz").write_bytes(HEADER + b"0" * 64 + b"\nxx")
    assert main(["saves", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "good.json.gz" in captured.out and "tiny" in captured.out and "2026Q4" in captured.out
    assert "DAMAGED" in captured.out and "checksum" in captured.out
    assert "1 damaged" in captured.err


@pytest.mark.parametrize(
    "argv",
    [
        ["resume", "{tmp}/missing.json.gz"],
        ["replay", "{tmp}/garbage.json.gz"],
        ["replay", "{tmp}/garbage.json.gz", "--check"],
        ["saves", "{tmp}/nowhere"],
        ["saves", "{tmp}/garbage.json.gz"],
        ["run", str(TINY), "--quarters", "1", "--quiet", "--save", "{tmp}"],
    ],
)
def test_bad_input_is_a_clean_error(tmp_path, capsys, argv):
    (tmp_path / "garbage.json.gz").write_bytes(b"hello")
    assert main([a.format(tmp=tmp_path) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sovereign: error: ") and "Traceback" not in err


def test_keep_must_be_positive(capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", str(TINY), "--autosave", "--keep", "0"])
    assert info.value.code == 2


def test_unusable_saves_dir_is_refused_before_playing(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    rc = main(["run", str(TINY), "--quarters", "2", "--quiet", "--autosave", "--saves-dir", str(blocker / "saves")])
    assert rc == 2
    captured = capsys.readouterr()
    assert "--saves-dir" in captured.err and "is a file, not a folder" in captured.err
    assert "quarters in" not in captured.out  # refused before any quarter was played


def test_failed_autosaves_do_not_stop_a_run(tmp_path, capsys, monkeypatch):
    import sovereign.persist.autosave as autosave

    def disk_full(model, path, **kwargs):
        raise SaveError("could not save: the disk is full", path)

    monkeypatch.setattr(autosave, "save_game", disk_full)  # the disk fills up during the run
    rc = main(["run", str(TINY), "--quarters", "2", "--quiet", "--autosave", "--saves-dir", str(tmp_path / "saves")])
    assert rc == 0
    out = capsys.readouterr().out
    assert out.count("autosave failed, the game goes on") == 2 and "2 autosave(s) failed" in out


def test_labels_and_titles_reach_the_terminal_inert(played, tmp_path, capsys, monkeypatch):
    """ANSI escape codes and rich markup in a save's label are shown, never interpreted."""
    from sovereign.persist import save_game

    monkeypatch.setenv("COLUMNS", "300")  # one line per save, so the label is not folded
    label = "\x1b[2J\x1b[31mred [bold]loud[/bold] \u202eevil"
    save_game(played, tmp_path / "shady.json.gz", label=label)
    assert main(["saves", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out
    assert "\\x1b[31mred" in out and "[bold]loud[/bold]" in out and "\\u202eevil" in out
