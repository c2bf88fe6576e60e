"""Blocs admit a nation only with their members' consent (issue 13): applications, votes, refusals."""

from __future__ import annotations

import pytest

from sovereign.sim.commands import JoinBloc, LeaveBloc, VoteOnApplication
from sovereign.sim.model import SovereignModel


def member(m, bloc, region):
    return bool(m.world.bloc_member[m.bloc_ix[bloc], m.region_ix[region]])


def headlines(m):
    return [n["headline"] for n in m.news]


def test_joining_is_an_application_the_members_refuse_for_a_rival_camp(tiny):
    """India (in BRICS with China, tier 3) applies to the US allies: the AI United States says no."""
    m = SovereignModel(tiny, rng=1, human_seats=["IND"])
    assert m.submit("IND", JoinBloc(bloc="allies")).accepted
    m.step()
    assert not member(m, "allies", "IND")  # applying is not joining
    assert any("applies to join US allies" in h for h in headlines(m))
    assert m.observe("IND")["public"]["bloc_applications"] == {"allies": ["IND"]}
    m.step()  # the members vote at the start of the next quarter
    assert not member(m, "allies", "IND")
    assert any("US allies refuses India's application (0 for, 1 against)" in h for h in headlines(m))
    assert (m.world.bloc_application == -1).all()


def test_leaving_the_other_camp_first_gets_a_nation_admitted(tiny):
    m = SovereignModel(tiny, rng=1, human_seats=["IND"])
    assert m.submit("IND", LeaveBloc(bloc="brics")).accepted
    assert m.submit("IND", JoinBloc(bloc="allies")).accepted
    m.step()
    assert not member(m, "brics", "IND")  # leaving takes effect at once
    m.step()
    assert member(m, "allies", "IND")
    assert any("US allies admits India (1 for, 0 against)" in h for h in headlines(m))


def test_a_tier3_nation_is_always_refused(tiny):
    m = SovereignModel(tiny, rng=1, human_seats=["CHN"])
    assert m.submit("CHN", LeaveBloc(bloc="brics")).accepted
    assert m.submit("CHN", JoinBloc(bloc="allies")).accepted
    m.step()
    m.step()
    assert not member(m, "allies", "CHN")


def test_a_human_member_decides_by_its_vote(tiny):
    m = SovereignModel(tiny, rng=1, human_seats=["IND", "USA"])
    assert m.submit("IND", JoinBloc(bloc="allies")).accepted
    m.step()
    assert m.submit("USA", VoteOnApplication(bloc="allies", region="IND", accept=True)).accepted
    m.step()
    assert member(m, "allies", "IND")  # the person's yes, whatever the AI would have said


@pytest.mark.parametrize("vote", [False, None])
def test_no_majority_no_entry(tiny, vote):
    """A no, or a human member that does not vote (abstains, and no one else votes), keeps it out."""
    m = SovereignModel(tiny, rng=1, human_seats=["IND", "USA"])
    m.submit("IND", LeaveBloc(bloc="brics"))
    m.submit("IND", JoinBloc(bloc="allies"))
    m.step()
    if vote is not None:
        assert m.submit("USA", VoteOnApplication(bloc="allies", region="IND", accept=vote)).accepted
    m.step()
    assert not member(m, "allies", "IND")


def test_votes_and_applications_are_refused_with_reasons(tiny):
    m = SovereignModel(tiny, rng=1, human_seats=["IND", "USA", "CHN"])
    assert (
        "no pending application" in m.submit("USA", VoteOnApplication(bloc="allies", region="IND", accept=True)).reason
    )
    assert m.submit("IND", JoinBloc(bloc="allies")).accepted
    m.step()
    assert "already applied" in m.submit("IND", JoinBloc(bloc="allies")).reason
    assert (
        "only members of allies vote"
        in m.submit("CHN", VoteOnApplication(bloc="allies", region="IND", accept=True)).reason
    )
    assert "does not exist" in m.submit("USA", VoteOnApplication(bloc="nato", region="IND", accept=True)).reason
