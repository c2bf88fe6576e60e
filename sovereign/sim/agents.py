"""Mesa agents: who decides what each quarter. Agents decide, arrays compute.

Every seat is a Mesa agent holding a JSON-able ``state`` dict (cash, memory) and an AI policy
(`decide`) used when no human plays it. Policies only return commands; the model validates and
applies them like a player's. Difficulty levels change what the AI knows and how boldly it acts:

========== ======================================================================================
level      handicap
========== ======================================================================================
easy       reads prices two quarters old, misjudges returns by +-30%, invests half as much, never
           uses the subtle levers (localisation, permitting reform, curtailment priority)
normal     reads last quarter's prices, +-10% misjudgement, full investment, uses every lever
hard       last quarter's prices, no misjudgement, looks 3 years ahead instead of 2, invests 20%
           more, protects datacenters in shortages and reforms permitting early
========== ======================================================================================
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from sovereign.sim.commands import (
    BuildDatacenter,
    BuildFab,
    BuildPlant,
    BuyAccelerators,
    Command,
    Decide,
    PermittingReform,
    RaiseFunding,
    SetCurtailmentPriority,
    SetLocalisation,
    SetSecuritySpending,
    SetSubsidy,
)

if TYPE_CHECKING:
    from sovereign.sim.model import SovereignModel

DIFFICULTY: dict[str, dict[str, Any]] = {
    "easy": {"lag": 2, "noise": 0.3, "invest": 0.5, "horizon_q": 8, "levers": False},
    "normal": {"lag": 1, "noise": 0.1, "invest": 1.0, "horizon_q": 8, "levers": True},
    "hard": {"lag": 1, "noise": 0.0, "invest": 1.2, "horizon_q": 12, "levers": True},
}
#: Service life used to spread datacenter capex over hours when comparing regions.
DC_LIFE_HOURS = 10 * 8760.0
#: Exposure scale: $B of yearly threat per unit of threat_exposure per $B of GDP.
THREAT_BUSD_PER_GDP = 0.0003


def fast_round(x: float, ndigits: int) -> float:
    """``round(x, ndigits)`` exactly, about twice as fast for the bids' prices and quantities.

    Why: the builtin rounds through a decimal string (correctly rounded, ties to even), which is
    slow, and the AI rounds two numbers per bid. Scaled by ``10**ndigits``, a number that is not
    within 1e-6 of a tie rounds to the same integer whether the scaling was exact or not (the
    scaling errs by under 1e-7 below 2**30), and that integer divided by ``10**ndigits`` is the
    float nearest the decimal, which is what the builtin returns. Near ties, large, negative or
    non-float numbers go to the builtin.
    """
    if type(x) is float and 0 <= ndigits < len(_POW10):
        scale = _POW10[ndigits]
        y = x * scale
        if 0.0 <= y < 1073741824.0:  # 2**30
            n = math.floor(y)
            frac = y - n  # exact
            if frac < 0.5 - 1e-6:
                return n / scale
            if frac > 0.5 + 1e-6:
                return (n + 1) / scale
    return round(x, ndigits)


_POW10 = (1.0, 10.0, 100.0, 1000.0)


class SeatAgent(mesa.Agent):
    """A seat of the game: a nation or a firm. Its AI policy decides when no human does."""

    kind = "seat"

    def __init__(self, model: SovereignModel, seat_id: str, state: dict[str, Any]) -> None:
        super().__init__(model)
        self.seat_id = seat_id
        self.state = state

    @property
    def name(self) -> str:
        """Display name."""
        return str(self.state["name"])

    @property
    def cash_busd(self) -> float:
        """Cash (firms) or unspent budget (nations), $B."""
        return float(self.state["cash_busd"])

    @property
    def params(self) -> dict[str, Any]:
        """The difficulty parameters of this seat's AI."""
        return DIFFICULTY[self.difficulty]

    @property
    def difficulty(self) -> str:
        """This seat's AI difficulty: its own setting, else the game's."""
        return self.state.get("difficulty") or self.model.difficulty

    def decide(self) -> list[Command]:
        """This quarter's commands from the AI policy."""
        return []

    def grow_demand(self) -> None:
        """Labs and startups grow their compute demand; others have none."""

    # -- helpers shared by policies -----------------------------------------------------------
    def _rng(self) -> np.random.Generator:
        return self.model.rngs["agents"]

    def _signal(self, key: str) -> Any:
        """A market signal as this AI perceives it (possibly stale on easy)."""
        hist = self.model.metrics.signals
        lag = self.params["lag"]
        if len(hist) >= lag:
            return hist[-lag][key]
        return self.model.last[key]

    def _noise(self) -> float:
        """Multiplicative misjudgement: 1 on hard, N(1, sd) otherwise."""
        sd = self.params["noise"]
        return float(self._rng().normal(1.0, sd)) if sd > 0 else 1.0

    def _noises(self, n: int, sd: float) -> list[float]:
        """`n` misjudgement factors N(1, sd), drawn in one call (all 1 when sd is 0)."""
        return self._rng().normal(1.0, sd, n).tolist() if sd > 0 else [1.0] * n

    def _invest(self, cash_share: float = 0.45) -> list[Command]:
        """Build datacenters where returns are best, and fill them with accelerators.

        Everything that is the same for every investor (margins by region, candidate regions,
        free space by seat) comes from the quarter's `investor_view`, as plain Python lists: the
        per-seat part is a few dozen float operations, which Python does faster than numpy on
        arrays this small.
        """
        m, w, sc = self.model, self.model.world, self.model.scenario
        v = m.investor_view()
        p = self.params
        cmds: list[Command] = []
        home = m.region_ix[self.state["home"]]
        n_r = len(m.region_ix)
        me = m.seat_pos[self.seat_id]
        free_by_region = v["free_by_seat"].get(me, {})  # region -> free kW, where there is any
        # one draw for both uses (the same numbers as drawing n_r, then 2 per region)
        noise = self._noises(n_r + 2 * len(free_by_region), p["noise"])
        # candidate regions: home, allies, and tier-2 markets (tier-1 firms avoid tier-3 hosts)
        cand = (home,) if self.kind == "nation" else v["firm_candidates_list"][home]
        cls = v["class_for_list"][home]
        kw_new = v["kw_new_list"][cls]
        margin = m.investor_margins(p["lag"])[cls]
        # the best candidate (like numpy's argmax over scores that are -inf off the candidates:
        # the first maximum, or the first NaN)
        best, best_score = 0, -math.inf
        for r in cand:
            score = ((margin[r] + 0.15) if r == home else margin[r]) * noise[r]
            if score > best_score:
                best, best_score = r, score
            elif score != score:
                best, best_score = r, score
                break
        # how much to build: my share of the gap between demand ahead and capacity in the pipeline
        ahead = v["demand_now"] * (1.0 + m.globals["growth"]) ** (p["horizon_q"] / 4.0)
        gap = ahead / 0.85 - v["fleet"] - (v["space_kw"] + v["building_mw"] * 1000.0) / kw_new
        owned = v["owned_stock_list"]
        mine = owned[me] if me < len(owned) else 0.0
        if self.kind == "nation":
            # a sovereign programme sizes itself to the nation's own untrusted demand, not the world's
            pillars = m.last.get("pillars")
            demand = v["demand_by_region"][home]
            trusted = float(pillars["compute_self_reliance"][home]) if pillars is not None else 0.0
            want_h100e = demand * (1.0 - trusted) * 0.25 - v["building_by_seat"].get(self.seat_id, 0.0) * 1000 / kw_new
        else:
            share = max(mine / max(v["fleet"], 1.0), 0.02)
            want_h100e = gap * share
        want_mw = max(want_h100e, 0.0) * kw_new / 1000.0 * p["invest"]
        if best_score > 0 and want_mw >= 20.0:
            # numpy scalars on purpose: `round` below rounds them the way it always has
            cost_per_mw = v["capex_per_kw"][best] / 1e6 * (1.0 - w.subsidy[best])
            mw = min(want_mw, 2000.0, self.cash_busd * cash_share / max(cost_per_mw, 1e-9))
            if mw >= 20.0:
                cmds.append(BuildDatacenter(region=sc.regions[best].id, it_mw=round(mw, 1)))
        # buy accelerators for free space, region by region: the best class allowed there takes
        # most of the space, the next allowed class the rest (`investor_view`'s "bid_slots"), so
        # capped buyers still grow and older classes keep a market while they are made
        if not free_by_region:
            return cmds
        budget = self.cash_busd * 0.5
        util = v["util_list"][me]
        premium = min(1.3, max(0.8, 0.95 + 0.6 * (util - 0.7)))  # pay up when halls are busy
        slots, region_ids = v["bid_slots"], v["region_ids"]
        for i, (r, free_kw) in enumerate(free_by_region.items()):
            j = n_r + 2 * i  # this region's two misjudgement factors
            for part, kw, price, floor, accelerator in slots[r]:
                free = free_kw * part / kw
                if free >= 1000:  # orders under ~$15M are not worth a tender
                    bid = max(price * premium * noise[j], floor)
                    qty = min(free, budget * 1e9 / bid * 0.95)
                    if qty >= 1000:
                        cmds.append(
                            BuyAccelerators(
                                accelerator=accelerator,
                                h100e=fast_round(qty, 1),
                                max_price_usd=fast_round(bid, 2),
                                region=region_ids[r],
                            )
                        )
                        budget -= qty * bid / 1e9
                j += 1
        return cmds


