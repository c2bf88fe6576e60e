"""`sovereign classroom` on the command line: what it prints, and clear errors for bad input."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from sovereign.cli import main
from sovereign.cli.classroom import bind, listening
from sovereign.cli.errors import UsageError

from .conftest import TINY


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "70000"], "a port is between 0 and 65535"),
        (["--port", "eighty"], "expected a port number"),
        (["--timer", "-1"], "the timer is between 0 and 3600"),
        (["--join-limit", "0"], "expected a number > 0"),
    ],
)
def test_bad_options_are_clear_errors(args, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["classroom", *args])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_missing_files_are_clear_errors(tmp_path, capsys):
    assert main(["classroom", str(tmp_path / "nope.yaml"), "--lessons-dir", str(tmp_path)]) == 2
    assert "no such file, and no scenario of that name" in capsys.readouterr().err
    assert main(["classroom", "--resume", str(tmp_path / "gone"), "--lessons-dir", str(tmp_path)]) == 2
    assert "nothing to resume" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["classroom", "--resume", str(tmp_path / "empty"), "--lessons-dir", str(tmp_path)]) == 2
    assert "holds no lesson" in capsys.readouterr().err
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "lesson.json").write_text("{")
    assert main(["classroom", "--resume", str(broken), "--lessons-dir", str(tmp_path)]) == 2
    assert "cannot be read" in capsys.readouterr().err


def test_a_busy_port_is_a_clear_error():
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        port = taken.getsockname()[1]
        with pytest.raises(UsageError, match=f"port {port} on 127.0.0.1 is in use; choose another with --port"):
            bind("127.0.0.1", port)
    finally:
        taken.close()


def test_listening_addresses():
    assert listening("127.0.0.1", 8000) == ["http://127.0.0.1:8000/"]
    everywhere = listening("0.0.0.0", 8000)
    assert everywhere[0] == "http://127.0.0.1:8000/" and all(u.endswith(":8000/") for u in everywhere)


def test_the_server_prints_how_to_join_and_stops_cleanly(tmp_path):
    args = [sys.executable, "-m", "sovereign", "classroom", str(TINY), "--port", "0", "--lessons-dir", str(tmp_path)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    try:
        while not any("▀" in line or "█" in line for line in lines):  # the QR code comes last
            line = proc.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        port = re.search(r"127\.0\.0\.1:(\d+)/", "".join(lines)).group(1)
        deadline = time.monotonic() + 30
        while True:  # Ctrl-C once the server answers
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/lesson", timeout=2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.1)
    finally:
        proc.send_signal(2)
        rest, _ = proc.communicate(timeout=30)
    out = "".join(lines) + rest
    assert "listening on: http://127.0.0.1:" in out
    assert "room code: " in out and "/teacher/" in out and "/projector" in out
    assert "use --host 0.0.0.0 so the class's devices can join" in out
    assert "the lesson is saved" in out and "Traceback" not in out
    assert proc.returncode == 0
    assert list(tmp_path.glob("*/lesson.json"))


def test_the_web_server_needs_no_pygame():
    code = (
        "import sys; import sovereign.web.app, sovereign.game.session, sovereign.cli.classroom; "
        "assert 'pygame' not in sys.modules and 'sovereign.ui' not in sys.modules, sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
