"""Construction: projects whose build time is over join the world's tables.

A datacenter comes online empty (accelerators are bought separately) at the new-build PUE, once
it is built and its grid connection is granted (`sovereign.sim.phases.grid`); one that brings its
own on-site generation comes online with its gas plant, which joins its owner's plants; a
plant adds to its region's grid and pays its owner a share of the power market's margins; a fab
starts producing next quarter's chips, a packaging line packages its owner's wafers from
now on. A project whose owner went bankrupt is abandoned. Owns:
the project list and the world's datacenter, plant and fab tables.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sovereign.sim import economics as econ
from sovereign.sim.phases.diplomacy import ventures_built
from sovereign.sim.phases.grid import connection_row
from sovereign.sim.world import TECHNOLOGIES

if TYPE_CHECKING:
    from sovereign.sim.model import SovereignModel


def complete_projects(model: SovereignModel) -> list[dict[str, Any]]:
    """Bring finished projects online; return them (for the news and the quarter report)."""
    w, sc = model.world, model.scenario
    keep, finished = [], []
    dcs: tuple[list[Any], ...] = ([], [], [], [], [])  # region, owner, MW, PUE, name
    plants: tuple[list[Any], ...] = ([], [], [], [])  # region, owner, technology, MW
    built: dict[int, tuple[str, int]] = {}  # project id -> the datacenter or fab row it became
    first_dc = len(w.dc_owner)
    quarter = model.quarter  # read once: a property of the model, and the list holds ~150 projects
    for p in w.projects:
        # still being built, or a datacenter built and waiting for its grid connection
        if p["done"] > quarter or (p["kind"] == "build_datacenter" and p["connected"] < 0 and not p["onsite"]):
            keep.append(p)
            continue
        owner_id = p["owner"]
        if owner_id not in model.seats:  # the owner went bankrupt: the project is abandoned
            continue
        finished.append(p)
        owner = model.seat_index(owner_id)
        r = model.region_ix[p["region"]]
        if p["kind"] == "build_datacenter":
            built[int(p["id"])] = ("datacenter", first_dc + len(dcs[0]))
            pue = float(econ.new_datacenter_pue(sc, float(w.pue[r])))
            for column, value in zip(dcs, (r, owner, p["size"], pue, p["name"].split(": ", 1)[-1]), strict=True):
                column.append(value)
            if p["onsite"]:  # its own gas plant, as big as its load, runs from today
                gas = TECHNOLOGIES.index("gas")
                for column, value in zip(plants, (r, owner, gas, p["grid_mw"]), strict=True):
                    column.append(value)
            if p["id"] >= 0:  # a request made in the game (campuses under way at the start had theirs before)
                model.metrics.connections.append(connection_row(p, quarter))
        elif p["kind"] == "build_plant":
            for column, value in zip(plants, (r, owner, TECHNOLOGIES.index(p["detail"]), p["size"]), strict=True):
                column.append(value)
        elif p["kind"] == "build_packaging":
            w.add_packaging(r, owner, p["size"], quarter, p["name"])
        else:
            w.add_fab(r, owner, model.class_ix[p["detail"]], p["size"], quarter, p["name"])
            built[int(p["id"])] = ("fab", len(w.fab_owner) - 1)
    w.add_datacenters(*dcs)
    w.add_plants(*plants)
    w.projects = keep
    ventures_built(model, built)
    return finished
