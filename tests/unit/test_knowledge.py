"""The knowledge base is the product: these checks keep every answer sourced, dated, short and
free of claims the fact base marks as uncertain."""
import datetime as dt
import re
from pathlib import Path

import pytest

from bot.knowledge import MAX_ANSWER_CHARS, MAX_TITLE_CHARS, ContentError, format_source_note, load_knowledge
from bot.settings import get_settings

CONTENT = get_settings().content_dir
FACTS = get_settings().project_root.parent / "shared" / "knowledge" / "facts.md"


@pytest.fixture(scope="module")
def kb():
    return load_knowledge(CONTENT / "knowledge")


@pytest.fixture(scope="module")
def facts_text() -> str:
    if not FACTS.exists():
        pytest.skip("the shared fact base is not next to this checkout")
    return FACTS.read_text(encoding="utf-8")


def test_every_answer_has_source_date_and_both_languages(kb) -> None:
    assert len(kb.answers) >= 30
    for answer in kb.answers.values():
        assert answer.sources, answer.id
        assert dt.date(2024, 1, 1) <= answer.last_checked <= dt.date.today(), answer.id
        for language in ("id", "en"):
            assert answer.text[language] and answer.next_step[language], answer.id
            assert len(answer.body(language)) <= MAX_ANSWER_CHARS, answer.id
            assert len(answer.title[language]) <= MAX_TITLE_CHARS, answer.id


def test_every_source_url_is_one_the_fact_base_cites(kb, facts_text) -> None:
    for answer in kb.answers.values():
        for source in answer.sources:
            bare = re.sub(r"^https?://", "", source.url).rstrip("/")
            assert bare in facts_text, f"{answer.id}: {source.url} is not in facts.md"


PHONE = re.compile(r"(?<![\w.])(?:\+\d[\d ]{7,}\d|0[\d-]{6,}\d|1500-630|\b11[09]\b)")


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def test_no_phone_number_is_invented(kb, facts_text) -> None:
    """Every phone number in the content appears in the fact base (digits compared)."""
    fact_digits = {_digits(m) for m in PHONE.findall(facts_text)}
    ui = (CONTENT / "ui.yml").read_text(encoding="utf-8")
    texts = [ui] + [a.body(lang) for a in kb.answers.values() for lang in ("id", "en")]
    found = {number for text in texts for number in PHONE.findall(text)}
    assert found, "the phone-number pattern found nothing: the test would not catch anything"
    for number in found:
        assert _digits(number) in fact_digits, f"phone number {number!r} is not in the fact base"


# Claims the fact base marks [UNCERTAIN]/[CONFLICT]/[NOT FOUND]: they may not be stated as fact.
UNCERTAIN_CLAIMS = [
    "0120-022332",          # JITCO helpline: number and schedule uncertain
    "immigration@kbritokyo.jp",  # possibly outdated
    "550.000", "550,000",   # 2025 JFT-Basic fee: uncertain
    "hanya laki-laki", "men only", "khusus pria",  # IM Japan gender: conflicting sources
    "347", "464",           # number of SOs: secondary source only
    "401.876", "401,876",   # mixed-up figure
    "59.820", "59,820",     # conflicting 2022 figure
]


def test_no_uncertain_claim_is_stated(kb) -> None:
    for answer in kb.answers.values():
        for language in ("id", "en"):
            body = answer.body(language).lower()
            for claim in UNCERTAIN_CLAIMS:
                assert claim.lower() not in body, f"{answer.id}/{language} states {claim!r}"


def test_uncertain_topics_send_users_to_the_official_channel(kb) -> None:
    # IM Japan eligibility conflicts between sources: the answer must say so and point to the portal.
    selection = kb.answers["titp_selection"]
    assert "jepang.magangln.id" in selection.body("id") and "jepang.magangln.id" in selection.body("en")
    assert selection.caveats
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
