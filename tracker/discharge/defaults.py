"""The discharge section of a pathway template: its numbers, its texts, and their check.

Kept free of app imports so that the pathway loader can check a data file with it.
"""

from string import Formatter
from typing import Any

from babel.numbers import format_decimal

LANGUAGES = ("en", "id")
NUMBERS = (
    "lifting_limit_kg",
    "desk_work_from_week",
    "driving_from_week",
    "full_activity_from_week",
    "fever_c",
    "dressing_dry_hours",
    "shower_covered_days",
    "no_soak_days",
)
TEXT_LISTS = ("wound", "pain", "call_clinic", "emergency")


def numbers(section: dict[str, Any]) -> dict[str, float]:
    """The section's numbers, plus the fever threshold in Fahrenheit worked out from Celsius."""
    values = {key: section[key] for key in NUMBERS}
    values["fever_f"] = round(section["fever_c"] * 9 / 5 + 32, 1)
    return values


def week(ref: int | str, section: dict[str, Any]) -> int:
    """A week given as a number or as the name of one of the section's numbers."""
    return int(section[ref]) if isinstance(ref, str) else int(ref)


def fill(text: str, section: dict[str, Any], language: str) -> str:
    """``text`` with its ``{placeholders}`` replaced by numbers written the local way (38,5)."""
    shown = {k: format_decimal(v, locale=language) for k, v in numbers(section).items()}
    return text.format_map(shown)


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


def _text_problem(text: Any, where: str) -> str | None:
    if not isinstance(text, dict) or not all(
        isinstance(text.get(lang), str) and text[lang].strip() for lang in LANGUAGES
    ):
        return f"{where} needs a text in en and id"
    for lang in LANGUAGES:
        try:
            unknown = _placeholders(text[lang]) - {*NUMBERS, "fever_f"}
        except ValueError:
            return f"{where} ({lang}) has an unbalanced {{ or }}"
        if unknown:
            return f"{where} ({lang}) uses unknown placeholder(s) {', '.join(sorted(unknown))}"
    return None


def _week_problem(ref: Any, section: dict, where: str) -> str | None:
    if isinstance(ref, bool) or not isinstance(ref, int | str):
        return f"{where} must be a number of weeks or the name of one"
    if isinstance(ref, str) and ref not in NUMBERS:
        return f"{where} names {ref!r}, which is not one of the section's numbers"
    if week(ref, section) < 0:
        return f"{where} must not be negative"
    return None


def problem(section: Any) -> str | None:
    """What is wrong with a template's ``discharge`` section, or None when it is complete."""
    if not isinstance(section, dict):
        return "must be a mapping"
    for key in NUMBERS:
        value = section.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            return f"{key} must be a number of 0 or more"
    for key in TEXT_LISTS:
        items = section.get(key)
        if not isinstance(items, list) or not items:
            return f"{key} must be a list of texts"
        for n, item in enumerate(items, 1):
            if found := _text_problem(item, f"{key} item {n}"):
                return found
    items = section.get("activity")
    if not isinstance(items, list) or not items:
        return "activity must be a list of steps"
    for n, item in enumerate(items, 1):
        where = f"activity step {n}"
        if not isinstance(item, dict) or ("day" in item) == ("week" in item):
            return f"{where} needs either day or week"
        if "day" in item and (not isinstance(item["day"], int) or item["day"] < 0):
            return f"{where}: day must be a whole number of 0 or more"
        for key in ("week", "until_week"):
            if key in item and (found := _week_problem(item[key], section, f"{where} {key}")):
                return found
        if found := _text_problem(item.get("text"), where):
            return found
    return None
