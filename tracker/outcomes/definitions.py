"""Questionnaire definitions: the data files in ``outcomes/instruments``, checked and read.

A file holds one instrument: its items and answer options in English and Indonesian, the
scoring rule (``percent_of_max`` for the ODI, ``value`` for a 0-10 scale, ``choice`` for a
single choice), how many items may be missing, the bands, the minimal clinically important
change (``mcid``) and the substantial-benefit level, its source and what licence a clinic needs.
Nothing here touches the database; :mod:`tracker.outcomes.catalogue` stores the versions.
"""

import re
from functools import cache
from pathlib import Path
from typing import Any

from tracker import yamlfile

INSTRUMENT_DIR = Path(__file__).parent / "instruments"
LANGUAGES = ("en", "id")
METHODS = ("percent_of_max", "value", "choice")


class DefinitionError(ValueError):
    """An instrument file is not valid; the message says where."""


def _need(cond: bool, where: str, message: str) -> None:
    if not cond:
        raise DefinitionError(f"{where}: {message}")


def _texts(value: Any, where: str) -> None:
    _need(
        isinstance(value, dict)
        and all(isinstance(value.get(lang), str) and value[lang].strip() for lang in LANGUAGES),
        where,
        "needs a text in en and in id (quote a text that holds a comma, colon or question mark)",
    )


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def validate(data: Any, source: str = "instrument") -> dict:
    """Check a parsed instrument file; raise DefinitionError naming the first problem."""
    _need(isinstance(data, dict), source, "must be a mapping")
    for key in ("key", "name", "short_name", "source", "licence", "scoring", "items"):
        _need(key in data, source, f"missing {key!r}")
    _need(re.fullmatch(r"[a-z][a-z0-9_]{1,39}", str(data["key"])) is not None, source, "bad key")
    for key in ("name", "short_name", "licence"):
        _texts(data[key], f"{source} {key}")
    if "intro" in data:
        _texts(data["intro"], f"{source} intro")
    scoring = data["scoring"]
    _need(isinstance(scoring, dict), source, "scoring must be a mapping")
    method = scoring.get("method")
    _need(method in METHODS, f"{source} scoring", f"method must be one of {METHODS}")
    missing = scoring.get("max_missing", 0)
    _need(isinstance(missing, int) and missing >= 0, f"{source} scoring", "bad max_missing")
    _need(scoring.get("better") in ("lower", "higher"), f"{source} scoring", "better: lower/higher")
    items = data["items"]
    _need(isinstance(items, list) and items, source, "needs items")
    _need(missing < len(items), f"{source} scoring", "max_missing must be below the item count")
    keys = set()
    for n, item in enumerate(items, start=1):
        where = f"{source} item {n}"
        _need(isinstance(item, dict) and item.get("key"), where, "needs a key")
        _need(item["key"] not in keys, where, f"key {item['key']!r} is used twice")
        keys.add(item["key"])
        _texts(item.get("text"), f"{where} text")
        _check_answers(item, method, f"{where} ({item['key']})")
    if method in ("value", "choice"):
        _need(len(items) == 1, source, f"scoring method {method} needs exactly one item")
    if method == "percent_of_max":
        _check_bands(data.get("bands"), source)
    for key in ("mcid", "substantial"):
        if key in data:
            _check_change(data[key], f"{source} {key}")
    if method == "choice":
        codes = {o["code"] for o in items[0]["options"]}
        _need(set(data.get("success", [])) <= codes, source, "success names unknown codes")
    return data


def _check_answers(item: dict, method: str, where: str) -> None:
    if "scale" in item:
        scale = item["scale"]
        _need(
            isinstance(scale, dict)
            and isinstance(scale.get("min"), int)
            and isinstance(scale.get("max"), int)
            and scale["min"] < scale["max"],
            where,
            "scale needs whole-number min < max",
        )
        _texts(scale.get("low"), f"{where} scale low")
        _texts(scale.get("high"), f"{where} scale high")
        return
    options = item.get("options")
    _need(isinstance(options, list) and len(options) >= 2, where, "needs options or a scale")
    values = [o.get("value") for o in options]
    _need(
        all(isinstance(v, int) and not isinstance(v, bool) for v in values),
        where,
        "option values must be whole numbers",
    )
    _need(len(set(values)) == len(values), where, "option values must differ")
    for option in options:
        _texts(option.get("text"), f"{where} option {option.get('value')}")
        if method == "choice":
            _need(bool(option.get("code")), f"{where} option {option['value']}", "needs a code")


def _check_bands(bands: Any, source: str) -> None:
    _need(isinstance(bands, list) and bands, source, "a percent_of_max instrument needs bands")
    last = None
    for band in bands:
        where = f"{source} band {band.get('code')}"
        _need(bool(band.get("code")) and _number(band.get("max")), where, "needs code and max")
        _need(last is None or band["max"] > last, where, "bands go up in order")
        _texts(band.get("title"), f"{where} title")
        last = band["max"]
    _need(last == 100, source, "the last band must end at 100")


def _check_change(spec: Any, where: str) -> None:
    _need(isinstance(spec, dict), where, "must be a mapping")
    _need(_number(spec.get("points")) and spec["points"] > 0, where, "needs points > 0")
    if "percent" in spec:
        _need(_number(spec["percent"]) and 0 < spec["percent"] <= 100, where, "bad percent")


def read_file(path: Path) -> dict:
    try:
        data = yamlfile.read(path)
    except yamlfile.YAMLError as exc:
        raise DefinitionError(f"{path.name}: not valid YAML: {exc}") from None
    data = validate(data, path.name)
    _need(path.stem == data["key"], path.name, f"the file name must be {data['key']}.yaml")
    return data


def read_directory(directory: Path = INSTRUMENT_DIR) -> dict[str, dict]:
    return {path.stem: read_file(path) for path in sorted(directory.glob("*.yaml"))}


@cache
def shipped() -> dict[str, dict]:
    """The instruments shipped with the tracker (read once per process)."""
    return read_directory(INSTRUMENT_DIR)


# Reading a definition.


def text(texts: dict, language: str) -> str:
    return texts.get(language) or texts.get("en") or ""


def options(item: dict, language: str = "en") -> list[tuple[int, str]]:
    """(value, text) of every answer an item allows, in order."""
    if "scale" in item:
        scale = item["scale"]
        return [(n, str(n)) for n in range(scale["min"], scale["max"] + 1)]
    return [(o["value"], text(o["text"], language)) for o in item["options"]]


def option_values(item: dict) -> list[int]:
    return [value for value, _ in options(item)]


def option_code(definition: dict, value: int | None) -> str | None:
    """The code of a single-choice instrument's answer (e.g. ``much_improved``)."""
    for option in definition["items"][0].get("options", []):
        if option["value"] == value:
            return option.get("code")
    return None


def band_title(definition: dict, code: str | None, language: str = "en") -> str:
    if code is None:
        return ""
    for band in definition.get("bands", []):
        if band["code"] == code:
            return text(band["title"], language)
    for option in definition["items"][0].get("options", []):
        if option.get("code") == code:
            return text(option["text"], language)
    return code


def success_values(definition: dict) -> list[int]:
    """The answer values that count as success (global change, MacNab)."""
    codes = set(definition.get("success", []))
    return [o["value"] for o in definition["items"][0].get("options", []) if o.get("code") in codes]


def is_scale(definition: dict) -> bool:
    """Whether the score is a measure with a direction (ODI, pain) rather than a category."""
    return definition["scoring"]["method"] != "choice"
