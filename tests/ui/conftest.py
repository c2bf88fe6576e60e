"""Fixtures for the UI tests: a headless app, synthetic input, model fingerprints.

Everything runs with SDL's dummy video driver; input is posted as real pygame events and goes
through the same loop (`App.frame`) as a person's mouse and keyboard.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import pygame
import pytest

from sovereign.data import bundled_scenarios_folder
from sovereign.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "sim" / "fixtures" / "tiny.yaml"
BASELINE = bundled_scenarios_folder() / "baseline.yaml"


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path_factory, monkeypatch):
    """Never read or write the real user's settings."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))


@pytest.fixture(scope="session")
def tiny_scenario():
    return load_scenario(TINY)


@pytest.fixture(scope="session")
def baseline_scenario():
    if not BASELINE.is_file():
        pytest.skip("sovereign/scenarios/baseline.yaml is not bundled")
    return load_scenario(BASELINE)


class Driver:
    """Drives an App with synthetic events, like a person would."""

    def __init__(self, app):
        self.app = app

    def frames(self, n: int = 2) -> None:
        for _ in range(n):
            self.app.frame(dt=1 / 60)

    def click(self, element, button: int = 1) -> None:
        """Press and release the mouse on a widget's centre, then let the loop deliver the result."""
        pos = element.rect.center
        pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(0, 0), buttons=(0, 0, 0)))
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=button))
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=button))
        self.frames(5)  # press -> widget event -> screen event -> navigation: a few loop turns

    def click_at(self, pos, button: int = 1) -> None:
        pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(0, 0), buttons=(0, 0, 0)))
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=button))
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=button))
        self.frames(5)  # press -> widget event -> screen event -> navigation: a few loop turns

    def key(self, key: int, mod: int = 0, unicode: str = "") -> None:
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, mod=mod, unicode=unicode, scancode=0))
        pygame.event.post(pygame.event.Event(pygame.KEYUP, key=key, mod=mod, unicode=unicode, scancode=0))
        self.frames(4)

    def wait_quarter(self, timeout: float = 60.0) -> None:
        """Run frames until the worker thread has played the quarter (the window keeps drawing)."""
        session = self.app.session
        deadline = time.monotonic() + timeout
        while session is not None and session.busy:
            assert time.monotonic() < deadline, "the quarter did not finish"
            self.app.frame(dt=1 / 60)
            time.sleep(0.005)
        self.frames(3)

    def close_dialogs(self) -> None:
        """Close the quarter report that opens after a quarter, then answer open choice dialogs with
        their cancel choice (decisions: 'later')."""
        from sovereign.ui.dialogs import ChoiceDialog

        for _ in range(3):  # the report, then the map asks its decisions
            if self.app.top is None or self.app.top.name != "report":
                break
            self.key(pygame.K_ESCAPE)
        for w in list(self.app.manager.get_window_stack().get_full_stack()):
            if isinstance(w, ChoiceDialog):
                w.answer("later" if w.key.startswith("decision") else w.cancel_choice)
        self.frames(2)


@pytest.fixture
def make_app(tmp_path):
    """Build headless apps; every one is closed at the end of the test."""
    from sovereign.ui.app import App
    from sovereign.ui.settings import Settings

    apps = []

    def factory(session=None, settings=None, size=(1600, 900)):
        app = App(
            settings or Settings(autosave=False),
            persist_settings=False,
            size=size,
            session=session,
            save_dir=tmp_path / "saves",
        )
        apps.append(app)
        return app, Driver(app)

    yield factory
    pygame.event.clear()


@pytest.fixture
def fingerprint():
    """The state fingerprint function (see `state_fingerprint`)."""
    return state_fingerprint


def state_fingerprint(model) -> str:
    """A digest of the whole game state (the persistence layer's hash) plus what it leaves out.

    The UI reads ``model.results`` (market results) and the queued commands too, so those are
    hashed here as well: drawing a screen must change none of them.
    """
    import hashlib
    import json

    from sovereign.persist import model_digest
    from sovereign.sim.commands import command_to_dict

    h = hashlib.sha256(model_digest(model)["state"].encode())
    from sovereign.persist.codec import encode

    h.update(json.dumps(encode(model.results, "results"), sort_keys=True).encode())
    pending = {seat: [command_to_dict(c) for c in cmds] for seat, cmds in model.pending.items() if cmds}
    h.update(json.dumps(pending, sort_keys=True).encode())
    h.update(repr(sorted(model.pending_decisions.items())).encode())
    h.update(repr((len(model.command_log), len(model.news), model.quarter)).encode())
    return h.hexdigest()


