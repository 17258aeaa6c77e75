"""Score a questionnaire and judge a change from baseline, by the rules in its definition.

The ODI rule (CLINICAL.md): items score 0-5; score = sum / (5 x items answered) x 100, so with
one item missing it divides by 45; with two or more missing there is no score. Scores are
rounded half up to one decimal, and banded after rounding (a band holds scores up to and
including its ``max``). The change rules (Ostelo 2008): the minimal clinically important change
is reached at ``points`` or more better, or at ``percent`` % better than baseline; the
report's SQL (:mod:`tracker.outcomes.report`) applies the same rule, so both say the same.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from tracker.outcomes.definitions import option_code, option_values

#: scores are stored with one decimal: a difference smaller than this is rounding noise
EPSILON = 1e-6


@dataclass(frozen=True)
class Scored:
    score: float | None
    band: str | None
    answered: int
    missing: int


def round_half_up(value: float, decimals: int = 1) -> float:
    """Round like a person does (28.25 -> 28.3), not like binary floats and banking do."""
    step = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(value)).quantize(step, rounding=ROUND_HALF_UP))


def check_answer(item: dict, value) -> bool:
    """Whether ``value`` is one of the item's options (None, a skipped item, is always fine)."""
    if value is None:
        return True
    if isinstance(value, bool) or not isinstance(value, int):
        return False
    return value in option_values(item)


def score(definition: dict, answers: dict[str, int | None]) -> Scored:
    """Score answers given as ``{item_key: value or None}`` (absent items count as missing)."""
    items = definition["items"]
    rule = definition["scoring"]
    values = [answers.get(item["key"]) for item in items]
    given = [v for v in values if v is not None]
    missing = len(values) - len(given)
    if missing > rule.get("max_missing", 0) or not given:
        return Scored(None, None, len(given), missing)
    method = rule["method"]
    if method == "percent_of_max":
        answered = [item for item, v in zip(items, values, strict=True) if v is not None]
        maximum = sum(max(option_values(item)) for item in answered)
        raw = sum(given) / maximum * 100
        value = round_half_up(raw, rule.get("decimals", 1))
        return Scored(value, band_of(definition, value), len(given), missing)
    if method == "value":
        return Scored(float(given[0]), None, 1, missing)
    return Scored(float(given[0]), option_code(definition, given[0]), 1, missing)


def band_of(definition: dict, value: float | None) -> str | None:
    if value is None:
        return None
    for band in definition.get("bands", []):
        if value <= band["max"] + EPSILON:
            return band["code"]
    return None


def improvement(definition: dict, baseline: float, value: float) -> float:
    """How much better ``value`` is than ``baseline`` (positive: better)."""
    better_lower = definition["scoring"].get("better", "lower") == "lower"
    return (baseline - value) if better_lower else (value - baseline)


def mcid_reached(definition: dict, baseline: float | None, value: float | None) -> bool | None:
    """Whether the change reaches the MCID; None when there is no rule or nothing to compare."""
    rule = definition.get("mcid")
    if rule is None or baseline is None or value is None:
        return None
    gain = improvement(definition, baseline, value)
    if gain <= EPSILON:
        return False
    if gain >= rule["points"] - EPSILON:
        return True
    percent = rule.get("percent")
    return bool(percent) and baseline > 0 and gain * 100 >= percent * baseline - EPSILON


def substantial_reached(
    definition: dict, baseline: float | None, value: float | None
) -> bool | None:
    """Whether the change reaches the "substantial benefit" level the literature gives."""
    rule = definition.get("substantial")
    if rule is None or baseline is None or value is None:
        return None
    return improvement(definition, baseline, value) >= rule["points"] - EPSILON
