"""Reading the course's TOML files with messages that name the file, the table and the key."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from grader.errors import UserError


def read(path: Path, what: str) -> dict[str, Any]:
    """The parsed file, or UserError saying where the syntax is wrong."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such file (the {what})")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise UserError(f"{path}: not UTF-8 text; save the {what} as UTF-8") from None
    except tomllib.TOMLDecodeError as error:
        raise UserError(f"{path}: not valid TOML: {error}") from None


class Table:
    """One table of a TOML file, read key by key; every error names ``file: where.key``."""

    def __init__(self, path: Path, where: str, data: Any):
        self.path, self.where = Path(path), where
        if not isinstance(data, Mapping):
            raise self.error(f"[{where}] must be a table")
        self.data = data

    def error(self, message: str) -> UserError:
        return UserError(f"{self.path}: {message}")

    def _name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def only(self, allowed: Iterable[str]) -> None:
        allowed = tuple(allowed)
        for key in self.data:
            if key not in allowed:
                raise self.error(
                    f"unknown key '{self._name(key)}' (known here: {', '.join(allowed)})"
                )

    def has(self, key: str) -> bool:
        return key in self.data

    def text(self, key: str, default: str | None = None) -> str:
        value = self.data.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise self.error(f"'{self._name(key)}' must be non-empty text, got {_shown(value)}")
        return value.strip()

    def number(self, key: str, default: float | None = None, *, minimum: float = 0.0) -> float:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            raise self.error(
                f"'{self._name(key)}' must be a number of at least {minimum:g}, got {_shown(value)}"
            )
        return float(value)

    def positive(self, key: str, default: float | None = None) -> float:
        value = self.number(key, default)
        if value <= 0:
            raise self.error(f"'{self._name(key)}' must be more than 0, got {value:g}")
        return value

    def flag(self, key: str) -> bool | None:
        """A true/false switch, or None when the key is absent."""
        value = self.data.get(key)
        if value is not None and not isinstance(value, bool):
            raise self.error(f"'{self._name(key)}' must be true or false, got {_shown(value)}")
        return value

    def when(self, key: str) -> datetime | None:
        """A TOML date-time with its UTC offset, or None when the key is absent."""
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise self.error(
                f"'{self._name(key)}' must be a date-time with its UTC offset, "
                f"e.g. 2026-12-18T23:59:00+05:30; got {_shown(value)}"
            )
        return value

    def strings(self, key: str, default: list[str] | None = None) -> list[str]:
        value = self.data.get(key, default)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(f"'{self._name(key)}' must be a list of text, got {_shown(value)}")
        return value

    def tables(self, key: str) -> list[Table]:
        value = self.data.get(key)
        if not isinstance(value, list) or not value:
            raise self.error(f"no [[{self._name(key)}]] tables: at least one is needed")
        return [Table(self.path, f"{self._name(key)}[{i}]", item) for i, item in enumerate(value)]

    def table(self, key: str) -> Table:
        if key not in self.data:
            raise self.error(f"no [{self._name(key)}] table")
        return Table(self.path, self._name(key), self.data[key])


def _shown(value: Any) -> str:
    return "nothing" if value is None else f"{value!r} ({type(value).__name__})"
