"""Small helpers shared by the unit tests."""

from __future__ import annotations

from typing import Any, Iterator


def yaml_strings(node: Any) -> Iterator[str]:
    """Every text in a YAML tree (comments are not data, so they are not included)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from yaml_strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from yaml_strings(value)