class Nation(SeatAgent):
    """A government: subsidies, data law, security, grid, sovereign compute, alliances, controls."""

    kind = "nation"

    def decide(self) -> list[Command]:
        """Close the weakest sovereignty gaps the budget allows."""
        m, w, sc = self.model, self.model.world, self.model.scenario
        r = m.region_ix[self.seat_id]
        reg = sc.regions[r]
        level = self.difficulty
        p = DIFFICULTY[level]
        cmds: list[Command] = []
        pillars = m.last.get("pillars")
        income = reg.gdp_busd * reg.ai_budget_share  # per year
        exposure = reg.threat_exposure * reg.gdp_busd * THREAT_BUSD_PER_GDP
        target = {"easy": 0.8, "normal": 1.2, "hard": 1.5}[level] * exposure
        target = min(target, 0.4 * income)
        if abs(target - w.security_busd[r]) > 0.1 * max(target, 1e-6):
            cmds.append(SetSecuritySpending(busd_per_year=round(target, 3)))
        for event_id in sorted(m.pending_decisions.get(self.seat_id, {})):
            cmds.append(Decide(event_id=event_id, option=0))
        if pillars is None:
            return cmds
        compute = float(pillars["compute_self_reliance"][r])
        if p["levers"]:
            rate = 0.3 if level == "hard" and compute < 0.6 else (0.2 if compute < 0.5 else 0.1)
            if abs(rate - w.subsidy[r]) > 1e-9:
                cmds.append(SetSubsidy(rate=rate))
            data = float(pillars["data_governance"][r])
            if data < 0.5 and not w.localisation[r] and reg.export_tier > 1:
                cmds.append(SetLocalisation(enabled=True))
            if level == "hard":
                if not w.dc_last[r]:
                    cmds.append(SetCurtailmentPriority(datacenters_last=True))
                if w.permitting_quarters[r] >= 4 and self.cash_busd > 10:
                    cmds.append(PermittingReform())
        # keep the lights on: build generation when the peak reserve margin runs thin
        margin = float(m.last["reserve_margin"][r])
        if margin < 0.1:
            peak = float(m.last["power_demand"][:, r].max())
            tech = "solar" if reg.marker.lat < 35 else "wind"
            firm = "gas" if "gas" in sc.technologies else tech
            mw = round(0.05 * peak, 1)
            for t in (firm, tech):
                if t not in sc.technologies:
                    continue
                cost = mw * sc.technologies[t].capex_musd_per_mw / 1000.0
                if cost < 0.3 * self.cash_busd and mw > 1:
                    cmds.append(BuildPlant(region=self.seat_id, technology=t, mw=mw))
                    break
        # sovereign compute programme when self-reliance is low
        if compute < 0.5 and self.cash_busd > 1.0:
            cmds.extend(self._invest(cash_share=0.3))
        return cmds


