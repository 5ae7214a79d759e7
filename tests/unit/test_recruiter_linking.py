"""Linking a new report to a recruiter already on file (pure)."""

from __future__ import annotations

from bot.recruitment.linking import same_recruiter

ON_FILE = [
    (1, "darto", "Kab. Cirebon"),
    (2, "dharma", "Kab. Cirebon"),
    (3, "darto", "Kota Medan"),
    (4, "dartoo", "kab cirebon"),
]


def test_a_close_name_in_the_same_area_is_the_same_recruiter() -> None:
    assert same_recruiter("dartoo", "kab. cirebon", ON_FILE) == 4  # exact beats close
    assert same_recruiter("darto", "Kab. Cirebon", ON_FILE) == 1
    assert same_recruiter("darto", "KOTA MEDAN", ON_FILE) == 3


def test_the_same_name_elsewhere_or_a_different_name_is_a_new_recruiter() -> None:
    assert same_recruiter("darto", "Kab. Indramayu", ON_FILE) is None
    assert same_recruiter("budi", "Kab. Cirebon", ON_FILE) is None
    assert same_recruiter("dart", "Kota Medan", ON_FILE) is None  # 88.9 is under the cut-off


def test_no_name_or_no_area_links_nothing() -> None:
    assert same_recruiter("", "Kab. Cirebon", ON_FILE) is None
    assert same_recruiter("darto", None, ON_FILE) is None
    assert same_recruiter("darto", "Kab. Cirebon", []) is None
    assert same_recruiter("darto", "Kab. Cirebon", [(9, "darto", None)]) is None


def test_on_a_tie_the_older_recruiter_wins() -> None:
    assert same_recruiter("darto", "Kab. Cirebon", [(5, "darto", "Kab. Cirebon"), (6, "darto", "Kab. Cirebon")]) == 5
