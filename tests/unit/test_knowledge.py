"""The knowledge base is the product: these checks keep every answer sourced, dated, short and
free of claims the fact base marks as uncertain or superseded.

Source URLs, phone numbers and figures are checked against the project's own register of sources
(content/sources/) in test_source_register.py, so those checks run on any fresh clone."""

import datetime as dt
import re
from pathlib import Path
from typing import List

import pytest
import yaml

from bot.knowledge import MAX_ANSWER_CHARS, MAX_TITLE_CHARS, ContentError, format_source_note, load_knowledge
from bot.settings import get_settings
from tests.unit.support import yaml_strings

CONTENT = get_settings().content_dir


@pytest.fixture(scope="module")
def kb():
    return load_knowledge(CONTENT / "knowledge")


def test_every_answer_has_source_date_and_both_languages(kb) -> None:
    assert len(kb.answers) >= 30
    for answer in kb.answers.values():
        assert answer.sources, answer.id
        assert dt.date(2024, 1, 1) <= answer.last_checked <= dt.date.today(), answer.id
        for language in ("id", "en"):
            assert answer.text[language] and answer.next_step[language], answer.id
            assert len(answer.body(language)) <= MAX_ANSWER_CHARS, answer.id
            assert len(answer.title[language]) <= MAX_TITLE_CHARS, answer.id


# Claims the fact base marks [UNCERTAIN]/[CONFLICT]/[NOT FOUND]: they may not be stated as fact.
UNCERTAIN_CLAIMS = [
    "0120-022332",  # JITCO helpline: number and schedule uncertain
    "immigration@kbritokyo.jp",  # possibly outdated
    "550.000",
    "550,000",  # 2025 JFT-Basic fee: uncertain
    "hanya laki-laki",
    "men only",
    "khusus pria",  # IM Japan gender: conflicting sources
    "347",
    "464",  # number of SOs: secondary source only
    "401.876",
    "401,876",  # mixed-up figure
    "59.820",
    "59,820",  # conflicting 2022 figure
    # Superseded on 2026-12-01 (see also SUPERSEDED_CLAIMS below, which checks them in context):
    "820.000",
    "820,000",  # old SSW ceiling (March 2024), replaced by 805,700 for SSW (i) on 23 Jan 2026
    "(maksimal 90 hari)",
    "(maks. 90 hari)",
    "(up to 90 days)",  # old visa-waiver wording: it is 15 days
]


def test_no_uncertain_claim_is_stated(kb) -> None:
    for answer in kb.answers.values():
        for language in ("id", "en"):
            body = answer.body(language).lower()
            for claim in UNCERTAIN_CLAIMS:
                assert claim.lower() not in body, f"{answer.id}/{language} states {claim!r}"


# Claims the 2026-12-01 audit of the fact base superseded. Each is checked line by line (a bullet or a
# paragraph) of every answer and every conversation text: (what the line is about, the superseded
# claim, why). A line may still mention a superseded figure as history if it says so ("replaced").
SUPERSEDED_CLAIMS = [
    (
        re.compile(r"waiver|bebas visa", re.I),
        re.compile(r"\b90(?:[ -](?:hari|days?)|-day)\b", re.I),
        "the visa waiver allows 15 days per visit, not 90",
    ),
    (
        re.compile(r"."),
        re.compile(r"\b820[.,]000\b"),
        "the 820,000 SSW ceiling was replaced on 23 Jan 2026 (805,700 for SSW (i) to the end of FY2028)",
    ),
]
HISTORY_MARKERS = re.compile(
    r"diganti|digantikan|replaced|superseded|formerly|sebelumnya|previously|direvisi|revised", re.I
)


def _superseded(text: str) -> List[str]:
    problems = []
    for line in text.splitlines():
        for topic, claim, why in SUPERSEDED_CLAIMS:
            if topic.search(line) and claim.search(line) and not HISTORY_MARKERS.search(line):
                problems.append(f"{line.strip()!r}: {why}")
    return problems


def test_the_superseded_claims_check_can_fail() -> None:
    assert _superseded("Visa waiver hanya untuk kunjungan singkat (maksimal 90 hari).")
    assert _superseded("A visa waiver is for short stays (up to 90 days).")
    assert _superseded("Batas penerimaan SSW 820.000 orang, bukan lowongan.")
    assert _superseded("The ceiling is 820,000 over 5 years.")
    assert not _superseded("Visa waiver: maksimal 15 hari per kunjungan.\nVisa turis biasa: 15, 30, atau 90 hari.")
    assert not _superseded("The 820,000 ceiling of 2024 was replaced by 805,700.")


