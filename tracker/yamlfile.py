"""Reading the YAML files the clinic edits (pathways, outcome measures, saved replies).

PyYAML's C loader (libyaml) parses them about ten times faster than the pure-Python one and
accepts the same safe subset; it is used wherever the installed PyYAML has it.
"""

from pathlib import Path
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: what a malformed file raises (re-exported so callers need not import yaml)
YAMLError = yaml.YAMLError


def load(text: str) -> Any:
    """The data in ``text``, as :func:`yaml.safe_load` gives it."""
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 (a safe loader)


def read(path: Path) -> Any:
    return load(path.read_text(encoding="utf-8"))
