"""Pathway templates: loaded from data files, versioned, and never changed under a journey."""

import copy
import shutil

import pytest
import sqlalchemy as sa
import yaml

from tracker.db import db
from tracker.journeys.models import Journey
from tracker.journeys.services import JourneyDetails, start_journey
from tracker.pathways.models import STAGES, PathwayTemplate
from tracker.pathways.services import (
    DATA_DIR,
    TemplateError,
    latest_template,
    latest_templates,
    load_definition,
    load_directory,
    read_file,
)

TELD = DATA_DIR / "teld.yaml"


def versions(slug: str = "teld") -> list[int]:
    query = sa.select(PathwayTemplate.version).where(PathwayTemplate.slug == slug)
    return sorted(db.session.scalars(query))


@pytest.fixture
def teld_copy(tmp_path):
    folder = tmp_path / "pathways"
    folder.mkdir()
    shutil.copy(TELD, folder / "teld.yaml")
    return folder


def edit(folder, change) -> None:
    path = folder / "teld.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def consent_task(data) -> dict:
    return next(t for t in data["stages"][0]["tasks"] if t["key"] == "consent_signed")


def test_the_shipped_templates_are_valid_and_load(app, now):
    results = load_directory(now=now)
    db.session.commit()
    assert sorted((t.slug, t.version, created) for t, created in results) == [
        ("interlaminar-decompression", 1, True),
        ("teld", 1, True),
    ]
    for template in latest_templates():
        assert [s["key"] for s in template.definition["stages"]] == list(STAGES)
        assert all(stage.get("tasks") for stage in template.definition["stages"])
        appointments = template.stages["follow_up"]["appointments"]
        assert [a["offset_days"] for a in appointments] == [14, 42, 90]  # 2 wk, 6 wk, 3 mo
    assert latest_template("teld").definition["conditions"] == ["herniated_disc", "sciatica"]
    stenosis = latest_template("interlaminar-decompression")
    assert stenosis.definition["conditions"] == ["spinal_stenosis"]


def test_loading_the_same_file_twice_keeps_one_version(app, teld_copy, now):
    ((first, created),) = load_directory(teld_copy, now=now)
    db.session.commit()
    ((again, created_again),) = load_directory(teld_copy, now=now)
    db.session.commit()
    assert created and not created_again
    assert again.id == first.id
    assert versions() == [1]


def test_layout_and_comments_do_not_make_a_version(app, teld_copy, now):
    load_directory(teld_copy, now=now)
    path = teld_copy / "teld.yaml"
    path.write_text("# reviewed by the clinic\n" + path.read_text(encoding="utf-8") + "\n\n")
    load_directory(teld_copy, now=now)
    edit(teld_copy, lambda data: None)  # same data, written in yaml's own layout
    load_directory(teld_copy, now=now)
    db.session.commit()
    assert versions() == [1]


def test_a_changed_file_becomes_a_new_version(app, teld_copy, now):
    load_directory(teld_copy, now=now)
    db.session.commit()
    edit(teld_copy, lambda data: consent_task(data).update(offset_days=10))
    ((template, created),) = load_directory(teld_copy, now=now)
    db.session.commit()
    assert created and template.version == 2
    assert versions() == [1, 2]
    v1 = db.session.scalar(sa.select(PathwayTemplate).filter_by(slug="teld", version=1))
    assert consent_task(v1.definition)["offset_days"] == 7  # old versions never change
    assert latest_template("teld").id == template.id
    # Going back to the first content finds version 1 again rather than adding a third.
    edit(teld_copy, lambda data: consent_task(data).update(offset_days=7))
    ((back, created),) = load_directory(teld_copy, now=now)
    assert not created and back.version == 1
    assert versions() == [1, 2]


