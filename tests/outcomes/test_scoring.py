"""Scoring by the instrument files: the ODI's sum rule, the missing-item rule, every band edge,
the pain scales, single choices; and the MCID and substantial-benefit boundaries."""

import pytest

from tracker.outcomes.definitions import shipped
from tracker.outcomes.scoring import mcid_reached, round_half_up, score, substantial_reached

ODI = shipped()["odi"]
LEG = shipped()["leg_pain"]
BACK = shipped()["back_pain"]
ITEMS = [item["key"] for item in ODI["items"]]


def odi(*values):
    return score(ODI, dict(zip(ITEMS, values, strict=True)))


def with_total(total: int, missing: int = 0) -> list:
    """Answers (0-5) summing to ``total`` over the answered items, the last ``missing`` empty."""
    answered = 10 - missing
    values = [total // answered] * answered
    for n in range(total % answered):
        values[n] += 1
    return values + [None] * missing


def test_all_ten_answered_is_the_sum_over_50():
    assert odi(*[0] * 10).score == 0.0
    assert odi(*[5] * 10).score == 100.0
    assert odi(*[3] * 10).score == 60.0
    assert odi(2, 1, 2, 1, 2, 1, 2, 1, 1, 1).score == 28.0
    result = odi(*with_total(33))
    assert (result.score, result.answered, result.missing) == (66.0, 10, 0)


def test_one_missing_item_divides_by_45():
    result = odi(*with_total(20, missing=1))
    assert result.score == 44.4  # 20 / 45 = 44.44...
    assert (result.answered, result.missing) == (9, 1)
    assert odi(*with_total(9, missing=1)).score == 20.0
    assert odi(*with_total(1, missing=1)).score == 2.2
    # Any item may be the missing one.
    values = [3, None, 3, 3, 3, 3, 3, 3, 3, 3]
    assert odi(*values).score == 60.0


def test_two_or_more_missing_items_give_no_score():
    for missing in (2, 3, 9):
        result = odi(*with_total(5, missing=missing))
        assert (result.score, result.band) == (None, None)
        assert result.missing == missing
    assert odi(*[None] * 10).score is None
    # An item absent from the answers counts as missing too.
    assert score(ODI, {key: 2 for key in ITEMS[:8]}).score is None


def test_scores_round_half_up_to_one_decimal():
    assert round_half_up(28.25) == 28.3  # binary rounding would give 28.2
    assert round_half_up(4.444444444444445) == 4.4
    assert round_half_up(-31.95) == -32.0
    assert odi(*with_total(2, missing=1)).score == 4.4


@pytest.mark.parametrize(
    ("answers", "score_", "band"),
    [
        (with_total(0), 0.0, "minimal"),
        (with_total(10), 20.0, "minimal"),  # 20 is still minimal
        (with_total(9, missing=1), 20.0, "minimal"),
        (with_total(11), 22.0, "moderate"),
        (with_total(10, missing=1), 22.2, "moderate"),
        (with_total(20), 40.0, "moderate"),
        (with_total(18, missing=1), 40.0, "moderate"),
        (with_total(21), 42.0, "severe"),
        (with_total(19, missing=1), 42.2, "severe"),
        (with_total(30), 60.0, "severe"),
        (with_total(27, missing=1), 60.0, "severe"),
        (with_total(31), 62.0, "crippled"),
        (with_total(28, missing=1), 62.2, "crippled"),
        (with_total(40), 80.0, "crippled"),
        (with_total(36, missing=1), 80.0, "crippled"),
        (with_total(41), 82.0, "bed_bound"),
        (with_total(37, missing=1), 82.2, "bed_bound"),
        (with_total(50), 100.0, "bed_bound"),
        (with_total(45, missing=1), 100.0, "bed_bound"),
    ],
)
def test_every_band_edge(answers, score_, band):
    result = odi(*answers)
    assert (result.score, result.band) == (score_, band)


def test_a_pain_scale_scores_its_value_and_must_be_answered():
    assert score(LEG, {"leg_pain": 7}).score == 7.0
    assert score(LEG, {"leg_pain": 0}).score == 0.0
    assert score(LEG, {"leg_pain": None}).score is None
    assert score(LEG, {}).missing == 1


def test_a_single_choice_scores_its_value_with_its_code_as_band():
    change = shipped()["global_change"]
    result = score(change, {"global_change": 2})
    assert (result.score, result.band) == (2.0, "much_improved")
    macnab = shipped()["macnab"]
    assert score(macnab, {"macnab": 4}).band == "poor"


@pytest.mark.parametrize(
    ("baseline", "value", "reached"),
    [
        (60, 50, True),  # 10 points
        (60, 50.1, False),  # 9.9 points, 16.5 %
        (25, 17.5, True),  # 7.5 points but exactly 30 %
        (25, 17.6, False),  # 7.4 points, 29.6 %
        (30, 21, True),  # 9 points, exactly 30 %
        (40, 31, False),  # 9 points, 22.5 %
        (20, 14, True),  # exactly 30 % of a low baseline
        (60, 60, False),
        (28, 40, False),  # worse
        (0, 0, False),  # nothing to improve
        (44.4, 34.4, True),  # one item missing: 10 points between one-decimal scores
        (44.4, 34.5, False),
    ],
)
def test_odi_mcid_is_ten_points_or_thirty_percent(baseline, value, reached):
    assert mcid_reached(ODI, baseline, value) is reached


@pytest.mark.parametrize(
    ("baseline", "value", "reached"),
    [
        (8, 6, True),  # 2 points
        (8, 7, False),  # 1 point, 12.5 %
        (3, 2, True),  # 1 point but 33 %
        (10, 7, True),  # 3 points (and exactly 30 %: 0.3 * 10 is not exactly 3 in binary)
        (5, 4, False),  # 20 %
        (1, 0, True),  # 100 % lower
        (0, 0, False),
        (2, 3, False),
    ],
)
def test_pain_mcid_is_two_points_or_thirty_percent(baseline, value, reached):
    assert mcid_reached(LEG, baseline, value) is reached
    assert mcid_reached(BACK, baseline, value) is reached


def test_no_baseline_means_no_verdict():
    assert mcid_reached(ODI, None, 20) is None
    assert substantial_reached(ODI, None, 20) is None
    assert mcid_reached(shipped()["macnab"], 1, 1) is None


@pytest.mark.parametrize(
    ("definition", "baseline", "value", "reached"),
    [
        (ODI, 60, 40, True),  # -20
        (ODI, 60, 40.1, False),
        (LEG, 8, 4.5, True),  # -3.5
        (LEG, 8, 5, False),  # -3
        (BACK, 6, 3.5, True),  # -2.5
        (BACK, 6, 4, False),
    ],
)
def test_substantial_benefit_levels(definition, baseline, value, reached):
    assert substantial_reached(definition, baseline, value) is reached
