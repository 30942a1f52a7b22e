"""The demo county recruits in the service's order: its 公示 periods are the service's working-day count over
the county calendar, published after registration closed; every first signing starts after its hire."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from pwposts import demo
from pwposts.models.accounts import User
from pwposts.models.contracts import Contract
from pwposts.models.hiring import Application, Publicity
from pwposts.services.contracts import awaiting_signing_count
from pwposts.services.hiring import publication_period


def test_demo_publicity_follows_the_service_and_contracts_follow_the_hire(session, today):
    counts = demo.generate_county(session, seed=2026, persons=3000, today=today)
    session.commit()
    clerk = session.scalar(select(User).where(User.username == "township1"))
    assert (
        counts["hired_awaiting_contract"] == 1 and awaiting_signing_count(session, clerk) >= 1
    )  # the worklist has work
    pubs = session.scalars(select(Publicity)).all()
    assert pubs
    for p in pubs:
        published_on = (
            p.published_at + timedelta(hours=8)
        ).date()  # stored UTC, the Beijing day of publication
        start, end, n = publication_period(session, p.notice.post, published_on)
        assert (p.start_on, p.end_on, p.working_days) == (start, end, n), (p.id, published_on)
        assert published_on > p.notice.end_on, (p.id, "公示 while registration was open")

    hired = session.scalars(select(Application).where(Application.status == "hired")).all()
    assert hired and all(a.hired_on is not None for a in hired)
    by_id = {a.id: a for a in hired}
    firsts = session.scalars(
        select(Contract).where(Contract.application_id.is_not(None), Contract.previous_contract_id.is_(None))
    ).all()
    assert firsts
    for c in firsts:
        assert c.start_on >= by_id[c.application_id].hired_on, c.code
