"""No developer text on screen: every screen and every action form, as a player sees them, is scanned
for raw field names, booleans, source tags and scenario ids where a name belongs (issue 19)."""

from __future__ import annotations

import re
import typing

import pygame

from sovereign.game.actions import ACTIONS
from sovereign.game.words import command_label
from sovereign.sim import commands as c
from sovereign.ui import events
from sovereign.ui.app import SCREENS

#: What a player must never read: source tags, booleans and None, key=value dumps, snake_case names.
DEVELOPER_TEXT = re.compile(r"CALIBRATION|\bassumption\b|=\s*(True|False)|\b(True|False|None)\b|\b[a-z]+_[a-z0-9_]+\b")

SAMPLES = {
    "build_datacenter": {"region": "IND", "it_mw": 100},
    "build_plant": {"region": "IND", "technology": "solar", "mw": 100},
    "build_fab": {"region": "IND", "accelerator": "frontier", "h100e_per_quarter": 1000},
    "build_packaging": {"region": "IND", "h100e_per_quarter": 1000},
    "set_licence": {"region": "IND", "accelerator": "frontier", "cap_h100e": 5000, "revenue_share": 0.15},
    "set_import_ban": {"accelerator": "frontier", "banned": True},
    "set_enforcement": {"busd_per_year": 0.5},
    "buy_accelerators": {"region": "IND", "accelerator": "frontier", "h100e": 1000, "max_price_usd": 20000},
    "set_subsidy": {"rate": 0.2},
    "set_localisation": {"enabled": True},
    "set_export_controls": {"tier": 2, "accelerator": "frontier", "cap_h100e": 0},
    "set_export_tier": {"region": "IND", "tier": 3},
    "join_bloc": {"bloc": "allies"},
    "vote_on_application": {"bloc": "allies", "region": "IND", "accept": True},
    "leave_bloc": {"bloc": "brics"},
    "set_security_spending": {"busd_per_year": 2.0},
    "set_curtailment_priority": {"datacenters_last": True},
    "permitting_reform": {},
    "set_large_load_rules": {"moratorium": True, "onsite_required": False, "tariff_usd_mwh": 10.0},
    "expand_grid": {"mw_per_year": 1000.0},
    "upgrade_datacenter": {"datacenter": 0, "upgrade": "liquid_cooling"},
    "raise_funding": {"busd": 1.0},
    "set_compute_price": {"floor_usd_per_hour": 2.0},
    "decide": {"event_id": 0, "option": 0},
    "offer_deal": {"partner": "USA", "deal_kind": "security_pact", "quarters": 4},
    "answer_deal": {"deal": 0, "accept": True},
    "break_deal": {"deal": 0},
    "covert_action": {"operation": "cyber_operation", "target": "CHN", "busd": 1.0},
}


#: Ids that are also plain English a sentence may use ("domestic chips", "advanced packaging", "allies").
ENGLISH = {"advanced", "domestic", "allies"}


def _ids(model) -> re.Pattern[str]:
    """Region codes and class ids where the region's or class's name belongs."""
    ids = [r.id for r in model.scenario.regions] + [a.id for a in model.scenario.accelerators]
    ids += [b.id for b in model.scenario.blocs]
    return re.compile(r"\b(" + "|".join(re.escape(i) for i in ids if i not in ENGLISH) + r")\b")


def _without_paths(text: str) -> str:
    """Text minus file paths (a saves folder's name is the user's, shown as it is)."""
    return re.sub(r"\S*/\S*", " ", text)


def _plain(text: str) -> str:
    return re.sub(r"<[^>]+>", " ", text)


def test_every_command_kind_has_a_label_in_words(played_session):
    kinds = {typing.get_args(cls.model_fields["kind"].annotation)[0] for cls in typing.get_args(c.Command.__origin__)}
    assert kinds == set(SAMPLES), "add the new command kind to SAMPLES"
    ids = _ids(played_session.model)
    for kind, fields in SAMPLES.items():
        label = command_label(played_session.model, c.command_from_dict({"kind": kind, **fields}))
        assert not DEVELOPER_TEXT.search(label) and not ids.search(label), (kind, label)


