"""requirements.txt is compiled from requirements.in (`make lock`, pip-tools): every package is
pinned exactly, and each says what needs it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Tuple

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)")


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def compiled() -> Dict[str, Tuple[str, List[str]]]:
    """Package -> its pinned version and the lines of its "# via" annotation."""
    pins: Dict[str, Tuple[str, List[str]]] = {}
    current = None
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line and not line.startswith((" ", "#")):
            assert re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*==[^\s=]+$", line), f"not an exact pin: {line}"
            name, version = line.split("==")
            current = normalised(name)
            pins[current] = (version, [])
        elif line.startswith("    #") and current:
            pins[current][1].append(line.strip("# ").strip())
    return pins


def test_every_pin_is_exact_and_says_what_needs_it() -> None:
    pins = compiled()
    assert len(pins) > 150
    for name, (_, via) in pins.items():
        assert via, f"{name} has no '# via' line: run `make lock`"


def test_every_direct_requirement_is_pinned_as_asked() -> None:
    pins = compiled()
    for line in (ROOT / "requirements.in").read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        name = normalised(NAME.match(line).group(1))
        assert name in pins, f"{name} is in requirements.in but not compiled: run `make lock`"
        version, via = pins[name]
        assert any("requirements.in" in line for line in via), name
        wanted = re.search(r"==\s*([^\s;]+)", line)
        if wanted:
            assert version == wanted.group(1), f"{name}: requirements.in asks {wanted.group(1)}, compiled {version}"
