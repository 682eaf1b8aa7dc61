"""Issue 16's 15-minute circle in a real window under Xvfb, by touch: the walking chip, the
walking time on rows and the detail, the map view (a dot opens its job, a count lists its jobs)."""

import pytest

pytestmark = pytest.mark.ui


def test_the_map_by_touch(scenario) -> None:
    c = scenario("job_map", timeout=240)["checks"]
    selected, within, everything, heading = c["walk_chip"]
    assert selected and 0 < within < everything and heading.startswith("步行 15 分钟内")
    assert all(w.startswith("步行约 ") for w in c["row_walk"])
    width, height, dot = c["map_geometry"]
    assert min(width, height) > 400 and dot >= 44
    dots = c["dots"]
    assert all(d["w_dp"] >= 44 for d in dots)  # touch targets (REFERENCES: >= 44 dp, 60 in large text)
    assert any(not d["edge"] for d in dots) and any(d["edge"] for d in dots)
    assert all(d["text"] == "日结" for d in dots if d["daily"] and len(d["ids"]) == 1)  # not colour alone
    assert all(d["text"] == str(len(d["ids"])) for d in dots if len(d["ids"]) > 1)
    assert c["opened"][0] == c["opened"][1]
    assert any(k == "路上时间（估算）" and "步行约" in v for k, v in c["detail_rows"])
    ids, listed, map_height, first = c["group"]
    assert listed == ids and len(ids) > 1 and map_height == 0 and first == ids[0]
    assert c["opened_from_group"] == ids[0]
    elderly, lang, drawn, smallest, count, spoken = c["elderly"]
    assert elderly and lang == "en" and drawn > 400 and smallest >= 60
    assert count.endswith(("job within 15 min walk", "jobs within 15 min walk")) and "walk" in spoken
    assert c["back_to_list"] == "jobs"