def test_no_superseded_claim_is_stated(kb) -> None:
    problems = [
        f"{a.id}/{lang}: {p}" for a in kb.answers.values() for lang in ("id", "en") for p in _superseded(a.body(lang))
    ]
    for name in ("ui.yml", "reports.yml", "risk_flags.yml"):
        data = yaml.safe_load((CONTENT / name).read_text(encoding="utf-8"))
        problems += [f"{name}: {p}" for text in yaml_strings(data) for p in _superseded(text)]
    responses = yaml.safe_load((CONTENT.parent / "domain.yml").read_text(encoding="utf-8"))["responses"]
    problems += [f"domain.yml: {p}" for text in yaml_strings(responses) for p in _superseded(text)]
    assert not problems, problems


def test_uncertain_topics_send_users_to_the_official_channel(kb) -> None:
    # IM Japan eligibility conflicts between sources: the answer must say so and point to the portal.
    selection = kb.answers["titp_selection"]
    assert "jepang.magangln.id" in selection.body("id") and "jepang.magangln.id" in selection.body("en")
    # The conflict is recorded as a caveat, and the answer sends users to the announcement instead.
    assert any("[CONFLICT]" in caveat and "IM Japan" in caveat for caveat in selection.caveats), selection.caveats
    # The ESD fee cap is a draft only.
    assert "draft" in kb.answers["esd_reform"].body("en").lower()


def test_source_note_lists_urls_and_date(kb) -> None:
    answer = kb.answers["check_lpk"]
    note_id = format_source_note(answer, "id")
    note_en = format_source_note(answer, "en")
    assert all(source.url in note_id for source in answer.sources)
    assert "Terakhir dicek" in note_id and "Last checked" in note_en
    assert str(answer.last_checked.year) in note_en


def _write(tmp_path: Path, body: str) -> Path:
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "topic.yml").write_text(body, encoding="utf-8")
    return folder


GOOD = """
topic: t
title: {id: T, en: T}
answers:
  - id: a
    title: {id: Judul, en: Title}
    text: {id: Teks, en: Text}
    next: {id: Lanjut, en: Next}
    sources: [{title: S, url: "https://example.org"}]
    last_checked: 2026-11-27
"""


def test_a_valid_file_loads(tmp_path: Path) -> None:
    kb = load_knowledge(_write(tmp_path, GOOD))
    assert kb.answers["a"].body("en") == "Text\n\nNext"


@pytest.mark.parametrize(
    "broken, message",
    [
        (GOOD.replace('    sources: [{title: S, url: "https://example.org"}]\n', ""), "source"),
        (GOOD.replace("    last_checked: 2026-11-27\n", ""), "last_checked"),
        (GOOD.replace("en: Text", "en: ''"), "'en'"),
        (GOOD.replace("en: Title", "en: A title far longer than twenty"), "at most 20"),
        (GOOD.replace("en: Text", "en: " + "x" * 950), "phone screens"),
        (GOOD.replace("https://example.org", "example.org"), "full URL"),
        (GOOD + "    related: [missing]\n", "related"),
    ],
)
def test_malformed_content_is_refused_at_load_time(tmp_path: Path, broken: str, message: str) -> None:
    with pytest.raises(ContentError, match=message):
        load_knowledge(_write(tmp_path, broken))


def test_keywords_are_optional_short_terms(tmp_path) -> None:
    good = GOOD.replace(
        "    last_checked: 2026-11-27",
        "    last_checked: 2026-11-27\n    keywords: {id: [nenkin, uang pensiun], en: [pension refund]}",
    )
    kb = load_knowledge(_write(tmp_path, good))
    assert kb.answers["a"].keywords["id"] == ("nenkin", "uang pensiun")
    bad = GOOD.replace(
        "    last_checked: 2026-11-27",
        "    last_checked: 2026-11-27\n    keywords: {id: [this is far too long to be a term]}",
    )
    (tmp_path / "knowledge" / "topic.yml").write_text(bad, encoding="utf-8")
    with pytest.raises(ContentError, match="short term"):
        load_knowledge(tmp_path / "knowledge")
