"""docs/configuration.md cannot drift from the settings model: every setting is documented
once, in the group `run --help` puts it in, with its real default; nothing documented is not
a setting. A documented default is checked by loading it as the operator would write it."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from bot.cli._settings import SETTINGS_GROUPS
from bot.config import Settings, load_settings
from tests.conftest import PROJECT_ROOT

PAGE = PROJECT_ROOT / "docs" / "configuration.md"
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_CODE = re.compile(r"`([^`]*)`")


@dataclass(frozen=True, slots=True)
class Row:
    group: str
    name: str
    default: str


def _rows() -> list[Row]:
    """The settings tables of the page's "Settings" part, one row per setting."""
    text = PAGE.read_text(encoding="utf-8")
    settings_part = text.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    rows: list[Row] = []
    group = ""
    for line in settings_part.splitlines():
        if line.startswith("### "):
            group = line[4:].strip()
        elif line.startswith("| `"):
            cells = [cell.strip() for cell in _CELL_SPLIT.split(line)[1:-1]]
            name = _CODE.fullmatch(cells[0])
            assert name is not None, line
            rows.append(Row(group, name[1], cells[1]))
    return rows


def test_every_setting_is_documented_once_in_its_group() -> None:
    rows = _rows()
    names = [row.name for row in rows]
    assert len(names) == len(set(names)), "a setting documented twice"
    assert sorted(name.lower() for name in names) == sorted(Settings.model_fields)
    assert all(name == name.upper() for name in names), "names as environment variables"
    documented_groups = list(dict.fromkeys(row.group for row in rows))
    assert documented_groups == [group for group, _ in SETTINGS_GROUPS]
    for group, members in SETTINGS_GROUPS:
        in_page = {row.name.lower() for row in rows if row.group == group}
        assert in_page == set(members), group


def test_every_documented_default_is_the_real_one(monkeypatch: pytest.MonkeyPatch) -> None:
    for field in Settings.model_fields:
        monkeypatch.delenv(field.upper(), raising=False)
    defaults = load_settings()
    rows = _rows()
    assert rows
    for row in rows:
        field = row.name.lower()
        real = getattr(defaults, field)
        if row.default.startswith("unset"):
            assert real in (None, []), f"{row.name} is documented unset but defaults to {real!r}"
            continue
        written = _CODE.match(row.default)
        assert written is not None, (
            f"{row.name}: default {row.default!r} is neither unset nor `value`"
        )
        monkeypatch.setenv(row.name, written[1])
        assert getattr(load_settings(), field) == real, f"{row.name}: documented {written[1]!r}"
        monkeypatch.delenv(row.name)
