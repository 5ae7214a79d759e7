"""How many fuzz cases each target was tried with in this test run.

One collector for the whole pytest session (parser fuzzing in tests/fuzz, HTTP fuzzing of the
running webhooks in tests/conversation): every property test calls ``CASES.hit(target, strategy)``
once per generated case. ``tests/fuzz/conftest.py`` prints the counts in the terminal summary
and writes them to reports/fuzz/cases.json, so the figure asked for ("how many attack cases did
we try?") comes from the run itself, not from the ``max_examples`` settings.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from pathlib import Path
from typing import Dict, List

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REPORT_PATH = PROJECT_ROOT / "reports" / "fuzz" / "cases.json"


class CaseCounter:
    """Counts per target and strategy. Thread-safe: the console's WSGI calls may run elsewhere."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Dict[str, Dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def hit(self, target: str, strategy: str = "cases", count: int = 1) -> None:
        with self._lock:
            self._counts[target][strategy] += count

    def count(self, target: str) -> int:
        with self._lock:
            return sum(self._counts.get(target, {}).values())

    @property
    def total(self) -> int:
        with self._lock:
            return sum(sum(strategies.values()) for strategies in self._counts.values())

    def as_json(self) -> Dict[str, object]:
        with self._lock:
            targets = {
                target: {**dict(sorted(strategies.items())), "total": sum(strategies.values())}
                for target, strategies in sorted(self._counts.items())
            }
        return {"targets": targets, "total": sum(entry["total"] for entry in targets.values())}

    def summary_lines(self, shown: int = 6) -> List[str]:
        """One line per target: its total, then its biggest strategies (all of them in the JSON)."""
        report = self.as_json()
        lines = []
        for target, entry in report["targets"].items():  # type: ignore[union-attr]
            strategies = sorted(((count, name) for name, count in entry.items() if name != "total"), reverse=True)
            parts = ", ".join(f"{name} {count}" for count, name in strategies[:shown])
            if len(strategies) > shown:
                parts += f", and {len(strategies) - shown} more"
            lines.append(f"{target:<24} {entry['total']:>6}  ({parts})")
        lines.append(f"{'total':<24} {report['total']:>6}")
        return lines

    def write(self, path: Path = REPORT_PATH) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.as_json(), indent=2) + "\n", encoding="utf-8")
        return path


CASES = CaseCounter()
