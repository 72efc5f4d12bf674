"""Reading JSON that anyone may have written (a handed-in notebook, a bundle's manifest):
whatever the bytes, a value or :class:`NotJSON` saying what is wrong with them, never a
traceback. Text nested deeper than :data:`grader.limits.JSON_INPUT` is refused here, so that
no reader after this one recurses into it."""

from __future__ import annotations

import json
from typing import Any

from grader.limits import JSON_INPUT


class NotJSON(ValueError):
    """The bytes are not JSON the grader reads; the message says why."""


def load_json(data: bytes | str) -> Any:
    """The value ``data`` (UTF-8, a BOM allowed) holds. Raises :class:`NotJSON`."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise NotJSON("the file is not UTF-8 text") from None
    try:
        value = json.loads(data)
    except json.JSONDecodeError as error:
        raise NotJSON(f"the file is not JSON ({error})") from None
    except RecursionError:
        raise NotJSON(_too_deep()) from None
    if _depth_over(value, JSON_INPUT.max_depth):
        raise NotJSON(_too_deep())
    return value


def object_at(value: Any, key: str) -> dict[str, Any]:
    """``value[key]`` when both are JSON objects, else an empty one: for optional parts."""
    found = value.get(key) if isinstance(value, dict) else None
    return found if isinstance(found, dict) else {}


def _too_deep() -> str:
    return f"the file's lists and objects nest more than {JSON_INPUT.max_depth} deep"


def _depth_over(value: Any, most: int) -> bool:
    """Whether ``value`` nests lists and objects more than ``most`` deep (without recursing)."""
    level: list[Any] = [value]
    for _ in range(most):
        level = [
            item
            for container in level
            if isinstance(container, dict | list)
            for item in (container.values() if isinstance(container, dict) else container)
            if isinstance(item, dict | list)
        ]
        if not level:
            return False
    return bool(level)