def test_a_running_journey_keeps_its_version(app, make_journey, make_patient, teld_copy, now):
    journey = make_journey()  # started on the shipped teld, version 1
    old_due = {t.key: t.due_on for t in journey.tasks}
    edit(teld_copy, lambda data: consent_task(data).update(offset_days=10))
    load_directory(teld_copy, now=now)
    db.session.commit()
    db.session.expire_all()
    journey = db.session.get(Journey, journey.id)
    assert journey.template.version == 1
    assert consent_task(journey.template.definition)["offset_days"] == 7
    assert {t.key: t.due_on for t in journey.tasks} == old_due

    newer = make_journey(make_patient(), template="teld")
    assert newer.template.version == 1  # the fixture's template object: still v1
    fresh = start_journey(
        make_patient(),
        latest_template("teld"),
        JourneyDetails(
            condition="sciatica",
            levels="L5-S1",
            side="right",
            approach="transforaminal",
            anesthesia="general",
            consultation_date=journey.consultation_date,
        ),
        actor=None,
        now=now,
    )
    assert fresh.template.version == 2
    consent = next(t for t in fresh.tasks if t.key == "consent_signed")
    assert (consent.due_on - fresh.consultation_date).days == 10


def _valid() -> dict:
    return yaml.safe_load(TELD.read_text(encoding="utf-8"))


def _stage(data, key):
    return next(s for s in data["stages"] if s["key"] == key)


BROKEN = {
    "no stages": (lambda d: d.pop("stages"), "missing 'stages'"),
    "stages out of order": (
        lambda d: d["stages"].reverse(),
        "stages must be exactly consultation, preparation, procedure, discharge, follow_up",
    ),
    "a bad anchor": (
        lambda d: _stage(d, "preparation")["tasks"][0].update(anchor="tomorrow"),
        "task medicine_review: anchor must be one of",
    ),
    "a duplicate task key": (
        lambda d: _stage(d, "procedure")["tasks"].append(
            copy.deepcopy(_stage(d, "procedure")["tasks"][0])
        ),
        "task checked_in: needs a unique key",
    ),
    "a missing translation": (
        lambda d: _stage(d, "discharge")["tasks"][0]["title"].pop("id"),
        "task discharge_sheet: needs a title in en and id",
    ),
    "a bad time": (
        lambda d: _stage(d, "follow_up")["appointments"][0].update(time="9am"),
        "appointment wound_check: time must be HH:MM",
    ),
    "an unknown channel": (
        lambda d: _stage(d, "preparation")["reminders"][0].update(channels=["pigeon"]),
        "reminder preop_instructions: channels must be among",
    ),
    "a milestone window backwards": (
        lambda d: _stage(d, "follow_up")["milestones"][0].update(from_day=20, to_day=10),
        "milestone desk_work: needs from_day <= to_day",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_invalid_files_are_refused_with_a_clear_message(app, tmp_path, case, now):
    change, message = BROKEN[case]
    data = _valid()
    change(data)
    path = tmp_path / "teld.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(TemplateError) as error:
        read_file(path)
    assert str(error.value).startswith("teld.yaml")
    assert message in str(error.value)


def test_yaml_syntax_errors_name_the_file(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("slug: teld\nstages: [\n", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"^broken\.yaml: not valid YAML"):
        read_file(path)


def test_the_cli_loads_nothing_from_a_folder_with_one_bad_file(app, runner, teld_copy):
    (teld_copy / "zz-broken.yaml").write_text("slug: broken\nname: {en: Broken}\n")
    result = runner.invoke(args=["pathways", "load", "--dir", str(teld_copy)])
    assert result.exit_code == 1
    assert "Nothing loaded. zz-broken.yaml: missing 'stages'" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PathwayTemplate)) == 0


def test_the_cli_loads_a_clinic_folder(app, runner, teld_copy):
    result = runner.invoke(args=["pathways", "load", "--dir", str(teld_copy)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "teld: v1 loaded as new version"
    empty = teld_copy / "empty"
    empty.mkdir()
    result = runner.invoke(args=["pathways", "load", "--dir", str(empty)])
    assert result.exit_code == 1 and "No pathway files" in result.output


def test_load_definition_is_idempotent_per_content(app, now):
    data = read_file(TELD)
    first, created = load_definition(data, now=now)
    second, created_again = load_definition(copy.deepcopy(data), now=now)
    assert (created, created_again) == (True, False)
    assert first is second
