"""Number formatting for the screens: one place so money, power and compute read the same everywhere."""

from __future__ import annotations

import math
import re
from typing import Any


def money(busd: float | None) -> str:
    """Billions of dollars as ``$1.2B``, ``$350M`` or ``$1.2T``."""
    if busd is None or not math.isfinite(busd):
        return "–"
    a = abs(busd)
    sign = "-" if busd < 0 else ""
    if a >= 1000:
        return f"{sign}${a / 1000:,.2f}T"
    if a >= 10:
        return f"{sign}${a:,.0f}B"
    if a >= 0.995:
        return f"{sign}${a:,.1f}B"
    if a >= 0.001:
        return f"{sign}${a * 1000:,.0f}M"
    return "$0"


def mw(value: float | None) -> str:
    """Megawatts as ``850 MW``, ``1.05 GW`` or ``12 GW``.

    Between 1 and 10 GW up to two decimals, so that sizes 10 MW apart (a slider's step) read
    differently: 1,050 MW is ``1.05 GW``, not ``1.1 GW`` like 1,100 MW.
    """
    if value is None or not math.isfinite(value):
        return "–"
    if abs(value) >= 10000:
        return f"{value / 1000:,.0f} GW"
    if abs(value) >= 1000:
        text = f"{value / 1000:,.2f}"
        if text.endswith("0"):
            text = text[:-1]
        return f"{text} GW"
    return f"{value:,.0f} MW"


def count(value: float | None) -> str:
    """Large counts as ``1.2M``, ``35k`` or ``420``."""
    if value is None or not math.isfinite(value):
        return "–"
    a = abs(value)
    if a >= 1e9:
        return f"{value / 1e9:,.1f}G"
    if a >= 1e6:
        return f"{value / 1e6:,.2f}M" if a < 1e7 else f"{value / 1e6:,.1f}M"
    if a >= 1e4:
        return f"{value / 1e3:,.0f}k"
    if a >= 1e3:
        return f"{value / 1e3:,.1f}k"
    return f"{value:,.0f}"


def h100e(value: float | None) -> str:
    """Accelerators in H100-equivalents."""
    return f"{count(value)} H100e"


def pct(value: float | None, digits: int = 0) -> str:
    """A share in [0, 1] as a percentage."""
    if value is None or not math.isfinite(value):
        return "–"
    return f"{100 * value:.{digits}f}%"


def usd_mwh(value: float | None) -> str:
    """Electricity price."""
    if value is None or not math.isfinite(value):
        return "–"
    return f"${value:,.0f}/MWh"


def usd_hour(value: float | None) -> str:
    """Compute price per H100e-hour."""
    if value is None or not math.isfinite(value):
        return "–"
    return f"${value:,.2f}/h"


def index(value: float | None) -> str:
    """A [0, 1] index with three decimals."""
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:.3f}"


def signed(value: float, digits: int = 3) -> str:
    """A change with an explicit sign (``+0.012``)."""
    return f"{value:+.{digits}f}"


def quarters(n: int) -> str:
    """A duration in quarters, with years when long."""
    if n == 1:
        return "1 quarter"
    if n >= 8 and n % 4 == 0:
        return f"{n} quarters ({n // 4} years)"
    return f"{n} quarters"


def in_words(scenario: Any, text: str) -> str:
    """`text` from the model (a refusal's reason) with region codes replaced by the regions' names.

    Why here: the validator's reasons are also logged and replayed, so they keep the stable ids a
    researcher greps for; what a player reads says "India", not "IND".
    """
    names = {r.id: r.name for r in scenario.regions}
    if not names:
        return text
    pattern = re.compile(r"\b(" + "|".join(re.escape(i) for i in sorted(names, key=len, reverse=True)) + r")\b")
    return pattern.sub(lambda m: names[m.group(1)], text)