class Conglomerate(SeatAgent):
    """A diversified group (Adani, Reliance, Tata, SoftBank, G42/MGX...): datacenters and power."""

    kind = "conglomerate"

    def decide(self) -> list[Command]:
        """Invest where returns and incentives are best; add power where the grid is short."""
        m, sc = self.model, self.model.scenario
        cmds = self._invest()
        home = m.region_ix[self.state["home"]]
        if m.last["reserve_margin"][home] < 0.15 and self.cash_busd > 2:
            tech = "solar" if "solar" in sc.technologies else "gas"
            mw = round(min(1000.0, self.cash_busd * 0.1 / sc.technologies[tech].capex_musd_per_mw * 1000), 1)
            if mw >= 50:
                cmds.append(BuildPlant(region=self.state["home"], technology=tech, mw=mw))
        return cmds


class CloudProvider(SeatAgent):
    """A cloud provider: buys accelerators, builds datacenters, sells compute."""

    kind = "cloud"

    def decide(self) -> list[Command]:
        """Grow capacity with demand; fill datacenters with the best chips it may buy."""
        return self._invest()


class ChipFab(SeatAgent):
    """A foundry: expands capacity when its accelerators sell out at a good price."""

    kind = "fab"

    def decide(self) -> list[Command]:
        """Expand when last quarter's output sold out above list price."""
        m, w, sc = self.model, self.model.world, self.model.scenario
        mine = w.fab_owner == m.seat_index(self.seat_id)
        if not mine.any():
            return []
        cmds: list[Command] = []
        cls = int(np.bincount(w.fab_class[mine], weights=w.fab_capacity[mine]).argmax())
        supply = float(m.last["chip_supply"][cls])
        sold = float(m.last["chip_sold"][cls])
        price = float(np.asarray(self._signal("chip_price"))[cls])
        sold_out = supply > 0 and sold >= 0.95 * supply
        # (the misjudgement is drawn only for a sold-out class; `building` is read only if needed)
        if sold_out and price >= 0.95 * m.list_price[cls] * self._noise() and not self._building_fab():
            size = 0.15 * float(w.fab_capacity[mine].sum()) * self.params["invest"]
            cost = size / 1000.0 * sc.economics.fab_capex_busd_per_kh100e_quarter
            if cost > 0.8 * self.cash_busd:
                size *= 0.8 * self.cash_busd / cost
            if size > 1000:
                cmds.append(
                    BuildFab(
                        region=self.state["home"], accelerator=sc.accelerators[cls].id, h100e_per_quarter=round(size, 1)
                    )
                )
        if self.cash_busd < 0.5 and not self.state.get("raising"):
            cmds.append(RaiseFunding(busd=round(max(1.0, 0.05 * self.state.get("valuation_busd", 10.0)), 2)))
        return cmds

    def _building_fab(self) -> bool:
        """Whether one of this seat's fabs is under construction."""
        return any(p["kind"] == "build_fab" and p["owner"] == self.seat_id for p in self.model.world.projects)


