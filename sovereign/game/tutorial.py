"""The tutorial: a first game that teaches by doing, one short step at a time (issue 16).

Like OpenTTD's GameScript goals or Unciv's tutorial, each step asks for one thing a new player
needs in their first ten minutes (read the map, build where power is cheap, end a quarter, read
the report, see why the price moved, answer a decision) and the game ticks it off when it sees the
player do it. This module is the one home of the steps, for both front ends:

* the desktop game (:mod:`sovereign.ui.screens.tutorial`) fills a :class:`Facts` from what is on
  screen and the game's state, and asks :func:`check_step`;
* the classroom's student page has no map: it shows the steps whose :attr:`Step.web` is set, in
  the same order, with their page-side wording, and checks them by what the page sees (the names
  in :data:`WEB_CHECKS`); the server hands it :func:`web_steps`.

Progress (which step, what was done or skipped) is the player's, not the game's: the desktop keeps
it in the user's settings file (:class:`Progress`), the browser in its local storage; neither
goes into a save. The tutorial's own game (:func:`tutorial_session`) is the bundled baseline as
India with one practice decision added to its scenario in the first quarter (the baseline asks
India none), so the "answer a decision" step has something to answer.

No pygame here: the checks are plain functions of plain facts, tested without a display.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sovereign.sim.commands import BuildDatacenter, Decide

if TYPE_CHECKING:
    from sovereign.game.session import GameSession
    from sovereign.scenario.schema import Scenario
    from sovereign.sim.model import SovereignModel

#: The seat the tutorial's own game is played as: India's power is cheaper than the median region's
#: in the baseline ($95 against $102/MWh industrial in 2026Q1), so "build where power is cheap"
#: can be done at home, and India plays on a budget big enough to build (a design choice).
TUTORIAL_SEAT = "IND"
#: The seed of the tutorial's game: a fixed one, so every player's first game is the same game.
TUTORIAL_SEED = 0


@dataclass(frozen=True)
class Facts:
    """What a front end saw, for the checks: the game's state plus what is on screen.

    Attributes:
        model: The game (None when none is running); read only, never changed.
        seat: The human seat whose turn it is.
        screen: Name of the screen on top (``"game"``, ``"markets"``, ``"report"``, ...).
        selection: Region or seat shown in the side panel of the map.
        panel_tab: ``"overview"`` or ``"actions"``.
        layer: Key of the map layer shown (``"power_price"``, ...).
        news_open: The news log is open.
        mark_quarter: The model's quarter index when the current step began (a step that asks to
            end a quarter is done once the game is past it).
        start_quarter: The model's quarter index when the tutorial began in this game (a decision
            answered before that was not answered in the tutorial).
    """

    model: SovereignModel | None = None
    seat: str | None = None
    screen: str | None = None
    selection: str | None = None
    panel_tab: str | None = None
    layer: str | None = None
    news_open: bool = False
    mark_quarter: int = 0
    start_quarter: int = 0


@dataclass(frozen=True)
class WebStep:
    """How a step reads on the student page, which has no map: its own words and page check."""

    title: str
    instruction: str
    check: str


@dataclass(frozen=True)
class Step:
    """One step of the tutorial.

    Attributes:
        key: Stable name, kept in the progress (so reordering steps keeps a player's progress).
        title: A few words, shown in bold.
        instruction: What to do, in plain words, one or two sentences.
        check: Whether the step is done, from the facts (desktop).
        applies: Whether the step can be done in this game at all (a step that cannot is passed
            over, e.g. no decision ever comes to the seat); None: always.
        web: The student page's version of the step, or None when the page has nothing like it.
    """

    key: str
    title: str
    instruction: str
    check: Callable[[Facts], bool]
    applies: Callable[[Facts], bool] | None = None
    web: WebStep | None = None


# -- the checks ------------------------------------------------------------------------------------


def own_region(model: SovereignModel, seat: str | None) -> str | None:
    """The seat's own region: a nation is one; a firm has a home region."""
    if seat is None:
        return None
    if seat in model.region_ix:
        return seat
    agent = model.seats.get(seat)
    return agent.state.get("home") if agent is not None else None


def cheap_power_regions(model: SovereignModel, seat: str) -> set[str]:
    """Regions where power counts as cheap for the "build where power is cheap" step.

    Cheap means an industrial price (last quarter's clearing, what the map's power layer shows) at
    or below the median region's. A nation may build only on its own territory (the validator's
    rule), so for a nation its own region is the answer: cheap when it is at or below the median,
    and otherwise still the cheapest place it may build (the step must not ask the impossible).
    """
    price = np.asarray(model.results.power.retail, float)
    ids = [r.id for r in model.scenario.regions]
    if price.size != len(ids):
        return set()
    median = float(np.median(price))
    cheap = {rid for rid, p in zip(ids, price, strict=True) if p <= median}
    agent = model.seats.get(seat)
    if agent is not None and agent.kind == "nation":
        return {seat}  # cheap or not, the only place a nation may build
    return cheap


def _selected_other_region(f: Facts) -> bool:
    if f.model is None or f.screen != "game" or f.selection not in f.model.region_ix:
        return False
    return f.selection != own_region(f.model, f.seat)


def _power_layer(f: Facts) -> bool:
    return f.screen == "game" and f.layer == "power_price"


def _datacenter_where_cheap(f: Facts) -> bool:
    if f.model is None or f.seat is None:
        return False
    queued = [c for c in f.model.pending.get(f.seat, []) if isinstance(c, BuildDatacenter)]
    if not queued:
        return False
    cheap = cheap_power_regions(f.model, f.seat)
    return any(c.region in cheap for c in queued)


def _quarter_played(f: Facts) -> bool:
    return f.model is not None and f.model.quarter > f.mark_quarter


def _report_open(f: Facts) -> bool:
    return f.screen == "report"


def _index_read(f: Facts) -> bool:
    """Your own page on the map's side panel, once a quarter has been played (the index is known)."""
    if f.model is None or f.seat is None or f.screen != "game" or f.panel_tab != "overview":
        return False
    played = bool(f.model.metrics.nations) or bool(f.model.metrics.firms)
    return played and f.selection == f.seat


def _markets_after_quarter(f: Facts) -> bool:
    """The Markets screen (its first panel is the power price and why) with a quarter played."""
    return f.screen == "markets" and f.model is not None and bool(f.model.metrics.world)


def _news_open(f: Facts) -> bool:
    return f.news_open


def _decision_answered(f: Facts) -> bool:
    """A decision answered this quarter (queued) or since the tutorial began (already applied)."""
    if f.model is None or f.seat is None:
        return False
    if any(isinstance(c, Decide) for c in f.model.pending.get(f.seat, [])):
        return True
    from sovereign.scenario.schema import quarter_index

    return any(
        e["seat"] == f.seat
        and e.get("accepted")
        and e["command"].get("kind") == "decide"
        and quarter_index(e["quarter"]) >= f.start_quarter
        for e in f.model.command_log
    )


def _decision_can_come(f: Facts) -> bool:
    """Whether the seat has, or will get, a decision: one waiting, answered, or a scripted one ahead."""
    model, seat = f.model, f.seat
    if model is None or seat is None:
        return True  # nothing to judge by yet: keep the step
    if model.pending_decisions.get(seat) or _decision_answered(f):
        return True
    from sovereign.scenario.schema import quarter_index

    return any(
        inj.decision and seat in (inj.region, inj.actor) and quarter_index(inj.quarter) >= model.quarter
        for inj in model.scenario.injects
    )


#: Names of the checks the student page runs itself (student.js implements each).
WEB_CHECKS: tuple[str, ...] = (
    "order_queued",
    "quarter_played",
    "results_seen",
    "dashboard_seen",
    "news_seen",
    "decision_answered",
)

STEPS: tuple[Step, ...] = (
    Step(
        "select_region",
        "Read the map",
        "Click a country on the map: the panel on the right shows its figures (power, datacenters, chips). "
        "Hover over any region for a quick look.",
        _selected_other_region,
    ),
    Step(
        "power_layer",
        "Find cheap power",
        "Press 2 (or choose the power price layer at the top left): the map now colours every region by "
        "what industry pays for electricity. Hover to read the prices.",
        _power_layer,
    ),
    Step(
        "build_datacenter",
        "Build where power is cheap",
        "Datacenters run on electricity. Open the Actions tab (Tab), choose Build datacenter in a region whose "
        "power costs no more than most others, and press Confirm.",
        _datacenter_where_cheap,
        web=WebStep(
            "Queue an order",
            "Choose an action under Orders (Build datacenter is a good first one), read its cost and effect, "
            "then press Queue this order.",
            "order_queued",
        ),
    ),
    Step(
        "end_quarter",
        "End the quarter",
        "Press End quarter (or Enter). Every nation and firm moves at once, then the markets clear.",
        _quarter_played,
        web=WebStep(
            "Hand in your turn",
            "Press Our turn is in. The quarter is played when the teacher ends it or the timer runs out.",
            "quarter_played",
        ),
    ),
    Step(
        "quarter_report",
        "Read the quarter report",
        "After each quarter a report shows what became of your orders and your money. R opens it again.",
        _report_open,
        web=WebStep(
            "Read your results",
            "Results of the last quarter are at the top: your figures before and after, and what became of each order.",
            "results_seen",
        ),
    ),
    Step(
        "read_index",
        "Read your score",
        "Press H to show your own page. The sovereignty index (0 to 1) is your score; the five bars below it "
        "are what it is made of.",
        _index_read,
        web=WebStep(
            "Read your dashboard",
            "The dashboard shows your budget, your sovereignty index (your score) and the five pillars it is made of.",
            "dashboard_seen",
        ),
    ),
    Step(
        "markets",
        "See why the price moved",
        "Press M for Markets: the left half explains your power price (the most expensive plant running sets "
        "it). Esc brings you back.",
        _markets_after_quarter,
    ),
    Step(
        "news",
        "Read the news",
        "Press N for the news: what happened last quarter, including events that may ask you to decide.",
        _news_open,
        web=WebStep("Read the news", "Scroll to News: what happened last quarter.", "news_seen"),
    ),
    Step(
        "decision",
        "Answer a decision",
        "When Decide lights up in the top bar, press E (or click it), read what each answer does, and choose.",
        _decision_answered,
        applies=_decision_can_come,
        web=WebStep(
            "Answer a decision",
            "When Decisions waiting appears, read what each answer does and press the one you choose.",
            "decision_answered",
        ),
    ),
    Step(
        "finish_quarter",
        "Play the quarter",
        "End the quarter once more: your decision and orders are played. That is the whole game, quarter by "
        "quarter until 2035.",
        _quarter_played,
        web=WebStep(
            "Play the quarter",
            "Hand in your turn again and wait for the quarter: your decision and orders are played.",
            "quarter_played",
        ),
    ),
)
STEP_BY_KEY: dict[str, Step] = {s.key: s for s in STEPS}


def check_step(step: Step, facts: Facts) -> bool:
    """Whether ``step`` is done by what ``facts`` show."""
    return bool(step.check(facts))


def step_applies(step: Step, facts: Facts) -> bool:
    """Whether ``step`` can be done in this game (steps that cannot are passed over)."""
    return step.applies is None or bool(step.applies(facts))


def web_steps() -> list[dict[str, str]]:
    """The steps the student page shows, in order, in its own words (served to the page as JSON)."""
    return [
        {"key": s.key, "title": s.web.title, "instruction": s.web.instruction, "check": s.web.check}
        for s in STEPS
        if s.web is not None
    ]


# -- progress ----------------------------------------------------------------------------------

#: ``new``: never offered; ``active``: running; ``skipped``: the player left it; ``finished``.
STATUSES: tuple[str, ...] = ("new", "active", "skipped", "finished")


@dataclass
class Progress:
    """A player's way through the tutorial, kept in their settings (never in a game's save).

    Attributes:
        status: One of :data:`STATUSES`.
        current: Key of the step being shown (None once every step is done or skipped).
        done: Keys of the steps done, in the order they were done.
        skipped: Keys of the steps skipped (or passed over because they could not be done).
        hidden: The player hid the panel (key T); the tutorial keeps checking.
    """

    status: str = "new"
    current: str | None = None
    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    hidden: bool = False

    @property
    def active(self) -> bool:
        """Whether the tutorial is running."""
        return self.status == "active"

    @property
    def step(self) -> Step | None:
        """The current step."""
        return STEP_BY_KEY.get(self.current) if self.current else None

    @property
    def number(self) -> int:
        """1-based position of the current step (the count of steps once finished)."""
        keys = [s.key for s in STEPS]
        return keys.index(self.current) + 1 if self.current in keys else len(keys)

    def start(self) -> None:
        """Start (again) from the first step."""
        self.status, self.current, self.done, self.skipped, self.hidden = "active", STEPS[0].key, [], [], False

    def _next_after(self, key: str) -> None:
        keys = [s.key for s in STEPS]
        later = [k for k in keys[keys.index(key) + 1 :] if k not in self.done and k not in self.skipped]
        if later:
            self.current = later[0]
        else:
            self.current, self.status = None, "finished"

    def complete(self, key: str) -> None:
        """Tick off a step and move to the next one."""
        if key not in self.done:
            self.done.append(key)
        if self.current == key:
            self._next_after(key)

    def skip_step(self) -> None:
        """Leave the current step undone and move to the next one."""
        key = self.current
        if key is None or not self.active:
            return
        if key not in self.skipped:
            self.skipped.append(key)
        self._next_after(key)

    def skip_all(self) -> None:
        """Leave the tutorial (the main menu's Tutorial starts it again)."""
        self.status, self.hidden = "skipped", False

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data for the settings file."""
        return {
            "status": self.status,
            "current": self.current,
            "done": list(self.done),
            "skipped": list(self.skipped),
            "hidden": self.hidden,
        }


def progress_from_json(data: Any) -> Progress:
    """Read progress from the settings file.

    Raises:
        ValueError: The data is not tutorial progress (the settings loader reports it and uses
            a fresh progress, as it does for every bad field).
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"expected an object, found {data!r}")
    status = data.get("status", "new")
    if status not in STATUSES:
        raise ValueError(f"status: expected one of {', '.join(STATUSES)}, found {status!r}")
    current = data.get("current")
    if current is not None and current not in STEP_BY_KEY:
        raise ValueError(f"current: no step {current!r}; steps: {', '.join(STEP_BY_KEY)}")
    lists: dict[str, list[str]] = {}
    for name in ("done", "skipped"):
        value = data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
            raise ValueError(f"{name}: expected a list of step names, found {value!r}")
        lists[name] = [k for k in value if k in STEP_BY_KEY]  # steps renamed since: forgotten, not an error
    hidden = data.get("hidden", False)
    if not isinstance(hidden, bool):
        raise ValueError(f"hidden: expected true or false, found {hidden!r}")
    if status == "active" and current is None:
        raise ValueError("an active tutorial needs a current step")
    return Progress(status, current, lists["done"], lists["skipped"], hidden)


