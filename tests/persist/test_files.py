"""Save files: atomic writes, one clean error for every bad file, non-ASCII, full and read-only disks."""

from __future__ import annotations

import errno
import gzip
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sovereign.persist import SaveError, list_saves, load_game, save_game, save_info
from sovereign.persist import files as files_mod
from sovereign.persist.files import FORMAT_VERSION
from sovereign.scenario.loader import load_scenario

from .helpers import TINY, dump, new_game, play

#: The header line of a save of the current format, before its checksum.
HEADER = f"sovereign-save {FORMAT_VERSION} sha256:".encode()

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def document(raw: bytes) -> dict:
    """The JSON document inside a format-1 save."""
    return json.loads(gzip.decompress(raw[raw.index(b"\n") + 1 :]))


# -- writing and reading ------------------------------------------------------------------------
def test_save_and_load(played, tmp_path):
    path = save_game(played, tmp_path / "deep" / "folder" / "g.json.gz", label="before the vote")
    raw = path.read_bytes()
    assert raw.startswith(HEADER)
    doc = document(raw)
    assert doc["format_version"] == FORMAT_VERSION and doc["package_version"]
    assert doc["game"]["scenario"]["content"]["meta"]["id"] == "tiny"
    assert len(doc["replay"]["hashes"]) == 3 and doc["game"]["command_log"]
    info = save_info(path)
    assert (info.scenario_id, info.quarter, info.quarters_played, info.label) == (
        "tiny",
        "2026Q4",
        3,
        "before the vote",
    )
    assert info.human_seats == ["IND", "cloudco"] and info.seats == len(played.seats)
    assert dump(load_game(path)) == dump(played)
    assert not [p for p in path.parent.iterdir() if p.name != "g.json.gz"], "no temporary files left"


def test_same_game_same_bytes_apart_from_the_date(played, tmp_path):
    a, b = save_game(played, tmp_path / "a.json.gz"), save_game(played, tmp_path / "b.json.gz")
    da, db = document(a.read_bytes()), document(b.read_bytes())
    da.pop("saved_at"), db.pop("saved_at")
    assert da == db


# -- one clean error for every bad file --------------------------------------------------------
def _check_error(path: Path, *fragments: str) -> SaveError:
    with pytest.raises(SaveError) as info:
        load_game(path)
    message = str(info.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, message
    return info.value


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "PNG"),
        (TINY.read_bytes(), "scenario YAML"),
        (b'{"format": "sovereign-save"}', "JSON file"),
        (gzip.compress(b'{"hello": 1}', mtime=0), "without a Sovereign save"),
        (gzip.compress(b"\xff\xfe not json", mtime=0), "UTF-8"),
        (b"\x1f\x8b\x08\x00garbage", "truncated"),
        (bytes(range(1, 65)) + b"\x00", "not a Sovereign save"),
        (b"sovereign-save 2 sha256:abc\n", "header line is damaged"),
        (b"sovereign-save 1", "header line is damaged"),
        (b"sovereign-save x sha256:" + b"0" * 64 + b"\n", "header line is damaged"),
    ],
)
def test_wrong_type_files(tmp_path, content, fragment):
    path = tmp_path / "bad.json.gz"
    path.write_bytes(content)
    _check_error(path, fragment)


def test_missing_file_and_folder(tmp_path):
    _check_error(tmp_path / "nope.json.gz", "no such file")
    _check_error(tmp_path, "folder")


def test_future_version(tmp_path, saved_bytes):
    path = tmp_path / "future.json.gz"
    body = saved_bytes[saved_bytes.index(b"\n") :]
    future = FORMAT_VERSION + 1
    path.write_bytes(f"sovereign-save {future} sha256:".encode() + b"0" * 64 + body)
    _check_error(path, "newer Sovereign", f"format {future}", "upgrade")
    # the same inside the document, behind a valid header
    doc = document(saved_bytes)
    doc["format_version"] = future
    path.write_bytes(_with_valid_checksum(doc))
    _check_error(path, "format_version")


def _with_valid_checksum(doc: dict) -> bytes:
    """Re-encode a (tampered) document with a correct header, as a deliberate forger would."""
    import hashlib

    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    body = gzip.compress(text.encode("utf-8"), mtime=0)
    return HEADER + hashlib.sha256(body).hexdigest().encode() + b"\n" + body


