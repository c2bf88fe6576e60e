"""The action form: parameters of one action, its preview, and Confirm.

It opens over the side panel when the player picks an action. Every change of a parameter
re-runs the preview (cost after subsidy, time to build, expected effect, the validator's
verdict) so the player sees the consequences before confirming. Fields that do not all fit the
window (a small window at a large UI scale) are shown a page at a time. Confirm posts ``SUBMIT``; the
game screen submits the command through the session and answers with ``COMMAND_RESULT``. A
refusal keeps the form open with the model's reason; an acceptance closes it.
"""

from __future__ import annotations

from html import escape
from typing import Any

import pygame
import pygame_gui

from sovereign.game import fmt
from sovereign.game.actions import ACTION_BY_KEY, Field, build_command, fields_for, preview
from sovereign.game.session import GameSession
from sovereign.sim.commands import CommandError
from sovereign.ui import events
from sovereign.ui.theme import Fonts, Palette, Scale

#: Confirm pressed: ``command`` (a Command) and ``action`` (its key).
SUBMIT = pygame.event.custom_type()
#: The model's answer: ``accepted`` (bool), ``reason`` (str), ``action`` (key).
COMMAND_RESULT = pygame.event.custom_type()


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


class ActionForm(pygame_gui.elements.UIWindow):
    """A window with one action's fields, a live preview and Confirm / Cancel.

    Args:
        manager: Widget manager.
        rect: Where to put it (over the side panel).
        session: The game (read for previews; never changed here).
        key: Action key (see :data:`sovereign.game.actions.ACTIONS`).
        region: Region selected on the map (default target of builds).
        s: UI scale.
        palette: Colours for the preview text.
        prefill: Field values to start from (editing a queued command withdrawn for it).
    """

    def __init__(
        self,
        manager: pygame_gui.UIManager,
        rect: pygame.Rect,
        session: GameSession,
        key: str,
        region: str | None,
        s: Scale,
        palette: Palette,
        prefill: dict[str, Any] | None = None,
    ) -> None:
        spec = ACTION_BY_KEY[key]
        super().__init__(rect, manager, window_display_title=spec.label, object_id="#action_form", draggable=False)
        self.set_blocking(True)
        self.session = session
        self.key = key
        self.s = s
        self.palette = palette
        self.region = region
        self.fields: list[Field] = []
        self.values: dict[str, Any] = dict(prefill or {})
        self.widgets: dict[Any, Field] = {}
        self.value_labels: dict[str, pygame_gui.elements.UILabel] = {}
        self.result: tuple[bool, str] | None = None
        #: The first field shown when they do not all fit (a short window, a large UI scale).
        self.first_field = 0
        #: The fields page up and down (None when every field fits).
        self.page_buttons: tuple[Any, Any] | None = None
        self._page = (0, 0, 0)  # (first shown, one past the last shown, number of fields)
        self._children: list[Any] = []
        self._layout(initial=True)

    # -- layout -----------------------------------------------------------------------------

    def _layout(self, initial: bool = False) -> None:
        """Create (or recreate) every child widget from the current values."""
        for c in self._children:
            c.kill()
        self._children = []
        self.widgets = {}
        self.value_labels = {}
        s = self.s
        model = self.session.model
        seat = self.session.seat
        assert seat is not None
        region = self.values.get("region", self.region)
        fields = fields_for(model, seat, self.key, region)
        old = self.values
        self.fields = fields
        self.values = {}
        for fd in fields:
            keep = old.get(fd.name, fd.default)
            if fd.kind in ("choice", "bool") and keep not in [v for v, _ in fd.choices]:
                keep = fd.default
            self.values[fd.name] = keep
        cw, ch = self.get_container().get_size()
        pad = s(12)
        inner = cw - 2 * pad
        y = pad
        spec = ACTION_BY_KEY[self.key]
        desc_h = self._text_height(spec.tooltip, inner - s(8))
        bh = s(38)
        by = ch - bh - pad
        # fields that do not all fit above the preview are paged: the description keeps two lines
        # (it scrolls) and the fields show a page at a time, with buttons (and the wheel) to move
        heights = [s(40) if fd.kind in ("choice", "bool") else s(54) for fd in fields]
        preview_min = s(120)
        paged = pad + desc_h + s(6) + sum(heights) + s(4) + preview_min > by - s(8)
        if paged:
            desc_h = min(desc_h, 3 * Fonts(s.factor).line_height(15))
        self.first_field = min(self.first_field, max(0, len(fields) - 1)) if paged else 0
        desc = pygame_gui.elements.UITextBox(
            f"<font color='{_hex(self.palette.rgb('text_muted'))}'>{escape(spec.tooltip)}</font>",
            pygame.Rect(pad, y, inner, desc_h),
            self.ui_manager,
            container=self,
            object_id=pygame_gui.core.ObjectID(class_id="@plain_box"),
        )
        self._children.append(desc)
        y += desc_h + s(6)
        # the label column is as wide as the longest label (within half the form), so none is cut
        fonts = Fonts(s.factor)
        widest = max((fonts.size(fd.label, 15)[0] for fd in fields), default=0)
        label_w = min(max(s(130), widest + s(12)), inner // 2)
        nav_h = s(30)
        fields_bottom = by - s(8) - preview_min - (nav_h if paged else 0)
        shown = 0
        for k, fd in enumerate(fields):
            if k < self.first_field:
                continue
            if paged and y + heights[k] > fields_bottom and shown > 0:
                break
            shown += 1
            lab = pygame_gui.elements.UILabel(
                pygame.Rect(pad, y, label_w, s(32)), fd.label, self.ui_manager, container=self
            )
            self._children.append(lab)
            x = pad + label_w + s(6)
            width = inner - label_w - s(6)
            if fd.kind in ("choice", "bool"):
                labels = [lbl for _, lbl in fd.choices]
                current = next((lbl for v, lbl in fd.choices if v == self.values[fd.name]), labels[0])
                dd = pygame_gui.elements.UIDropDownMenu(
                    labels,
                    current,
                    pygame.Rect(x, y, width, s(32)),
                    self.ui_manager,
                    container=self,
                    object_id=pygame_gui.core.ObjectID(object_id=f"#field_{fd.name}"),
                )
                if fd.tooltip:
                    lab.set_tooltip(fd.tooltip) if hasattr(lab, "set_tooltip") else None
                self.widgets[dd] = fd
                self._children.append(dd)
                y += s(40)
            else:
                value = self.values[fd.name]
                start = fd.hi if value is None else float(value)
                slider = pygame_gui.elements.UIHorizontalSlider(
                    pygame.Rect(x, y, width, s(28)),
                    start_value=min(max(start, fd.lo), fd.hi),
                    value_range=(fd.lo, fd.hi),
                    manager=self.ui_manager,
                    container=self,
                    click_increment=fd.step,
                    object_id=pygame_gui.core.ObjectID(object_id=f"#field_{fd.name}"),
                )
                self.widgets[slider] = fd
                self._children.append(slider)
                val = pygame_gui.elements.UILabel(
                    pygame.Rect(x, y + s(28), width, s(22)),
                    fd.unit(value),
                    self.ui_manager,
                    container=self,
                    object_id=pygame_gui.core.ObjectID(class_id="@muted"),
                )
                self.value_labels[fd.name] = val
                self._children.append(val)
                y += s(54)
        self.page_buttons = None
        if paged:
            y = self._page_row(pad, y, inner, nav_h, self.first_field, self.first_field + shown, len(fields))
        preview_h = max(preview_min, by - s(8) - y - s(4)) if paged else max(s(120), ch - y - s(64))
        self.preview_box = pygame_gui.elements.UITextBox(
            "",
            pygame.Rect(pad, y + s(4), inner, preview_h),
            self.ui_manager,
            container=self,
        )
        self._children.append(self.preview_box)
        bw = (inner - s(10)) // 2
        self.confirm = pygame_gui.elements.UIButton(
            pygame.Rect(pad, by, bw, bh),
            "Confirm",
            self.ui_manager,
            container=self,
            tool_tip_text="Queue this action for the quarter (Enter). It is applied when the quarter is played.",
            object_id=pygame_gui.core.ObjectID(object_id="#confirm", class_id="@primary"),
        )
        self.cancel = pygame_gui.elements.UIButton(
            pygame.Rect(pad + bw + s(10), by, bw, bh),
            "Cancel",
            self.ui_manager,
            container=self,
            tool_tip_text="Close without doing anything (Esc)",
        )
        self._children += [self.confirm, self.cancel]
        self.refresh_preview()

    def _page_row(self, x: int, y: int, width: int, height: int, first: int, end: int, n: int) -> int:
        """The "Fields 1-4 of 8" row with buttons to the previous and next page; returns the y below it."""
        s = self.s
        fonts = Fonts(s.factor)
        labels = ("Earlier fields", "More fields")
        bws = [fonts.size(lab, 13)[0] + s(20) for lab in labels]
        more = pygame_gui.elements.UIButton(
            pygame.Rect(x + width - bws[1], y, bws[1], height - s(4)),
            labels[1],
            self.ui_manager,
            container=self,
            tool_tip_text="Show the next fields (Page Down or the wheel)",
            object_id=pygame_gui.core.ObjectID(object_id="#more_fields", class_id="@small"),
        )
        back = pygame_gui.elements.UIButton(
            pygame.Rect(x + width - bws[1] - s(6) - bws[0], y, bws[0], height - s(4)),
            labels[0],
            self.ui_manager,
            container=self,
            tool_tip_text="Show the fields above (Page Up or the wheel)",
            object_id=pygame_gui.core.ObjectID(object_id="#earlier_fields", class_id="@small"),
        )
        if first == 0:
            back.disable()
        if end >= n:
            more.disable()
        note = pygame_gui.elements.UILabel(
            pygame.Rect(x, y, max(s(20), width - bws[0] - bws[1] - s(12)), height - s(4)),
            f"Fields {first + 1}-{end} of {n}",
            self.ui_manager,
            container=self,
            object_id=pygame_gui.core.ObjectID(class_id="@muted"),
        )
        self.page_buttons = (back, more)
        self._children += [more, back, note]
        self._page = (first, end, n)
        return y + height

    def page(self, step: int) -> None:
        """Show the previous (-1) or next (+1) page of fields, when they do not all fit."""
        if self.page_buttons is None:
            return
        first, end, n = self._page
        new = max(0, first - (end - first)) if step < 0 else (end if end < n else first)
        if new != first:
            self.first_field = new
            self._layout()

    def _text_height(self, text: str, width: int) -> int:
        """Height a text box needs for ``text`` in the widget font (so it never scrolls)."""
        fonts = Fonts(self.s.factor)
        return (len(fonts.wrap(text, 15, width - self.s(16))) + 1) * fonts.line_height(15)

    # -- values and preview -------------------------------------------------------------------

    def command(self) -> Any:
        """The command the form would submit now (None if the values are not a valid command)."""
        values = {k: v for k, v in self.values.items() if not (k == "bloc" and v == "")}
        try:
            return build_command(self.key, values)
        except CommandError:
            return None

    def refresh_preview(self) -> None:
        """Recompute cost, time, effect and verdict into the preview box."""
        pal = self.palette
        text, muted = _hex(pal.rgb("text")), _hex(pal.rgb("text_muted"))
        good, bad = _hex(pal.rgb("positive")), _hex(pal.rgb("negative"))
        accent = _hex(pal.rgb("accent"))
        cmd = self.command()
        seat = self.session.seat
        parts: list[str] = []
        if cmd is None or seat is None:
            parts.append(f"<font color='{bad}'>These values do not make a valid command.</font>")
        else:
            p = preview(self.session.model, seat, cmd)
            cost_line = f"<b>Cost</b> {fmt.money(p.cost_busd)}"
            if p.subsidy_busd > 0:
                cost_line += f" − subsidy {fmt.money(p.subsidy_busd)} = <b>{fmt.money(p.net_cost_busd)}</b>"
            if p.cost_busd <= 0:
                cost_line = "<b>Cost</b> nothing up front"
            parts.append(f"<font color='{text}'>{cost_line}</font>")
            if p.quarters is not None:
                parts.append(
                    f"<font color='{text}'><b>Time to build</b> {fmt.quarters(p.quarters)} — online in {p.ready}</font>"
                )
            else:
                parts.append(f"<font color='{text}'><b>Takes effect</b> when the quarter is played</font>")
            if p.effects:
                parts.append(f"<font color='{accent}'><b>Expected effect</b></font>")
                for e in p.effects:
                    parts.append(f"<font color='{muted}'>• {escape(e)}</font>")
            if p.verdict is None:
                parts.append(f"<font color='{good}'><b>Allowed by the rules</b> — Confirm to queue it</font>")
            else:
                parts.append(f"<font color='{bad}'><b>Would be refused:</b> {escape(p.verdict)}</font>")
        if self.result is not None and not self.result[0]:
            parts.append(f"<font color='{bad}'><b>Refused by the model:</b> {escape(self.result[1])}</font>")
        self.preview_box.set_text("<br>".join(parts))
        for name, lab in self.value_labels.items():
            fd = next(f for f in self.fields if f.name == name)
            lab.set_text(fd.unit(self.values[name]))

    def set_value(self, name: str, value: Any) -> None:
        """Change a parameter (as the widgets do) and refresh the preview."""
        self.values[name] = value
        self.result = None
        if name == "region" and self.key in ("buy_accelerators", "set_export_tier"):
            self._layout()
        else:
            self.refresh_preview()

    def _snap(self, fd: Field, raw: float) -> Any:
        if fd.none_at_max and raw >= fd.hi - fd.step / 2:
            return None
        steps = round((raw - fd.lo) / fd.step)
        v = fd.lo + steps * fd.step
        v = min(max(v, fd.lo), fd.hi)
        return round(v, 6)

    # -- events -------------------------------------------------------------------------------

    def process_event(self, event: pygame.event.Event) -> bool:
        """Field changes, Confirm (or Enter), Cancel (or Escape), and the model's answer."""
        if event.type == pygame_gui.UI_HORIZONTAL_SLIDER_MOVED and event.ui_element in self.widgets:
            fd = self.widgets[event.ui_element]
            self.set_value(fd.name, self._snap(fd, float(event.value)))
            return True
        if event.type == pygame_gui.UI_DROP_DOWN_MENU_CHANGED and event.ui_element in self.widgets:
            fd = self.widgets[event.ui_element]
            value = next((v for v, lbl in fd.choices if lbl == event.text), fd.default)
            self.set_value(fd.name, value)
            return True
        if event.type == pygame_gui.UI_BUTTON_PRESSED:
            if self.page_buttons is not None and event.ui_element in self.page_buttons:
                self.page(-1 if event.ui_element is self.page_buttons[0] else 1)
                return True
            if event.ui_element is self.confirm:
                self.confirm_action()
                return True
            if event.ui_element is self.cancel:
                self.kill()
                return True
        if event.type == pygame.KEYDOWN:
            if event.key in (pygame.K_RETURN, pygame.K_KP_ENTER):
                self.confirm_action()
                return True
            if event.key == pygame.K_ESCAPE:
                self.kill()
                return True
            if event.key in (pygame.K_PAGEUP, pygame.K_PAGEDOWN) and self.page_buttons is not None:
                self.page(-1 if event.key == pygame.K_PAGEUP else 1)
                return True
        if (
            event.type == pygame.MOUSEWHEEL
            and self.page_buttons is not None
            and self.hover_point(*pygame.mouse.get_pos())
        ):
            self.page(-1 if event.y > 0 else 1)
            return True
        if event.type == COMMAND_RESULT and getattr(event, "action", None) == self.key:
            if event.accepted:
                self.kill()
            else:
                self.result = (False, event.reason)
                self.refresh_preview()
            return True
        return super().process_event(event)

    def confirm_action(self) -> None:
        """Ask the game screen to submit the command."""
        cmd = self.command()
        if cmd is None:
            self.result = (False, "these values do not make a valid command")
            self.refresh_preview()
            return
        events.post(SUBMIT, command=cmd, action=self.key)
