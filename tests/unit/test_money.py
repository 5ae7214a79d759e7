import dataclasses
import random
from decimal import Decimal
from typing import List, Tuple

import pytest

from bot.recruitment.money import (
    JPY_TO_IDR,
    USD_TO_IDR,
    Money,
    approximate_idr,
    parse_money,
)

JUTA = 1_000_000


def amounts(text: str) -> List[Tuple[Decimal, str]]:
    return [(money.amount, money.currency) for money in parse_money(text)]


def idr(value: float) -> Tuple[Decimal, str]:
    return (Decimal(str(value)), "IDR")


def jpy(value: int) -> Tuple[Decimal, str]:
    return (Decimal(value), "JPY")


def usd(value: int) -> Tuple[Decimal, str]:
    return (Decimal(value), "USD")


# --- informal rupiah --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("15jt", 15 * JUTA),
        ("15 jt", 15 * JUTA),
        ("15JT", 15 * JUTA),
        ("15 juta", 15 * JUTA),
        ("15 JUTA", 15 * JUTA),
        ("15jtan", 15 * JUTA),
        ("15 jutaan", 15 * JUTA),
        ("15 jta", 15 * JUTA),
        ("Rp 15.000.000", 15 * JUTA),
        ("Rp15.000.000,-", 15 * JUTA),
        ("Rp.15.000.000.-", 15 * JUTA),
        ("RP 15.000.000", 15 * JUTA),
        ("rp. 45jt", 45 * JUTA),
        ("Rp15jt", 15 * JUTA),
        ("IDR 45,000,000", 45 * JUTA),
        ("IDR45jt", 45 * JUTA),
        ("15.000.000", 15 * JUTA),
        ("2,500,000", 2_500_000),
        ("1.000.000.000", 1_000_000_000),
        ("100.000", 100_000),
        ("1,5 juta", 1_500_000),
        ("1.5jt", 1_500_000),
        ("2,5jt", 2_500_000),
        ("15.5jt", 15_500_000),
        ("0,5 juta", 500_000),
        ("500rb", 500_000),
        ("500 ribu", 500_000),
        ("500 rebu", 500_000),
        ("500k", 500_000),
        ("500K", 500_000),
        ("Rp 500k", 500_000),
        ("500 perak", 500),
        ("Rp 500", 500),
        ("Rp 2.500", 2_500),
        ("biaya Rp. 25.000.000,00", 25 * JUTA),
        ("Rp 15 000 000", 15 * JUTA),
        ("Rp\u00a015.000.000", 15 * JUTA),
        ("1 juta 500 ribu", 1_500_000),
        ("2jt 500rb", 2_500_000),
        ("2 setengah juta", 2_500_000),
        ("1.500 juta", 1_500_000_000),
    ],
)
def test_informal_rupiah(text: str, expected: int) -> None:
    assert amounts(text) == [idr(expected)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Rp 1 M", 1_000_000_000),
        ("Rp1M", 1_000_000_000),
        ("rp 1 m", 1_000_000_000),
        ("Rp 1,5 M", 1_500_000_000),
        ("1 M rupiah", 1_000_000_000),
        ("1 miliar", 1_000_000_000),
        ("1 milyar", 1_000_000_000),
        ("2 milyard", 2_000_000_000),
        ("1,2 miliar", 1_200_000_000),
    ],
)
def test_billions(text: str, expected: int) -> None:
    assert amounts(text) == [idr(expected)]


@pytest.mark.parametrize("text", ["1 M", "bayar 1 M", "jarak 5 m", "15 menit", "ukuran 2M"])
def test_bare_m_is_not_a_billion_without_rupiah(text: str) -> None:
    # "M" alone is metres, "million" or a clothes size; only Rp/rupiah makes it a miliar.
    assert amounts(text) == []


# --- amounts in words -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("lima belas juta", 15 * JUTA),
        ("Lima Belas Juta", 15 * JUTA),
        ("dua puluh lima juta", 25 * JUTA),
        ("seratus juta", 100 * JUTA),
        ("seratus lima puluh juta", 150 * JUTA),
        ("tiga ratus ribu", 300_000),
        ("dua ratus ribu", 200_000),
        ("satu setengah juta", 1_500_000),
        ("setengah juta", 500_000),
        ("sepuluh juta", 10 * JUTA),
        ("sebelas juta", 11 * JUTA),
        ("dua belas juta", 12 * JUTA),
        ("tiga puluh juta", 30 * JUTA),
        ("seratus ribu", 100_000),
        ("sejuta", JUTA),
        ("satu miliar", 1_000_000_000),
        ("satu juta lima ratus ribu", 1_500_000),
        ("seratus dua puluh lima juta", 125 * JUTA),
        ("biayanya empat puluh juta, mahal", 40 * JUTA),
    ],
)
def test_amounts_in_words(text: str, expected: int) -> None:
    assert amounts(text) == [idr(expected)]