class AIStartup(SeatAgent):
    """An AI lab or agentic-AI startup: wants compute, raises money, grows or dies."""

    kind = "startup"

    def __init__(self, model: SovereignModel, seat_id: str, state: dict[str, Any]) -> None:
        super().__init__(model, seat_id, state)
        if state.get("named"):
            self.kind = "lab"

    def decide(self) -> list[Command]:
        """Raise money before it runs out; labs that own datacenters also fill them."""
        cmds: list[Command] = []
        burn = self.state.get("paid_q", 0.0)
        if self.cash_busd < 2.0 * burn + 0.01 and not self.state.get("raising"):
            ask = max(4.0 * burn, 0.02, 0.1 * self.state.get("valuation_busd", 0.0))
            cmds.append(RaiseFunding(busd=round(min(ask, 400.0), 3)))
        if self.model.seat_pos[self.seat_id] in self.model.investor_view()["dc_owners"]:  # owns datacenters
            cmds.extend(self._invest(cash_share=0.3))
        return cmds

    def grow_demand(self) -> None:
        """Demand grows when the lab is served and solvent, and shrinks when it is not."""
        st = self.state
        d = st.get("demand_h100e", 0.0)
        served = st.get("served_h100e", 0.0) / max(d, 1e-9)
        g = self.model.globals["growth"] * (1.3 if self.kind == "startup" else 1.0)
        if served >= 0.7 and st["cash_busd"] > 0:
            st["demand_h100e"] = d * (1.0 + g) ** 0.25
        else:
            st["demand_h100e"] = d * 0.97


AGENT_CLASSES: dict[str, type[SeatAgent]] = {
    "conglomerate": Conglomerate,
    "cloud": CloudProvider,
    "fab": ChipFab,
    "lab": AIStartup,
}