@pytest.fixture
def shown(monkeypatch):
    """Every string drawn with `sovereign.ui.draw.text` while the test runs, in drawing order."""
    from sovereign.ui import draw

    written: list[str] = []
    real = draw.text

    def record(surface, fonts, text, *a, **k):
        written.append(str(text))
        return real(surface, fonts, text, *a, **k)

    monkeypatch.setattr(draw, "text", record)
    return written


@pytest.fixture(scope="module")
def played_session(tiny_scenario, tmp_path_factory):
    """A tiny game three quarters in, India human, with a datacenter queued and built."""
    from sovereign.game.session import new_session
    from sovereign.sim.commands import BuildDatacenter

    s = new_session(tiny_scenario, ["IND"], seed=5, save_dir=tmp_path_factory.mktemp("saves"), autosave=False)
    s.submit(BuildDatacenter(region="IND", it_mw=120))
    for _ in range(3):
        s.end_turn(wait=True)
        s.poll()
    return s


def clipped_text(manager) -> list[str]:
    """Buttons and labels whose text is wider than the widget that shows it (pygame_gui cuts it).

    Reads each visible widget's own font and rect, so it checks what pygame_gui will draw: a
    text needs its width plus the border on both sides; widgets must also lie inside the window.
    """
    import pygame_gui

    out = []
    window = pygame.Rect((0, 0), manager.window_resolution)
    for el in manager.get_sprite_group().sprites():
        if not isinstance(el, pygame_gui.elements.UIButton | pygame_gui.elements.UILabel):
            continue
        text = getattr(el, "text", "")
        font = getattr(el, "font", None)
        if not text or font is None or not el.visible or el.rect.width <= 0:
            continue
        border = getattr(el, "border_width", 0) or 0
        border = max(border.values(), default=0) if isinstance(border, dict) else int(border)  # per side
        need = font.size(text)[0] + 2 * border
        if need > el.rect.width:
            out.append(f"{type(el).__name__} {text!r}: needs {need}px, has {el.rect.width}px")
        # a widget in a scrolling view is clipped by it on purpose: pygame_gui then sets its image clip
        scrolled = getattr(el, "_image_clip", None) is not None
        if not window.contains(el.rect) and not scrolled:
            out.append(f"{type(el).__name__} {text!r}: {el.rect} leaves the {window.size} window")
    return out


@pytest.fixture
def clipped():
    """The `clipped_text` check (a fixture, since tests/ui is not a package)."""
    return clipped_text


def play_quarter(session) -> None:
    """Every human seat ends its turn, then the quarter is played (on this thread)."""
    while session.end_turn(wait=True) == "handover":
        pass
    session.poll()


@pytest.fixture(scope="module")
def diplomatic_session(tiny_scenario, tmp_path_factory):
    """A tiny hot-seat game (United States and India, both human) in 2026Q3 with deals in every state.

    The United States, whose turn it is, has an offer from India to answer (a money transfer), an
    offer of its own out to China, a security pact with India running, an offer India rejected, and
    India's application to join its bloc waiting for its vote. India also has an offer out to China
    that the United States must not see.
    """
    from sovereign.game.session import new_session
    from sovereign.sim.commands import AnswerDeal, JoinBloc, OfferDeal

    # the AI nations offer no pacts of their own here (China would offer India one), so the deals are the people's
    quiet = tiny_scenario.diplomacy.model_copy(update={"pact_offer_trust": 1.01})
    sc = tiny_scenario.model_copy(update={"diplomacy": quiet})
    s = new_session(sc, ["IND", "USA"], seed=3, save_dir=tmp_path_factory.mktemp("saves"), autosave=False)
    usa_pays = OfferDeal(partner="IND", deal_kind="money_transfer", quarters=2, payment_busd_per_quarter=-0.1)
    for seat, cmd in (("USA", usa_pays), ("IND", OfferDeal(partner="USA", deal_kind="security_pact", quarters=4))):
        assert s.submit(cmd, seat=seat).accepted
    play_quarter(s)
    for seat, cmd in (
        ("USA", AnswerDeal(deal=1, accept=True)),
        ("IND", AnswerDeal(deal=0, accept=False)),
        ("IND", OfferDeal(partner="USA", deal_kind="money_transfer", quarters=4, payment_busd_per_quarter=0.2)),
        ("USA", OfferDeal(partner="CHN", deal_kind="security_pact", quarters=4)),
        ("IND", OfferDeal(partner="CHN", deal_kind="money_transfer", quarters=3, payment_busd_per_quarter=-0.3)),
        ("IND", JoinBloc(bloc="allies")),
    ):
        assert s.submit(cmd, seat=seat).accepted, (seat, cmd)
    play_quarter(s)
    assert s.seat == "USA" and s.model.quarter_label == "2026Q3"
    assert [d["status"] for d in s.model.world.deals] == ["rejected", "active", "offered", "offered", "offered"]
    return s
