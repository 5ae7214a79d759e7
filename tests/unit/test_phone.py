import random
from typing import List, Optional

import pytest

from bot.recruitment.phone import find_phones, normalise_phone

# --- normalise_phone --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("0812-3456-7890", "+6281234567890"),
        ("0812 3456 7890", "+6281234567890"),
        ("081234567890", "+6281234567890"),
        ("0812.3456.7890", "+6281234567890"),
        ("0812–3456–7890", "+6281234567890"),  # en dash from a phone keyboard
        ("  0812-3456-7890  ", "+6281234567890"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("+62-812-3456-7890", "+6281234567890"),
        ("+6281234567890", "+6281234567890"),
        ("(+62) 812-3456-7890", "+6281234567890"),
        ("+62 0812 3456 7890", "+6281234567890"),  # the trunk 0 written after +62
        ("62812-3456-7890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
        ("0062 812 3456 7890", "+6281234567890"),
        ("(021) 2924 4800", "+622129244800"),
        ("021 2924 4800", "+622129244800"),
        ("wa 0811-8080-141", "+628118080141"),
        ("WA: 0811-8080-141", "+628118080141"),
        ("Telp. (021) 2924 4800", "+622129244800"),
        ("+81 80 3506 8612", "+818035068612"),
        ("+81-90-1234-5678", "+819012345678"),
    ],
)
def test_indonesian_and_international_numbers(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("080-3506-8612", "+818035068612"),
        ("090-1234-5678", "+819012345678"),
        ("03-1234-5678", "+81312345678"),
        ("81 80 3506 8612", "+818035068612"),
        ("+62 812 3456 7890", "+6281234567890"),
    ],
)
def test_japan_as_default_region(raw: str, expected: str) -> None:
    assert normalise_phone(raw, default_region="JP") == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        # No Indonesian number starts with 090 or 070, so these are Japanese mobiles.
        ("090-1234-5678", "+819012345678"),
        ("09012345678", "+819012345678"),
        ("070-1234-5678", "+817012345678"),
        # 080 is not a valid Indonesian prefix either, so it falls back to Japan ...
        ("080-3506-8612", "+818035068612"),
        # ... while real Indonesian 08xx numbers stay Indonesian.
        ("0812-3456-7890", "+6281234567890"),
        ("0857-1234-5678", "+6285712345678"),
    ],
)
def test_japanese_mobiles_in_indonesian_region(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


def test_region_code_is_case_insensitive() -> None:
    assert normalise_phone("0812 3456 7890", default_region="id") == "+6281234567890"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        " ",
        "12345",
        "08123",
        "abc",
        "wa",
        "15.000.000",
        "Rp 15.000.000",
        "15000000",
        "2024",
        "2024-01-15",
        "01-02-2024",
        "01.02.2024",
        "15/01/2025",
        "31122024",
        "0812-3456-7890 15jt",  # trailing text: not a raw phone number
        "0812 3456 7890 0812 3456 7890",
        "+",
        "++6281234567890",
        "0812+3456",
        "+62 812",
        "+999 1234 5678",
        "0" * 12,
        "1" * 50,
        "🙏",
        "０８１２",
    ],
)
def test_garbage_is_not_a_phone(raw: str) -> None:
    assert normalise_phone(raw) is None


@pytest.mark.parametrize("region", ["XX", "", "zz"])
def test_unknown_region_gives_none_for_national_numbers(region: str) -> None:
    assert normalise_phone("0812 3456 7890", default_region=region) is None
    # With "+" the region does not matter.
    assert normalise_phone("+62 812 3456 7890", default_region=region) == "+6281234567890"


def test_non_text_gives_none() -> None:
    assert normalise_phone(None) is None  # type: ignore[arg-type]
    assert normalise_phone(81234567890) is None  # type: ignore[arg-type]
    assert normalise_phone("0812 3456 7890", default_region=None) is None  # type: ignore[arg-type]


# --- find_phones ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("hubungi 0812-3456-7890 ya", ["+6281234567890"]),
        ("wa 0811-8080-141", ["+628118080141"]),
        ("WA:081234567890", ["+6281234567890"]),
        ("kantor (021) 2924 4800, hp +62 812 3456 7890", ["+622129244800", "+6281234567890"]),
        (
            "wa 0811-8080-141 atau +62 812 3456 7890, biaya 15jt",
            ["+628118080141", "+6281234567890"],
        ),
        ("https://wa.me/6281234567890?text=halo", ["+6281234567890"]),
        ("call 090-1234-5678 or 080-3506-8612", ["+819012345678", "+818035068612"]),
        ("sensei +81 80 3506 8612", ["+818035068612"]),
        ("hubungi 0812 3456 7890 2025", ["+6281234567890"]),  # a year right after the number
        ("nomor: 0812 3456 7890. terima kasih", ["+6281234567890"]),
        ("0812-3456-7890\n0813-1111-2222", ["+6281234567890", "+6281311112222"]),
        ("0812-3456-7890 0813-1111-2222", ["+6281234567890", "+6281311112222"]),
    ],
)
def test_find_phones_in_text(text: str, expected: List[str]) -> None:
    assert find_phones(text) == expected


def test_find_phones_with_japan_region() -> None:
    assert find_phones("電話 080-3506-8612 まで", default_region="JP") == ["+818035068612"]


def test_find_phones_removes_duplicates_in_order() -> None:
    text = "0812-3456-7890 / +62 812 3456 7890 / 081234567890 / wa 0811-8080-141"
    assert find_phones(text) == ["+6281234567890", "+628118080141"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "biaya Rp 15.000.000",
        "bayar 45 juta ke rekening dia",
        "gaji 30jt/bln",
        "tahun 2025",
        "tanggal 01-02-2024 berangkat",
        "umur 25 thn, N4, 3 bulan",
        "12345",
        "rekening BCA 1234567890",  # no trunk 0 or country code: an account number
        "🙏🙏🙏",
    ],
)
def test_find_phones_ignores_non_phones(text: str) -> None:
    assert find_phones(text) == []


def test_text_with_both_phone_and_amount() -> None:
    text = "Transfer Rp 15.000.000 dulu, konfirmasi ke wa 0812-3456-7890"
    assert find_phones(text) == ["+6281234567890"]


@pytest.mark.parametrize(
    "text",
    [
        None,
        "1 " * 5000,
        "0" * 10_000,
        "+" * 10_000,
        "(" * 5000 + "0812" + ")" * 5000,
        "-".join(["0812"] * 2000),
        "\x00\ud800\uffff",
    ],
    ids=lambda value: repr(value)[:30],
)
def test_odd_input_never_raises(text: Optional[str]) -> None:
    assert isinstance(find_phones(text), list)  # type: ignore[arg-type]


def test_long_text_finds_the_phone_at_the_end() -> None:
    text = "kata biasa 12 " * 800 + "wa 0812-3456-7890"
    assert len(text) > 10_000
    assert find_phones(text) == ["+6281234567890"]


def test_random_noise_never_raises() -> None:
    rng = random.Random(7)
    pieces = ["0", "8", "1", "2", "6", "+", "-", " ", "(", ")", ".", "/", "wa", "\n", "🙏"]
    for _ in range(1000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        for phone in find_phones(text):
            assert phone.startswith("+") and phone[1:].isdigit()
        result = normalise_phone(text)
        assert result is None or result.startswith("+")
