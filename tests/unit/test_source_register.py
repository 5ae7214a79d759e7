"""The project's own register of sources (content/sources/*.yml) backs every URL, phone number and
figure the content states. These checks run on any fresh clone; only the comparison of the register
with the shared fact base skips when that file is not next to the checkout."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import List, Tuple

import pytest
import yaml

from bot.knowledge import load_knowledge
from bot.settings import get_settings
from bot.sources import PHONE, ContentError, digits, load_source_register, numbers_in, phone_numbers
from tests.unit.support import yaml_strings

CONTENT = get_settings().content_dir
FACTS = get_settings().project_root.parent / "shared" / "knowledge" / "facts.md"
LANGUAGES = ("id", "en")

# Japan's police (110) and ambulance/fire (119) numbers. The fact base (§2.4) gives them from a 2022
# kompas.tv item without a URL, so no register entry can hold them; they are the only exception.
UNLINKED_PHONES = {"110", "119"}
# Example numbers the report form shows to explain the expected format (its questions in domain.yml,
# its re-asks in content/reports.yml); they are nobody's contact and may appear only there.
FORMAT_EXAMPLES = {"081234567890", "818012345678"}


@pytest.fixture(scope="module")
def register():
    return load_source_register(CONTENT / "sources")


@pytest.fixture(scope="module")
def kb():
    return load_knowledge(CONTENT / "knowledge")


def _load(name: str):
    return yaml.safe_load((CONTENT / name).read_text(encoding="utf-8"))


def _red_flags() -> List[Tuple[str, List[str], List[str]]]:
    """(code, texts, source URLs) of every red flag."""
    flags = []
    for code, flag in _load("risk_flags.yml")["flags"].items():
        texts = [flag[part][lang] for part in ("title", "explanation", "rule", "advice") for lang in LANGUAGES]
        flags.append((code, texts, [source["url"] for source in flag.get("sources") or []]))
    return flags


# --- 1. every cited URL is registered -------------------------------------------------------------


def test_every_answer_source_url_is_in_the_register(kb, register) -> None:
    missing = [(a.id, s.url) for a in kb.answers.values() for s in a.sources if s.url not in register]
    assert not missing, f"source URLs missing from content/sources/: {missing}"


def test_every_red_flag_source_url_is_in_the_register(register) -> None:
    flags = _red_flags()
    assert flags and all(urls for _, _, urls in flags), "every red flag cites at least one source"
    missing = [(code, url) for code, _, urls in flags for url in urls if url not in register]
    assert not missing, f"red-flag source URLs missing from content/sources/: {missing}"


# --- 2. every phone number is registered ----------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "0-800-1000",
        "0811-8080-141",
        "+81 80 3506 8612",
        "+62 21 2924 4800",
        "0570-013904",
        "03-5796-7112",
        "0120-811-610",
        "1500-630",
        "110",
        "119",
    ],
)
def test_the_phone_pattern_finds_every_format_the_content_uses(written: str) -> None:
    assert phone_numbers(f"Hubungi {written} (gratis).") == [written]


def test_the_phone_pattern_leaves_figures_dates_and_urls_alone() -> None:
    text = "¥100.000–110.000, 805.700, 2026-12-01, Rp10–15 juta, https://example.org/2025/0811-8080-141, 119th"
    assert phone_numbers(text) == []


def _content_phones() -> List[Tuple[str, str]]:
    """(where, number as written) for every phone number in the answers and conversation texts."""
    found = [
        (f"knowledge:{answer.id}", number)
        for answer in load_knowledge(CONTENT / "knowledge").answers.values()
        for lang in LANGUAGES
        for number in phone_numbers(answer.body(lang))
    ]
    for name in ("ui.yml", "reports.yml", "risk_flags.yml"):
        found += [(name, number) for text in yaml_strings(_load(name)) for number in phone_numbers(text)]
    # The fixed replies (domain.yml's responses) name the help lines too.
    responses = yaml.safe_load((CONTENT.parent / "domain.yml").read_text(encoding="utf-8"))["responses"]
    found += [("domain.yml", number) for text in yaml_strings(responses) for number in phone_numbers(text)]
    return found


def test_every_phone_number_in_the_content_is_in_the_register(register) -> None:
    found = _content_phones()
    assert len({digits(n) for _, n in found}) >= 5, "the phone pattern found almost nothing: it could not fail"
    assert {"08001000", "08118080141", "818035068612"} <= {digits(n) for _, n in found}
    known = register.phones | UNLINKED_PHONES
    unknown = [
        (where, number)
        for where, number in found
        if digits(number) not in known
        and not (where in ("reports.yml", "domain.yml") and digits(number) in FORMAT_EXAMPLES)
    ]
    assert not unknown, f"phone numbers no register entry supports: {unknown}"


def test_a_made_up_phone_number_would_be_caught(register) -> None:
    assert "081299998888" not in register.phones
    assert [digits(n) for n in phone_numbers("Call 0812-9999-8888 now")] == ["081299998888"]


# --- 3. every figure an answer states is supported by that answer's own sources --------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Batas 805.700 orang", ["805700"]),
        ("a ceiling of 805,700", ["805700"]),
        ("Rp10–15 juta", ["10", "15"]),
        ("2,890 Indonesians, up 37.2%", ["2890", "372"]),
        ("naik 37,2%", ["372"]),
        ("JLPT N4 atau JFT-Basic A2", ["4", "2"]),
        ("the 3rd-largest, FY2028", ["3", "2028"]),
        ("Cek P3MI di siskop2mi.bp2mi.go.id atau https://so.kemnaker.go.id/2024", []),
        ("KP2MI 0-800-1000, KBRI +81 80 3506 8612, darurat 110", []),
        ("1. Pelatihan 4 bulan\n2. Tes bahasa", ["4"]),
        ("paling lama 5 tahun", ["5"]),
    ],
)
def test_numbers_are_read_with_separators_removed(text: str, expected: List[str]) -> None:
    assert numbers_in(text) == expected


def test_every_number_in_an_answer_is_supported_by_its_own_sources(kb, register) -> None:
    unsupported = []
    for answer in kb.answers.values():
        allowed = register.numbers_for(source.url for source in answer.sources)
        for lang in LANGUAGES:
            for number in numbers_in(answer.body(lang)):
                if number not in allowed:
                    unsupported.append(f"{answer.id}/{lang}: {number}")
    assert not unsupported, "numbers none of the answer's own sources supports: " + ", ".join(sorted(set(unsupported)))


def test_every_number_in_a_red_flag_is_supported_by_its_own_sources(register) -> None:
    unsupported = []
    for code, texts, urls in _red_flags():
        allowed = register.numbers_for(urls)
        unsupported += [f"{code}: {n}" for text in texts for n in numbers_in(text) if n not in allowed]
    assert not unsupported, "numbers none of the red flag's own sources supports: " + ", ".join(
        sorted(set(unsupported))
    )


def test_an_unsourced_number_would_be_caught(register) -> None:
    # The superseded 820,000 ceiling is in no register entry, so an answer stating it fails the check.
    url = "https://www.nippon.com/en/news/yjj2026012300523/japan-to-accept-up-to-1-23-m-foreign-workers-through-fy-2028.html"
    allowed = register.numbers_for([url])
    assert "805700" in allowed
    assert [n for n in numbers_in("Batas SSW 820.000 orang") if n not in allowed] == ["820000"]


# --- 4. the register agrees with the shared fact base (when it is next to the checkout) -----------


@pytest.fixture(scope="module")
def facts_text() -> str:
    if not FACTS.exists():
        pytest.skip("the shared fact base is not next to this checkout")
    return FACTS.read_text(encoding="utf-8")


def test_every_register_url_is_one_the_fact_base_cites(register, facts_text) -> None:
    missing = [s.url for s in register if re.sub(r"^https?://", "", s.url).rstrip("/") not in facts_text]
    assert not missing, f"register URLs not in facts.md: {missing}"


def test_every_register_phone_is_in_the_fact_base(register, facts_text) -> None:
    fact_phones = {digits(n) for n in phone_numbers(facts_text)}
    missing = sorted(register.phones - fact_phones)
    assert not missing, f"register phone numbers not in facts.md: {missing}"
    assert UNLINKED_PHONES <= fact_phones


# --- 5. the loader -------------------------------------------------------------------------------

ENTRY = """  - url: https://example.org/a
    title: Example
    supports: Something
    numbers: ["15", "805700"]
    phones: ["08001000"]
    checked: 2026-12-01
