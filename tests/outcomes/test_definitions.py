"""The questionnaire files: complete in both languages, checked on load, versioned like the
pathway templates; and the pathway's questionnaire schedule, checked when a template loads."""

import copy

import pytest
import sqlalchemy as sa
import yaml

from tests.conftest import NOW
from tracker.db import db
from tracker.outcomes import catalogue
from tracker.outcomes.definitions import INSTRUMENT_DIR, DefinitionError, shipped, validate
from tracker.outcomes.models import Instrument
from tracker.pathways.services import DATA_DIR, TemplateError, validate_definition


def test_the_shipped_instruments():
    instruments = shipped()
    assert set(instruments) == {"odi", "back_pain", "leg_pain", "global_change", "macnab"}
    odi = instruments["odi"]
    assert len(odi["items"]) == 10
    assert all([o["value"] for o in item["options"]] == [0, 1, 2, 3, 4, 5] for item in odi["items"])
    assert odi["scoring"]["max_missing"] == 1
    assert [b["code"] for b in odi["bands"]] == [
        "minimal",
        "moderate",
        "severe",
        "crippled",
        "bed_bound",
    ]
    assert odi["mcid"] == {"points": 10, "percent": 30}
    for definition in instruments.values():
        # Every text a patient reads exists in English and Indonesian, and differs.
        for item in definition["items"]:
            assert item["text"]["en"] != item["text"]["id"]
            for option in item.get("options", []):
                assert option["text"]["en"] and option["text"]["id"]
        # The licence note says what a clinic must hold; the source says where it comes from.
        assert definition["licence"]["en"] and definition["licence"]["id"]
        assert definition["source"]
    assert "Mapi Research Trust" in odi["licence"]["en"]
    assert "user agreement" in odi["licence"]["en"]


def _odi() -> dict:
    return yaml.safe_load((INSTRUMENT_DIR / "odi.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["items"][3]["text"].pop("id"), "item 4 text: needs a text in en and in id"),
        (lambda d: d["items"][0]["options"].pop(), None),  # five options is still valid
        (lambda d: d["items"][2]["options"][1].update(value="1"), "whole numbers"),
        (lambda d: d["scoring"].update(method="average"), "method must be one of"),
        (lambda d: d["bands"][-1].update(max=90), "the last band must end at 100"),
        (lambda d: d["items"].append(copy.deepcopy(d["items"][0])), "is used twice"),
        (lambda d: d.pop("licence"), "missing 'licence'"),
    ],
)
def test_a_bad_instrument_file_is_refused_naming_the_place(change, message):
    data = _odi()
    change(data)
    if message is None:
        validate(data, "odi.yaml")
        return
    with pytest.raises(DefinitionError, match=message) as error:
        validate(data, "odi.yaml")
    assert str(error.value).startswith("odi.yaml")


def test_instruments_are_versioned_and_answers_keep_their_version(app, tmp_path):
    first = catalogue.load_directory(now=NOW)
    assert {(i.key, i.version, new) for i, new in first} == {(key, 1, True) for key in shipped()}
    again = catalogue.load_directory(now=NOW)
    assert not any(new for _, new in again)  # unchanged files: nothing new
    # A clinic edits a wording: a new version; the first stays as it was.
    changed = _odi()
    changed["items"][0]["text"]["en"] = "Pain intensity (now)"
    instrument, new = catalogue.load_definition(changed, now=NOW)
    db.session.commit()
    assert (instrument.version, new) == (2, True)
    assert catalogue.latest("odi").version == 2
    versions = db.session.scalars(
        sa.select(Instrument.version).where(Instrument.key == "odi").order_by(Instrument.version)
    ).all()
    assert versions == [1, 2]
    first_odi = db.session.scalar(
        sa.select(Instrument).where(Instrument.key == "odi", Instrument.version == 1)
    )
    assert first_odi.definition["items"][0]["text"]["en"] == "Pain intensity"


def test_a_broken_instrument_directory_loads_nothing(app, tmp_path):
    (tmp_path / "odi.yaml").write_text((INSTRUMENT_DIR / "odi.yaml").read_text(), "utf-8")
    (tmp_path / "broken.yaml").write_text("key: broken\nname: {en: x}\n", "utf-8")
    with pytest.raises(DefinitionError, match="broken.yaml"):
        catalogue.load_directory(tmp_path, now=NOW)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Instrument)) == 0


def _teld() -> dict:
    return yaml.safe_load((DATA_DIR / "teld.yaml").read_text(encoding="utf-8"))


def test_the_pathways_schedule_the_questionnaires():
    for name in ("teld.yaml", "interlaminar.yaml"):
        data = yaml.safe_load((DATA_DIR / name).read_text(encoding="utf-8"))
        validate_definition(data, name)
        points = {tp["key"]: tp for tp in data["outcomes"]["timepoints"]}
        assert list(points) == ["baseline", "2w", "6w", "3m", "12m"]
        assert (points["6w"]["from_day"], points["6w"]["day"], points["6w"]["to_day"]) == (
            35,
            42,
            49,
        )
        assert "macnab" in points["3m"]["instruments"] and "macnab" in points["12m"]["instruments"]
        assert points["2w"]["instruments"] == []  # pain from the daily check-ins


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda tps: tps[2].update(key="9w"), "key must be one of"),
        (lambda tps: tps[2].update(from_day=10), "overlaps the one before"),
        (lambda tps: tps[3].update(day=200), "from_day <= day <= to_day"),
        (lambda tps: tps[2]["instruments"].append("sf36"), "unknown instrument"),
        (lambda tps: tps[2].update(task="no_such_task"), "not a task of this pathway"),
        (lambda tps: tps[2].update(day=40), "must be due on day 40"),
        (lambda tps: tps[0].update(day=-3), "the baseline is before the operation"),
        (lambda tps: tps.reverse(), "timepoints go in the order"),
    ],
)
def test_a_bad_schedule_refuses_the_template(change, message):
    data = _teld()
    change(data["outcomes"]["timepoints"])
    with pytest.raises(TemplateError, match=message) as error:
        validate_definition(data, "teld.yaml")
    assert str(error.value).startswith("teld.yaml outcomes")


def test_the_load_command(runner, tmp_path):
    first = runner.invoke(args=["instruments", "load"])
    assert first.exit_code == 0, first.output
    assert "odi: v1 loaded as new version" in first.output
    again = runner.invoke(args=["instruments", "load"])
    assert "odi: v1 unchanged" in again.output
    (tmp_path / "odi.yaml").write_text("key: odi\n", "utf-8")
    broken = runner.invoke(args=["instruments", "load", "--dir", str(tmp_path)])
    assert broken.exit_code == 1 and "Nothing loaded. odi.yaml: missing 'name'" in broken.output
