"""On SQLite a service's reads and writes are one transaction: a write after another connection
committed in between fails, instead of acting on what was read before (SQLite only)."""

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from pwposts.extensions import db
from pwposts.models.people import Region


def test_check_then_write_fails_when_another_writer_committed_between(app, county):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite behaviour")
    town = county.townships[0].id
    with Session(db.engine) as a, Session(db.engine) as b:
        name = a.scalar(select(Region.name).where(Region.id == town))  # A checks (its transaction begins)
        b.execute(update(Region).where(Region.id == town).values(name="改名镇"))
        b.commit()  # B commits meanwhile
        with pytest.raises(OperationalError):
            a.execute(update(Region).where(Region.id == town).values(name=name + "（旧）"))
            a.commit()
        a.rollback()
    with db.engine.connect() as c:
        assert c.execute(text("SELECT name FROM region WHERE id = :i"), {"i": town}).scalar() == "改名镇"