def test_tampered_content_fails_the_checksum(tmp_path, saved_bytes):
    doc = document(saved_bytes)
    doc["game"]["economy"]["$obj"]["fields"]["outside_busd"] = 1e12  # a player "finds" a trillion dollars
    header = saved_bytes[: saved_bytes.index(b"\n") + 1]  # keeps the old checksum
    path = tmp_path / "cheat.json.gz"
    path.write_bytes(header + gzip.compress(json.dumps(doc).encode(), mtime=0))
    _check_error(path, "checksum mismatch")


def test_trailing_bytes_and_bombs_behind_a_valid_checksum(tmp_path, saved_bytes, monkeypatch):
    import hashlib

    body = saved_bytes[saved_bytes.index(b"\n") + 1 :] + b"\x00\x00"
    path = tmp_path / "t.json.gz"
    path.write_bytes(HEADER + hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
    _check_error(path, "unexpected bytes after")
    path.write_bytes(saved_bytes)
    monkeypatch.setattr(files_mod, "MAX_JSON_BYTES", 1000)
    _check_error(path, "implausibly large")
    monkeypatch.setattr(files_mod, "MAX_FILE_BYTES", 1000)
    _check_error(path, "too large")


@FUZZ
@given(data=st.data())
def test_fuzz_flip_truncate_insert_always_save_error(tmp_path, saved_bytes, data):
    raw = bytearray(saved_bytes)
    action = data.draw(st.sampled_from(["flip", "truncate", "insert", "delete"]))
    at = data.draw(st.integers(0, len(raw) - 1))
    if action == "flip":
        raw[at] ^= data.draw(st.integers(1, 255))
    elif action == "truncate":
        del raw[at:]
    elif action == "insert":
        raw[at:at] = data.draw(st.binary(min_size=1, max_size=8))
    else:
        del raw[at : at + data.draw(st.integers(1, 64))]
    path = tmp_path / "fuzz.json.gz"
    path.write_bytes(bytes(raw))
    _check_error(path)


json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), st.text(max_size=5)
)
json_value = st.recursive(
    json_leaf,
    lambda c: st.one_of(st.lists(c, max_size=3), st.dictionaries(st.text(max_size=4), c, max_size=3)),
    max_leaves=6,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_forged_content_with_valid_checksum_never_crashes(tmp_path, saved_bytes, data):
    """A forger who recomputes the checksum can make any JSON: load either works or says why."""
    doc = document(saved_bytes)
    node, parent, key = doc, None, None
    for _ in range(data.draw(st.integers(0, 8))):
        if isinstance(node, dict) and node:
            k = data.draw(st.sampled_from(sorted(node)))
        elif isinstance(node, list) and node:
            k = data.draw(st.integers(0, len(node) - 1))
        else:
            break
        parent, key, node = node, k, node[k]
    if parent is None:
        doc = data.draw(json_value)
    elif data.draw(st.booleans()):
        parent[key] = data.draw(json_value)
    elif isinstance(parent, dict):
        del parent[key]
    else:
        parent.pop(key)
    path = tmp_path / "forged.json.gz"
    path.write_bytes(_with_valid_checksum(doc))
    try:
        load_game(path)
    except SaveError as exc:
        assert str(path) in str(exc)


# -- atomic writes: crashes, full disks, read-only folders -----------------------------------
@pytest.fixture
def old_save(played, tmp_path):
    """A good save already in place, and the game one quarter later (a different state)."""
    path = save_game(played, tmp_path / "slot.json.gz")
    later = load_game(path)
    later.submit("IND", {"kind": "set_subsidy", "rate": 0.3})
    return path, path.read_bytes(), later


def _assert_old_save_intact(path: Path, old: bytes) -> None:
    assert path.read_bytes() == old
    load_game(path)
    leftovers = [p.name for p in path.parent.iterdir() if p.name.endswith(".part")]
    assert not leftovers, leftovers


@pytest.mark.parametrize(
    ("target", "exc", "fragment"),
    [
        ("replace", OSError(errno.EIO, "I/O error"), "I/O error"),
        ("fsync", OSError(errno.EIO, "I/O error"), "I/O error"),
        ("write", OSError(errno.ENOSPC, "No space left on device"), "disk is full"),
        ("write", OSError(errno.EDQUOT, "Disk quota exceeded"), "disk is full"),
    ],
)
def test_failed_write_keeps_the_old_save(old_save, monkeypatch, target, exc, fragment):
    path, old, later = old_save

    def boom(*args, **kwargs):
        raise exc

    if target == "write":
        monkeypatch.setattr(files_mod, "_write_all", boom)
    else:
        monkeypatch.setattr(files_mod.os, target, boom)
    with pytest.raises(SaveError, match=fragment) as info:
        save_game(later, path)
    assert str(path) in str(info.value) and "unchanged" in str(info.value)
    monkeypatch.undo()
    _assert_old_save_intact(path, old)
    if target == "write" and exc.errno == errno.ENOSPC:
        later.step()  # the game goes on


def test_interrupt_mid_write_keeps_the_old_save(old_save, monkeypatch):
    path, old, later = old_save

    def interrupted(handle, data):
        handle.write(data[:100])
        raise KeyboardInterrupt

    monkeypatch.setattr(files_mod, "_write_all", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_game(later, path)
    monkeypatch.undo()
    _assert_old_save_intact(path, old)


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")
def test_process_killed_mid_write_keeps_the_old_save(old_save):
    """A real crash: the writer is SIGKILLed after writing half of the temporary file."""
    path, old, _ = old_save
    marker = path.parent / "half-written"
    script = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from sovereign.persist import files, load_game, save_game

        model = load_game({str(path)!r})
        model.submit("IND", {{"kind": "set_subsidy", "rate": 0.3}})

        def slow(handle, data):
            handle.write(data[: len(data) // 2])
            handle.flush()
            Path({str(marker)!r}).touch()
            time.sleep(60)

        files._write_all = slow
        save_game(model, {str(path)!r})
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, "the writer ended before writing"
            assert time.monotonic() < deadline, "the writer never started writing"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert path.read_bytes() == old
    load_game(path)
    partial = [p for p in path.parent.iterdir() if p.name.endswith(".part")]
    assert partial, "the killed writer leaves its temporary file"
    assert [i.path.name for i in list_saves(path.parent)] == ["slot.json.gz"], "listings ignore temporary files"


@pytest.mark.parametrize("code", [errno.EACCES, errno.EROFS])
def test_read_only_folder_is_a_clear_error(played, tmp_path, monkeypatch, code):
    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(files_mod.tempfile, "mkstemp", refuse)
    with pytest.raises(SaveError, match=r"permission denied|read-only") as info:
        save_game(played, tmp_path / "g.json.gz")
    assert str(tmp_path / "g.json.gz") in str(info.value)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores folder permissions")
def test_really_read_only_folder(played, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(SaveError, match="permission denied"):
            save_game(played, folder / "g.json.gz")
    finally:
        folder.chmod(0o755)


def test_saving_onto_a_folder_or_bad_name(played, tmp_path):
    (tmp_path / "dir.json.gz").mkdir()
    with pytest.raises(SaveError, match="folder"):
        save_game(played, tmp_path / "dir.json.gz")
    with pytest.raises(SaveError, match="too long"):
        save_game(played, tmp_path / ("x" * 300 + ".json.gz"))
    with pytest.raises(SaveError, match="invalid file name"):
        save_game(played, tmp_path / "nul\x00.json.gz")
    with pytest.raises(SaveError, match="invalid file name"):
        load_game(tmp_path / "nul\x00.json.gz")


# -- non-ASCII -------------------------------------------------------------------------------
def test_non_ascii_names_and_paths(tmp_path):
    scenario = load_scenario(
        TINY,
        overrides={
            "meta.title": "Tíny wörld — 世界 🌍",
            "regions.IND.name": "भारत",
            "actors.cloudco.name": "Nuvem Ação 云",
        },
    )
    model = play(new_game(scenario), 2)
    folder = tmp_path / "sauvegardes été" / "日本語"
    path = save_game(model, folder / "partie n°1 — 🌍.json.gz", label="avant le vote ✓")
    info = save_info(path)
    assert info.scenario_title == "Tíny wörld — 世界 🌍" and info.label == "avant le vote ✓"
    loaded = load_game(path)
    assert loaded.seats["cloudco"].name == "Nuvem Ação 云" and dump(loaded) == dump(model)
    [listed] = list_saves(folder)
    assert listed.path == path


def test_list_saves_reports_damaged_files(played, tmp_path):
    save_game(played, tmp_path / "good.json.gz")
    (tmp_path / "bad.json.gz").write_bytes(HEADER + b"0" * 64 + b"\n")
    (tmp_path / "notes.txt").write_text("not a save")
    (tmp_path / ".good.json.gz.x.part").write_bytes(b"partial")
    items = list_saves(tmp_path)
    assert [type(i).__name__ for i in items] == ["SaveInfo", "SaveError"]
    assert "checksum" in str(items[1]) and "bad.json.gz" in str(items[1])
    with pytest.raises(SaveError, match="no such"):
        list_saves(tmp_path / "missing")
