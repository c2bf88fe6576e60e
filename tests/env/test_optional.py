"""The rl extra stays optional: nothing else imports it, and without it the import says what to install."""

from __future__ import annotations

import subprocess
import sys

from .conftest import ROOT


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_the_rest_of_the_package_never_imports_the_rl_libraries():
    result = _run(
        "import sys\n"
        "import sovereign.cli, sovereign.ensemble, sovereign.persist, sovereign.scenario, sovereign.sim\n"
        "print(sorted(m for m in ('gymnasium', 'pettingzoo', 'sovereign.env') if m in sys.modules))\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_without_the_extra_the_import_error_names_it():
    result = _run("import sys\nsys.modules['pettingzoo'] = None\nimport sovereign.env\n")
    assert result.returncode != 0
    assert "pip install 'sovereign[rl]'" in result.stderr and "pettingzoo is missing" in result.stderr