def _gui_texts(app) -> list[str]:
    out = []
    for element in app.manager.get_sprite_group().sprites():
        for attr in ("text", "html_text"):
            value = getattr(element, attr, None)
            if isinstance(value, str):
                out.append(value)
    return out


def test_no_screen_and_no_action_form_shows_developer_text(make_app, played_session, shown):
    played_session.submit(c.SetLocalisation(enabled=True))  # a queued policy among the labels shown
    app, ui = make_app(session=played_session)
    app.start_session(played_session)
    ui.close_dialogs()
    ids = _ids(played_session.model)
    problems = []
    for name in SCREENS:
        shown.clear()
        app.open(name, **({"seat": played_session.seat} if name == "handover" else {}))
        ui.frames(3)
        for text in [*shown, *_gui_texts(app)]:
            if DEVELOPER_TEXT.search(_without_paths(_plain(text))):
                problems.append((name, text))
        events.post(events.BACK)
        ui.frames(2)
    app.open("game")
    ui.frames(2)
    game = app.top
    for spec in ACTIONS:
        shown.clear()
        game.set_tab("actions")
        game.open_action(spec.key)
        ui.frames(3)
        for text in [*shown, *_gui_texts(app)]:
            plain = _plain(text)
            if DEVELOPER_TEXT.search(plain) or ids.search(plain):
                problems.append((spec.key, text))
    assert not problems, problems[:10]


def test_the_diplomacy_screen_with_deals_shows_no_developer_text(make_app, diplomatic_session, shown, monkeypatch):
    """Offers, deals in every state and a bloc application, every card scrolled into view, and a row's tooltip."""
    from sovereign.ui import draw

    real_tooltip = draw.tooltip

    def tooltip(surface, fonts, lines, *a, **k):
        shown.extend(text for text, _, _ in lines)
        return real_tooltip(surface, fonts, lines, *a, **k)

    monkeypatch.setattr(draw, "tooltip", tooltip)
    s = diplomatic_session
    app, ui = make_app(session=s, size=(1280, 720))
    app.start_session(s)
    ui.key(pygame.K_RETURN)  # the hand-over
    ui.close_dialogs()
    shown.clear()
    ui.key(pygame.K_d)
    screen = app.top
    texts = []
    for first in range(screen._last_first_block() + 1):
        screen.first_block = first
        screen.rebuild()
        ui.frames(2)
        texts += _gui_texts(app)
    band, _ = screen._row_rects[0]
    pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=band.center, rel=(0, 0), buttons=(0, 0, 0)))
    ui.frames(2)
    assert any(t.startswith("Its trust in your nation") for t in shown), "the tooltip was drawn"
    ids = _ids(s.model)
    problems = [t for t in [*shown, *texts] if DEVELOPER_TEXT.search(_plain(t)) or ids.search(_plain(t))]
    assert not problems, problems[:10]


def test_the_quarter_report_shows_no_developer_text(make_app, tiny_scenario, tmp_path, shown):
    """A report of builds, a chip bid, policies, an offer and a refusal, every line scrolled into view."""
    from sovereign.game.session import new_session

    s = new_session(tiny_scenario, ["IND"], seed=5, save_dir=tmp_path, autosave=False)
    app, ui = make_app(session=s, size=(1280, 720))
    app.start_session(s)
    ui.close_dialogs()
    for kind, fields in SAMPLES.items():
        if kind in ("upgrade_datacenter", "answer_deal", "break_deal", "decide", "vote_on_application"):
            continue  # they need a datacenter, a deal, an event or an application first
        s.submit(c.command_from_dict({"kind": kind, **fields}))
    shown.clear()
    s.end_turn()
    ui.wait_quarter()
    screen = app.top
    assert screen.name == "report" and len(screen.report.accounted()) > 10
    texts = []
    for first in range(max(screen._last_first(col) for col in screen.columns) + 1):
        screen._first = [first, first]
        screen.rebuild()
        ui.frames(2)
        texts += _gui_texts(app)
        texts += [b.tool_tip_text or "" for b in screen.links]
    ids = _ids(s.model)
    problems = [t for t in [*shown, *texts] if DEVELOPER_TEXT.search(_plain(t)) or ids.search(_plain(t))]
    assert not problems, problems[:10]