def test_words_with_currency_marker() -> None:
    assert amounts("lima ratus ribu yen") == [jpy(500_000)]
    assert amounts("Rp lima juta") == [idr(5 * JUTA)]


def test_two_word_amounts_next_to_each_other_stay_apart() -> None:
    assert amounts("lima juta dua puluh juta") == [idr(5 * JUTA), idr(20 * JUTA)]


@pytest.mark.parametrize(
    "text",
    [
        "lima tahun",
        "dua puluh orang",
        "seribu alasan",
        "seribu satu malam",
        "tiga bulan",
        "juta",
        "ribuan orang",
        "jutaan rupiah",
        "dua tiga",
    ],
)
def test_number_words_without_an_amount(text: str) -> None:
    assert amounts(text) == []


# --- yen and dollars --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("¥550,000", jpy(550_000)),
        ("¥ 550,000", jpy(550_000)),
        ("￥550,000", jpy(550_000)),
        ("550.000 yen", jpy(550_000)),
        ("550000 yen", jpy(550_000)),
        ("550,000 YEN", jpy(550_000)),
        ("JPY 550,000", jpy(550_000)),
        ("550,000円", jpy(550_000)),
        ("55 man yen", jpy(550_000)),
        ("55 man", jpy(550_000)),
        ("55man", jpy(550_000)),
        ("20 man yen", jpy(200_000)),
        ("55万円", jpy(550_000)),
        ("１５万円", jpy(150_000)),
        ("¥ 550 000", jpy(550_000)),
        ("15 juta yen", jpy(15_000_000)),
        ("gaji 200.000 yen per bulan", jpy(200_000)),
        ("¥ 200,000/bulan", jpy(200_000)),
        ("500k yen", jpy(500_000)),
        ("$1,000", usd(1_000)),
        ("US$ 1,000", usd(1_000)),
        ("USD 1,000", usd(1_000)),
        ("1000 USD", usd(1_000)),
        ("1000 dollar", usd(1_000)),
        ("1000 dolar", usd(1_000)),
        ("$1k", usd(1_000)),
        ("1k USD", usd(1_000)),
    ],
)
def test_foreign_currencies(text: str, expected: Tuple[Decimal, str]) -> None:
    assert amounts(text) == [expected]


@pytest.mark.parametrize("text", ["5 mandor", "10 manusia", "2 mangga"])
def test_man_needs_to_stand_alone(text: str) -> None:
    assert amounts(text) == []


# --- ranges and several amounts ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text, low, high",
    [
        ("20-30 juta", 20 * JUTA, 30 * JUTA),
        ("20–30jt", 20 * JUTA, 30 * JUTA),
        ("20 — 30 jt", 20 * JUTA, 30 * JUTA),
        ("20 - 30 jt/bulan", 20 * JUTA, 30 * JUTA),
        ("20 s/d 30 juta", 20 * JUTA, 30 * JUTA),
        ("20 sampai 30 juta", 20 * JUTA, 30 * JUTA),
        ("antara 20 dan 30 juta", 20 * JUTA, 30 * JUTA),
        ("1,5-2 juta", 1_500_000, 2 * JUTA),
        ("3-5 juta", 3 * JUTA, 5 * JUTA),
        ("15jt-20jt", 15 * JUTA, 20 * JUTA),
        ("Rp 20jt - Rp 30jt", 20 * JUTA, 30 * JUTA),
        ("Rp 20.000.000 - 30.000.000", 20 * JUTA, 30 * JUTA),
        ("Rp 20-30 juta", 20 * JUTA, 30 * JUTA),
    ],
)
def test_ranges_give_both_ends(text: str, low: int, high: int) -> None:
    assert amounts(text) == [idr(low), idr(high)]


def test_yen_range_shares_the_currency_marker() -> None:
    assert amounts("¥200,000-300,000") == [jpy(200_000), jpy(300_000)]
    assert amounts("20-30 man yen") == [jpy(200_000), jpy(300_000)]


