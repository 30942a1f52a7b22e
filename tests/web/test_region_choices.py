"""The region drop-downs are cached per scope, and a new or renamed region shows at once."""

from __future__ import annotations

from pwposts.models.people import Region


def test_new_and_renamed_regions_show_in_the_filters(login_as, session, county):
    client = login_as("admin")
    assert "东坪一村" in client.get("/people/").get_data(as_text=True)
    town = county.townships[0]
    session.add(Region(code="522701100203000"[:12], name="东坪三村", level="village", parent=town))
    session.commit()
    assert "东坪三村" in client.get("/people/").get_data(as_text=True)
    county.villages[0].name = "东坪新村"
    session.commit()
    page = client.get("/posts/").get_data(as_text=True)
    assert "东坪新村" in page and "东坪一村" not in page


def test_a_township_clerk_sees_only_their_townships_villages(login_as, county):
    page = login_as("town").get("/people/").get_data(as_text=True)
    assert "东坪一村" in page and "西岭一村" not in page
