"""The command desk: seats submit commands here, the validator accepts or refuses them with a reason.

Every submission is logged with its origin (human or AI), so a replay re-submits exactly the
human commands; news items are added here too, so the logs have one writer.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from sovereign.scenario.schema import quarter_label
from sovereign.sim.commands import (
    BuildDatacenter,
    BuildPlant,
    Command,
    command_cost_busd,
    command_from_dict,
    command_to_dict,
    net_cost_busd,
    surely_affordable,
    validate_command,
)
from sovereign.sim.gamestate import ModelParts

if TYPE_CHECKING:
    pass


class CommandResult(dict[str, Any]):
    """Outcome of a submitted command: ``accepted`` and ``reason`` (empty when accepted)."""

    @property
    def accepted(self) -> bool:
        """Whether the validator accepted the command."""
        return bool(self["accepted"])

    @property
    def reason(self) -> str:
        """Why it was refused (empty when accepted)."""
        return str(self["reason"])


class CommandDesk(ModelParts):
    """Submitting, validating and logging commands, mixed into `SovereignModel`."""

    def subsidy_for(self, seat_id: str, cmd: Command) -> float:
        """State subsidy a firm would receive for a build (paid by the host nation, if it can)."""
        owed = self.subsidy_owed(seat_id, cmd)
        if owed <= 0 or not isinstance(cmd, BuildDatacenter | BuildPlant):
            return 0.0
        return self.subsidy_payable(self.region_ix[cmd.region], owed)

    def subsidy_owed(self, seat_id: str, cmd: Command) -> float:
        """State subsidy a build earns a firm at the host's rate, whether or not the host can pay it ($B)."""
        if not isinstance(cmd, BuildDatacenter | BuildPlant) or self.seats[seat_id].kind == "nation":
            return 0.0
        return command_cost_busd(self.as_model(), seat_id, cmd) * float(self.world.subsidy[self.region_ix[cmd.region]])

    def subsidy_payable(self, region: int, want_busd: float) -> float:
        """What the host nation of `region` can pay of a subsidy owed: all of it, or the cash it has."""
        host_cash: float = self.seats[self.scenario.regions[region].id].state["cash_busd"]
        return min(want_busd, max(host_cash, 0.0))

    def pay_subsidy(self, region: int, seat_id: str, want_busd: float) -> float:
        """The host of `region` pays `seat_id` a subsidy owed, as far as its cash allows; what it paid.

        Owed and paid are counted for the quarter: investors judge the host's scheme by them
        (`credible_subsidy`).
        """
        w = self.world
        amount = self.subsidy_payable(region, want_busd)
        w.subsidy_owed_busd[region] += want_busd
        w.subsidy_paid_busd[region] += amount
        if amount > 0:
            self.as_model().transfer(self.scenario.regions[region].id, seat_id, amount, "subsidy")
        return amount

    def committed_busd(self, seat_id: str) -> float:
        """Cash already promised this quarter by queued commands (bids, builds).

        Cached per seat and extended as commands queue, so a quarter's validation stays linear.
        """
        queue = self.pending.get(seat_id)  # .get: reading must not create an entry in the defaultdict
        if not queue:
            return 0.0
        cache = self.committed_cache.get(seat_id)
        if cache is None or cache[0] is not queue or cache[1] > len(queue):
            cache = (queue, 0, 0.0)
        _, n, total = cache
        for c in queue[n:]:
            total += net_cost_busd(self.as_model(), seat_id, c)
        self.committed_cache[seat_id] = (queue, len(queue), total)
        return total

    def submit(self, seat_id: str, command: Command | dict[str, Any], origin: str = "human") -> CommandResult:
        """Queue a command for this quarter if the validator accepts it; say why if not.

        `origin` ("human" or "ai") is logged so a replay re-submits exactly the human commands.
        """
        cmd = command_from_dict(command) if isinstance(command, dict) else command
        reason = self._submit(seat_id, cmd, origin)
        return CommandResult(accepted=reason is None, reason=reason or "")

    def submit_all(self, seat_id: str, cmds: list[Command], origin: str = "ai") -> None:
        """Submit a seat's commands in order, as `submit` one by one would (the AI's quarter).

        Why a batch: when the seat's cash surely covers the whole batch on top of its queue
        (`surely_affordable`), no budget check of it can refuse, so they are skipped; every
        outcome and log line is the one `submit` gives.
        """
        if not cmds:  # a third of the AI's seats have nothing to do in a quarter: nothing to check or log
            return
        m = self.as_model()
        budget = not surely_affordable(m, seat_id, cmds, self.committed_busd(seat_id))
        # `_submit` written out, with what is the same for the whole batch looked up once
        pending = self.pending
        refused: dict[int, str] = {}
        for i, cmd in enumerate(cmds):
            reason = validate_command(m, seat_id, cmd, budget)
            if reason is None:
                pending[seat_id].append(cmd)
            else:
                refused[i] = reason
        self.command_log.add_submissions(_quarter_label(self.quarter), seat_id, cmds, refused, origin)

    def _submit(self, seat_id: str, cmd: Command, origin: str, budget: bool = True) -> str | None:
        """`submit` for a typed command: validate, queue if accepted, log; the reason if refused."""
        reason = validate_command(self.as_model(), seat_id, cmd, budget)
        if reason is None:
            self.pending[seat_id].append(cmd)
        self.command_log.add_submissions(
            _quarter_label(self.quarter), seat_id, [cmd], {} if reason is None else {0: reason}, origin
        )
        return reason

    def withdraw(self, seat_id: str, index: int, origin: str = "human") -> Command | None:
        """Take a queued command back before the quarter is played; None if there is none at `index`.

        Logged (stage ``withdraw``, with its place in the queue) so a replay withdraws it at the same
        point: later submissions were validated with it gone, so dropping it from the log instead
        would replay them against money it still held.
        """
        queue = self.pending.get(seat_id)  # .get: reading must not create an entry in the defaultdict
        if not queue or not 0 <= index < len(queue):
            return None
        cmd = queue.pop(index)
        self.committed_cache.pop(seat_id, None)  # the cache only ever extends a queue
        self.command_log.append(
            {
                "quarter": _quarter_label(self.quarter),
                "seat": seat_id,
                "command": command_to_dict(cmd),
                "accepted": True,
                "reason": "",
                "stage": "withdraw",
                "origin": origin,
                "index": index,
            }
        )
        return cmd

    def hand_seat(self, seat_id: str, player: str) -> bool:
        """Give a seat to people (``"human"``) or to its AI policy (``"ai"``) from the next quarter played.

        Who plays a seat only matters when the quarter is played (`step` lets the AI decide for
        the seats that are not human), so a hand-over takes effect then; commands the seat has
        already queued stand. Logged (stage ``control``, the new player as the command's ``to``)
        so a replay hands the seat over at the same point of the log.

        Returns:
            Whether anything changed (False when the seat already had that player).

        Raises:
            ValueError: The seat is not playing, or `player` is neither "human" nor "ai".
        """
        if player not in ("human", "ai"):
            raise ValueError(f"a seat is played by 'human' or 'ai', not {player!r}")
        if seat_id not in self.seats:
            raise ValueError(f"{seat_id!r} is not a seat still in the game")
        if (seat_id in self.human_seats) == (player == "human"):
            return False
        if player == "human":
            self.human_seats.add(seat_id)
        else:
            self.human_seats.discard(seat_id)
        self.command_log.append(
            {
                "quarter": _quarter_label(self.quarter),
                "seat": seat_id,
                "command": {"kind": "hand_seat", "to": player},
                "accepted": True,
                "reason": "",
                "stage": "control",
                "origin": "human",
            }
        )
        return True

    def log_refused(self, seat: str, cmd: Command, reason: str) -> None:
        """Log a queued command refused when it was applied (the money had gone)."""
        self.command_log.append(
            {
                "quarter": _quarter_label(self.quarter),
                "seat": seat,
                "command": command_to_dict(cmd),
                "accepted": False,
                "reason": reason,
                "stage": "apply",
                "origin": "human" if seat in self.human_seats else "ai",
            }
        )

    def add_news(self, kind: str, headline: str, region: str | None, actor: str | None, text: str = "") -> None:
        """Add an item to this quarter's news ticker."""
        item = {
            "quarter": quarter_label(self.quarter),
            "kind": kind,
            "headline": headline,
            "region": region,
            "actor": actor,
            "text": text,
        }
        self.quarter_news.append(item)
        self.news.append(item)


#: Quarter labels of the log entries (~150 a quarter), computed once per quarter.
_quarter_label = functools.lru_cache(maxsize=256)(quarter_label)