"""


def _register(tmp_path: Path, *bodies: str) -> Path:
    folder = tmp_path / "sources"
    folder.mkdir()
    for index, body in enumerate(bodies):
        (folder / f"file{index}.yml").write_text("sources:\n" + body, encoding="utf-8")
    return folder


def test_a_valid_register_loads(tmp_path: Path) -> None:
    register = load_source_register(_register(tmp_path, ENTRY))
    source = register.get("https://example.org/a")
    assert source is not None and source.numbers == {"15", "805700"} and source.phones == {"08001000"}
    assert source.checked == dt.date(2026, 12, 1) and len(register) == 1


def test_duplicate_urls_are_merged_by_union(tmp_path: Path) -> None:
    other = (
        ENTRY.replace('["15", "805700"]', '["3"]')
        .replace('["08001000"]', "[]")
        .replace("Something", "Something else")
        .replace("2026-12-01", "2026-11-27")
    )
    register = load_source_register(_register(tmp_path, ENTRY, other))
    source = register.get("https://example.org/a")
    assert source.numbers == {"15", "805700", "3"} and source.phones == {"08001000"}
    assert source.checked == dt.date(2026, 12, 1)
    assert "Something else" in source.supports and source.files == ("file0.yml", "file1.yml")
    assert register.numbers_for(["https://example.org/a", "https://unknown.example"]) == {"15", "805700", "3"}


@pytest.mark.parametrize(
    "broken, message",
    [
        (ENTRY.replace("https://example.org/a", "example.org/a"), "full http"),
        (ENTRY.replace("https://example.org/a", "ftp://example.org/a"), "full http"),
        (ENTRY.replace("    checked: 2026-12-01\n", ""), "'checked'"),
        (ENTRY.replace("2026-12-01", "1 Dec 2026"), "not a date"),
        (ENTRY.replace("2026-12-01", "2026-12-01 10:00:00"), "date and time"),
        (ENTRY.replace('["15", "805700"]', "[15]"), "quoted strings of digits"),
        (ENTRY.replace('["15", "805700"]', '["805.700"]'), "quoted strings of digits"),
        (ENTRY.replace('["08001000"]', '["0-800-1000"]'), "'phones' entries"),
        (ENTRY.replace('["08001000"]', '"08001000"'), "must be a list"),
        (ENTRY.replace("    title: Example\n", ""), "'title'"),
        (ENTRY.replace("Something", "''"), "'supports'"),
        (ENTRY.replace("    phones:", "    phone:"), "unknown keys"),
        ("  - just a string\n", "must be a mapping"),
    ],
)
def test_a_malformed_entry_is_refused_with_a_clear_message(tmp_path: Path, broken: str, message: str) -> None:
    with pytest.raises(ContentError, match=message):
        load_source_register(_register(tmp_path, broken))


def test_a_malformed_file_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "sources"
    folder.mkdir()
    with pytest.raises(ContentError, match="no source register files"):
        load_source_register(folder)
    (folder / "bad.yml").write_text("urls: []\n", encoding="utf-8")
    with pytest.raises(ContentError, match="top-level 'sources' list"):
        load_source_register(folder)
    (folder / "bad.yml").write_text("sources: [\n", encoding="utf-8")
    with pytest.raises(ContentError, match="not valid YAML"):
        load_source_register(folder)


def test_the_register_entries_say_when_they_were_checked(register) -> None:
    assert len(register) >= 100
    assert all(dt.date(2024, 1, 1) <= source.checked <= dt.date.today() for source in register)
    assert PHONE.pattern  # the shared pattern is importable for other checks
