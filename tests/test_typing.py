"""The core packages type-check under mypy's strict mode, as configured in pyproject.toml.

Runs mypy in a subprocess (the interpreter running the tests, so the same environment) over
`sovereign.sim`, `sovereign.markets` and `sovereign.scenario`. Its cache is the work tree's
`.mypy_cache` (gitignored; mypy revalidates it against every file's hash), so a run after the
first takes seconds; a cold run takes 35 s of CPU, over a minute on a busy 2-core machine, hence
`slow`: CI runs it, `-m "not slow"` leaves it out.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STRICT_PACKAGES = ("sovereign.sim", "sovereign.markets", "sovereign.scenario")


def _mypy_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]


def test_core_packages_are_configured_strict():
    config = _mypy_config()
    assert config["python_version"] == "3.12"
    strict_modules = {
        module
        for override in config.get("overrides", [])
        if override.get("strict") is True
        for module in override["module"]
    }
    for package in STRICT_PACKAGES:
        assert f"{package}.*" in strict_modules, f"{package} is not checked strictly"
    # only third-party libraries may have their missing types ignored, never our own code
    for override in config.get("overrides", []):
        if override.get("ignore_missing_imports"):
            assert not any(m.startswith("sovereign") for m in override["module"])
        assert not override.get("ignore_errors"), f"errors ignored in {override['module']}"


@pytest.mark.slow
def test_mypy_strict_passes_on_the_core():
    targets = [arg for package in STRICT_PACKAGES for arg in ("-p", package)]
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-color-output", *targets],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"mypy found problems:\n{report}"
    assert "Success: no issues found" in report
