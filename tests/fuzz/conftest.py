"""Hypothesis profiles for the fuzz tests, and the count of cases tried (see tests/fuzz/cases.py).

The "ci" profile (deadline off, derandomized so every CI run tries the same cases, bounded
examples) is loaded unless ``--hypothesis-profile`` names another one.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

from tests.fuzz.cases import CASES

# "ci", the default: repeatable (derandomized: every run tries the same cases, so a CI failure
# reproduces) and bounded, so the whole tests/fuzz run stays well under a minute. "deep" is for a
# local hunt: pytest --hypothesis-profile=deep tests/fuzz (random, 5,000 cases per test).
CI_PROFILE = "ci"
DEEP_PROFILE = "deep"
_COMMON = dict(
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
settings.register_profile(CI_PROFILE, derandomize=True, max_examples=150, **_COMMON)
settings.register_profile(DEEP_PROFILE, derandomize=False, max_examples=5000, **_COMMON)


def pytest_configure(config: pytest.Config) -> None:
    # Historic hook: called even though this conftest is loaded after the session started.
    if not config.getoption("hypothesis_profile", default=None):
        settings.load_profile(CI_PROFILE)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if CASES.total == 0:
        return
    path = CASES.write()
    terminalreporter.section("fuzz cases tried")
    for line in CASES.summary_lines():
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"(written to {path.relative_to(path.parents[2])})")