def test_range_span_of_first_end_is_its_own_number() -> None:
    text = "gaji 20-30 juta"
    low, high = parse_money(text)
    assert text[low.start : low.end] == "20"
    assert text[high.start : high.end] == "30 juta"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("tahun 2024 - 15 juta", [idr(15 * JUTA)]),  # a year never borrows the unit
        ("2024-2025 15jt", [idr(15 * JUTA)]),
        ("Rp 15.000.000 - 3 bulan", [idr(15 * JUTA)]),  # "3" does not borrow the Rp
        ("umur 20-25 tahun gaji 15jt", [idr(15 * JUTA)]),
    ],
)
def test_ranges_do_not_pull_in_other_numbers(text: str, expected: List[Tuple[Decimal, str]]) -> None:
    assert amounts(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("bayar 45 juta ke rekening dia", [idr(45 * JUTA)]),
        ("gaji 30jt/bln", [idr(30 * JUTA)]),
        ("DP 5jt dulu sisanya 40jt", [idr(5 * JUTA), idr(40 * JUTA)]),
        ("gaji 20jt, 30jt", [idr(20 * JUTA), idr(30 * JUTA)]),
        ("1 juta dan 500 ribu", [idr(JUTA), idr(500_000)]),
        ("5jt x 3 bulan", [idr(5 * JUTA)]),
        (
            "biaya 35jt, gaji ¥180,000 sebulan, bisa dicicil 500rb",
            [idr(35 * JUTA), jpy(180_000), idr(500_000)],
        ),
        (
            "Rp 15.000.000,- (lima belas juta rupiah)",
            [idr(15 * JUTA), idr(15 * JUTA)],
        ),
        ("🙏 15jt 😭", [idr(15 * JUTA)]),
        ("biaya:15jt", [idr(15 * JUTA)]),
        ("biaya\n15jt", [idr(15 * JUTA)]),
    ],
)
def test_amounts_in_sentences(text: str, expected: List[Tuple[Decimal, str]]) -> None:
    assert amounts(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("wa 0812-3456-7890 biaya 15jt", [idr(15 * JUTA)]),
        ("biaya 15jt, wa 0812 3456 7890", [idr(15 * JUTA)]),
        ("+62 812 3456 7890 bayar Rp 5.000.000", [idr(5 * JUTA)]),
        ("08123456789 15jt", [idr(15 * JUTA)]),
        ("hubungi +81 80 3506 8612, gaji 200.000 yen", [jpy(200_000)]),
    ],
)
def test_phone_numbers_next_to_amounts_are_not_money(text: str, expected: List[Tuple[Decimal, str]]) -> None:
    assert amounts(text) == expected


# --- not money --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2024",
        "tahun 2025",
        "berangkat 2025",
        "08123456789",
        "0812-3456-7890",
        "+62 812 3456 7890",
        "(021) 2924 4800",
        "15%",
        "potongan 15 %",
        "bunga 10 persen",
        "3 bulan",
        "N4",
        "JLPT N4 atau N5",
        "5 tahun",
        "umur 25",
        "umur 25 thn",
        "5 orang",
        "jam 10.30",
        "tinggi 160 cm",
        "berat 55 kg",
        "500 km",
        "50.000",  # grouped but below the bare-rupiah minimum
        "15000000",  # long plain digits: an account or ID number
        "25.12.2024",
        "tanggal 01.02.2024",
        "0812.3456.7890",
        "Rp",
        "juta",
        "ok siap",
    ],
)
def test_numbers_that_are_not_money(text: str) -> None:
    assert parse_money(text) == []


@pytest.mark.parametrize("text", ["3x", "v2", "A4", "x15jt", "COVID19"])
def test_digits_glued_to_words_are_not_money(text: str) -> None:
    assert parse_money(text) == []


# --- spans ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, matched",
    [
        ("biaya Rp15.000.000,- ya", "Rp15.000.000,-"),
        ("bayar rp. 45jt dulu", "rp. 45jt"),
        ("gaji ¥ 550,000/bulan", "¥ 550,000"),
        ("sekitar 55 man yen sebulan", "55 man yen"),
        ("total lima belas juta rupiah.", "lima belas juta rupiah"),
        ("yaitu 1 juta 500 ribu saja", "1 juta 500 ribu"),
        ("🙏🙏 15jtan kak", "15jtan"),
        ("１５万円です", "１５万円"),
    ],
)
def test_span_covers_the_amount_text(text: str, matched: str) -> None:
    (money,) = parse_money(text)
    assert text[money.start : money.end] == matched


