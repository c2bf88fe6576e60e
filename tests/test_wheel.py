"""A built wheel works anywhere: installed into a fresh venv outside the clone, run from an empty folder.

This is what a user who installs Sovereign (rather than working in a clone) gets: no `scenarios/`
or `assets/` folder of the repository, no `tests/` fixtures, the current directory empty. The
wheel is built from a copy of the package sources with the dev extra's setuptools (no build
isolation, so no download), installed with ``--no-deps`` into a new venv, and finds its
dependencies in this test's own environment through a ``.pth`` line (a plain path line: the
editable install of the clone, which lives there too, is not activated by it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from sovereign.data import SCENARIO_PATH_ENV

ROOT = Path(__file__).resolve().parents[1]
pytest.importorskip("setuptools", reason="the dev extra installs setuptools to build the wheel offline")


def run(args: list[str | Path], cwd: Path, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert proc.returncode == 0, f"{' '.join(map(str, args))} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict[str, str], Path]:
    """(the venv's bin folder, its environment, the wheel) after building and installing the wheel."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "sovereign", src / "sovereign", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    dist = tmp / "dist"
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", dist, src],
        tmp,
        env,
    )
    [wheel] = dist.glob("sovereign-*.whl")
    venv = tmp / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], tmp, env)
    py = venv / "bin" / "python"
    run([sys.executable, "-m", "pip", "--python", py, "install", "--no-deps", "--no-index", wheel], tmp, env)
    purelib = subprocess.run(
        [py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True
    ).stdout.strip()
    # the dependencies (numpy, Mesa, pygame-ce, ...) come from this environment: no download
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(purelib, "_sovereign_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    home = tmp / "home"
    home.mkdir()
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        SDL_VIDEODRIVER="dummy",
        SDL_AUDIODRIVER="dummy",
        MPLBACKEND="Agg",
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
    )
    env.pop(SCENARIO_PATH_ENV, None)
    return venv / "bin", env, wheel


def test_the_wheel_holds_the_packaged_data_and_nothing_of_the_repository(installed) -> None:
    _, _, wheel = installed
    names = zipfile.ZipFile(wheel).namelist()
    for needed in (
        "sovereign/scenarios/baseline.yaml",
        "sovereign/scenarios/lessons/taiwan_strait.yaml",
        "sovereign/scenarios/lessons/export_controls.yaml",
        "sovereign/assets/world.geojson",
        "sovereign/assets/palettes.json",
        "sovereign/assets/theme.json",
        "sovereign/assets/theme_colourblind.json",
        "sovereign/assets/ATTRIBUTION.md",
        "sovereign/py.typed",
    ):
        assert needed in names
    assert not [n for n in names if n.startswith(("tests/", "scenarios/", "assets/", "benchmarks/"))]


def test_the_installed_wheel_plays_from_an_empty_folder(installed, tmp_path: Path) -> None:
    bin_dir, env, _ = installed
    empty = tmp_path / "empty"
    empty.mkdir()
    sovereign = bin_dir / "sovereign"

    where = run([bin_dir / "python", "-c", "import sovereign; print(sovereign.__file__)"], empty, env)
    assert Path(where.stdout.strip()).is_relative_to(bin_dir.parent), "the wheel, not the clone, is imported"

    game = run([sovereign, "run", "baseline", "--quarters", "2", "--seed", "1", "--out", "r", "--autosave"], empty, env)
    assert (empty / "r" / "world.parquet").is_file()
    saves = Path(env["XDG_DATA_HOME"]) / "sovereign" / "saves"
    assert f"autosaves go to {saves}" in game.stdout, "saves go to the per-user data folder, and the path is printed"
    assert list(saves.glob("autosave-*.json.gz")), "an autosave was written there"
    assert not (empty / "saves").exists()

    run([sovereign, "screenshot", "x.png"], empty, env)
    assert (empty / "x.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    checked = run([sovereign, "validate", "baseline"], empty, env)
    assert "baseline.yaml: OK" in checked.stdout

    listed = run([sovereign, "scenarios"], empty, env)
    assert "taiwan_strait" in listed.stdout and "Taiwan Strait" in listed.stdout
    assert "export_controls" in listed.stdout

    run([sovereign, "handouts", "export_controls", "--out", "ho"], empty, env)
    assert (empty / "ho" / "role-USA.html").is_file() and (empty / "ho" / "teacher-notes.html").is_file()
