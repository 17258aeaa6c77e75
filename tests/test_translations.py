"""The catalogs stay complete: every message the code and templates use has its Indonesian."""

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _catalog():
    with (ROOT / "tracker/translations/id/LC_MESSAGES/messages.po").open("rb") as po:
        return read_po(po)


def _used() -> set[str]:
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    found = set()
    for _, _, message, _, _ in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_message_in_use_has_an_indonesian_translation():
    catalog = _catalog()
    missing = []
    for msgid in sorted(_used()):
        message = catalog.get(msgid)
        strings = () if message is None else message.string
        strings = (strings,) if isinstance(strings, str) else strings
        if message is None or message.fuzzy or not all(strings):
            missing.append(msgid)
    assert not missing, f"untranslated (run pybabel extract/update, fill the .po): {missing}"


def test_translations_keep_their_placeholders():
    wrong = []
    for message in _catalog():
        if not message.id or not message.string:
            continue
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        allowed = set(PLACEHOLDER.findall(msgid))
        if isinstance(message.id, tuple):
            allowed |= set(PLACEHOLDER.findall(message.id[1]))
        wrong += [msgid for s in strings if not set(PLACEHOLDER.findall(s)) <= allowed]
    assert not wrong, wrong