def test_results_are_in_order_of_appearance() -> None:
    text = "lima juta dulu, lalu Rp 10.000.000, lalu ¥100,000, lalu dua puluh juta"
    found = parse_money(text)
    assert [money.start for money in found] == sorted(money.start for money in found)
    assert [money.amount for money in found] == [
        Decimal(5 * JUTA),
        Decimal(10 * JUTA),
        Decimal(100_000),
        Decimal(20 * JUTA),
    ]


def test_amounts_are_tidy_decimals() -> None:
    (money,) = parse_money("Rp 25.000.000,00")
    assert str(money.amount) == "25000000"
    (half,) = parse_money("1,5jt")
    assert str(half.amount) == "1500000"


# --- never raises -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\n\t",
        "🙏🙏🙏 ... !!! 😭",
        "特定技能の求人です",
        "Rp",
        "Rp.",
        "¥",
        "$",
        "-",
        ",-",
        "1" * 5000,
        "9" * 40 + " juta",
        "Rp " + "9" * 40,
        "1.000.000.000.000.000.000.000.000.000 M rupiah",
        "0,000000000000000000000001 juta",
        "1..5 juta",
        "1,,5 jt",
        "15.-",
        "-15jt",
        "\x00\x01\x02",
        "\ud800",
        "juta juta juta ribu ribu",
        "setengah setengah juta",
        "seratus seratus juta",
        "setengah " * 2000,
        "lima " * 2000,
        "$" * 10_000,
        "Rp " * 3000,
    ],
    ids=lambda value: repr(value)[:30],
)
def test_odd_input_never_raises(text: str) -> None:
    assert isinstance(parse_money(text), list)


def test_none_and_non_text_give_nothing() -> None:
    assert parse_money(None) == []  # type: ignore[arg-type]
    assert parse_money(15000000) == []  # type: ignore[arg-type]


def test_long_text_is_read_whole() -> None:
    text = ("kata biasa saja " * 700) + "biaya 45jt"
    assert len(text) > 10_000
    assert amounts(text) == [idr(45 * JUTA)]


def test_long_text_of_numbers_finishes() -> None:
    text = "1 " * 5000
    assert parse_money(text) == []
    many = parse_money("15jt " * 2000)
    assert len(many) == 2000


def test_random_noise_never_raises() -> None:
    # Fixed seed: reproducible, but covers odd mixes of digits, separators and unit words.
    rng = random.Random(3)
    pieces = [
        "1",
        "5",
        "0",
        ".",
        ",",
        "-",
        " ",
        "jt",
        "rb",
        "k",
        "M",
        "Rp",
        "¥",
        "$",
        "yen",
        "man",
        "juta",
        "lima",
        "puluh",
        "setengah",
        "%",
        "/",
        "万",
        "円",
        "\n",
        "🙏",
    ]
    for _ in range(2000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        for money in parse_money(text):
            assert 0 <= money.start < money.end <= len(text)
            assert money.currency in ("IDR", "JPY", "USD")


# --- approximate rupiah -----------------------------------------------------------------------


def test_rates_are_the_rough_internal_ones() -> None:
    assert JPY_TO_IDR == Decimal("105")
    assert USD_TO_IDR == Decimal("16000")


@pytest.mark.parametrize(
    "money, expected",
    [
        (Money(Decimal(15 * JUTA), "IDR", 0, 4), Decimal(15 * JUTA)),
        (Money(Decimal(550_000), "JPY", 0, 8), Decimal(57_750_000)),
        (Money(Decimal(1_000), "USD", 0, 6), Decimal(16 * JUTA)),
        (Money(Decimal("0.5"), "USD", 0, 6), Decimal(8_000)),
    ],
)
def test_approximate_idr(money: Money, expected: Decimal) -> None:
    assert approximate_idr(money) == expected


def test_fake_ssw_fee_in_yen_is_above_fifty_juta() -> None:
    (money,) = parse_money("bayar ¥550,000 untuk visa SSW")
    assert approximate_idr(money) > Decimal(50 * JUTA)


def test_money_rejects_unknown_currency() -> None:
    with pytest.raises(ValueError, match=r"^unknown currency 'EUR', expected one of \('IDR', 'JPY', 'USD'\)$"):
        Money(Decimal(1), "EUR", 0, 1)


def test_money_is_frozen() -> None:
    money = Money(Decimal(1), "IDR", 0, 1)
    with pytest.raises(dataclasses.FrozenInstanceError, match="^cannot assign to field 'amount'$"):
        money.amount = Decimal(2)  # type: ignore[misc]
    assert money.amount == Decimal(1)