# -- the tutorial's own game -------------------------------------------------------------------

#: The practice decision of the tutorial's game: India's AI Mission, as the export-control lesson
#: asks it in 2028Q3 (same figures, CALIBRATION 12), asked here in the first quarter.
PRACTICE_DECISION: dict[str, Any] = {
    "kind": "news",
    "region": TUTORIAL_SEAT,
    "headline": "India's AI Mission asks for its next round of subsidised GPUs",
    "text": (
        "India's AI Mission (Rs 10,372 crore, 44% for compute) had procured about 38,000 GPUs by 2025, "
        "rented at about Rs 67 an hour against Rs 115 on the market (CALIBRATION 12)."
    ),
    "decision": [
        {
            "label": "Subsidise a national compute programme",
            "text": "Public money for domestic datacenters: compute self-reliance grows",
            # assumption, as in the lesson: a round larger than 2024's $0.55B for compute
            "cash_busd": -1.5,
            "subsidy": 0.3,
        },
        {"label": "Leave it to the market", "text": "Cheaper for the budget; the compute is rented, not owned"},
    ],
}


def tutorial_scenario(scenario: Scenario, seat: str = TUTORIAL_SEAT) -> Scenario:
    """The scenario with the practice decision in its first quarter, unless the seat gets one then.

    The inject goes into the game's own copy of the scenario (as the classroom's teacher fires
    injects), so a save of the tutorial game replays with it.

    Raises:
        ValueError: The scenario has no region ``seat``.
    """
    from sovereign.scenario.schema import Inject

    if seat not in {r.id for r in scenario.regions}:
        raise ValueError(f"the tutorial plays {seat}, which scenario {scenario.meta.id!r} does not have")
    first = scenario.time.start
    if any(inj.decision and seat in (inj.region, inj.actor) and inj.quarter == first for inj in scenario.injects):
        return scenario
    practice = Inject.model_validate({**PRACTICE_DECISION, "quarter": first, "region": seat})
    return scenario.model_copy(update={"injects": [*scenario.injects, practice]})


def tutorial_session(save_dir: Path | None = None, autosave: bool = True) -> GameSession:
    """A new game for the tutorial: the bundled baseline as India, with the practice decision."""
    from sovereign.game.session import default_scenario_path, new_session
    from sovereign.scenario.loader import load_scenario

    path = default_scenario_path()
    scenario = tutorial_scenario(load_scenario(path))
    return new_session(
        scenario, [TUTORIAL_SEAT], seed=TUTORIAL_SEED, scenario_path=path, save_dir=save_dir, autosave=autosave
    )
