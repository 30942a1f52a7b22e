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


def test_region_options_mark_the_chosen_one_and_follow_the_township(app):
    from pwposts.web.region_cache import region_options

    villages = [(1, "东坪<一>村", 10), (2, "东坪二村", 10), (12, "西岭一村", 11)]
    html = str(region_options(villages, 2))
    assert html.count("<option") == 3 and '<option value="2" selected>' in html
    assert "东坪&lt;一&gt;村" in html and '<option value="12">' in html  # 12 is not taken for 2
    only = str(region_options(villages, None, 11))
    assert only == '<option value="12">西岭一村</option>'
    assert "selected" not in str(region_options(villages, 99))


def test_url_pattern_builds_the_same_links_as_url_for(app):
    from flask import url_for

    from pwposts.web import url_pattern

    with app.test_request_context():
        assert url_pattern("people.detail", "person_id").format(42) == url_for("people.detail", person_id=42)
        assert url_pattern("pay.run_detail", "run_id").format(7) == url_for("pay.run_detail", run_id=7)
