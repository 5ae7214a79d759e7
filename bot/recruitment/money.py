"""Find money amounts in informal chat text about job offers (Indonesian, some English/Japanese).

People write fees and salaries as "15jt", "Rp15.000.000,-", "lima belas juta", "¥550,000" or
"55 man yen". The recruitment checks only need the amount and currency of each mention, so this
module turns text into a list of ``Money`` values and never raises: a message the parser does not
understand is simply a message without amounts.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Dict, List, Optional, Tuple

# Rough internal comparison rates, used only to compare foreign amounts with rupiah thresholds
# (e.g. "¥550,000 is above Rp50 juta"). They are deliberately coarse and must never be shown to
# users: the bot does not quote exchange rates.
JPY_TO_IDR = Decimal("105")
USD_TO_IDR = Decimal("16000")

CURRENCIES: Tuple[str, ...] = ("IDR", "JPY", "USD")

_RATES_TO_IDR: Dict[str, Decimal] = {"IDR": Decimal(1), "JPY": JPY_TO_IDR, "USD": USD_TO_IDR}


@dataclass(frozen=True)
class Money:
    """One amount mentioned in a text; ``start``/``end`` is the span of the matched text."""

    amount: Decimal
    currency: str
    start: int
    end: int

    def __post_init__(self) -> None:
        # Fail early on a typo like "YEN": every consumer switches on these three codes.
        if self.currency not in CURRENCIES:
            raise ValueError(f"unknown currency {self.currency!r}, expected one of {CURRENCIES}")


def approximate_idr(money: Money) -> Decimal:
    """The amount in rupiah at the rough internal rates, for comparing with rupiah thresholds."""
    return money.amount * _RATES_TO_IDR[money.currency]


# ---------------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------------

# Bare grouped numbers ("15.000.000") count as rupiah only from this size: smaller grouped numbers
# are as often counts, prices of snacks or Japanese salaries written without a currency.
_BARE_IDR_MINIMUM = Decimal(100_000)
# Longer digit strings are account numbers, IDs or noise, never an amount someone typed.
_MAX_DIGITS = 18

_THOUSAND = Decimal(1_000)
_MAN = Decimal(10_000)
_MILLION = Decimal(1_000_000)
_BILLION = Decimal(1_000_000_000)


@dataclass(frozen=True)
class _Scale:
    multiplier: Decimal
    currency: Optional[str]  # currency the unit implies on its own ("juta" -> IDR, "man" -> JPY)
    needs_rupiah_marker: bool = False  # "M" alone could be metres or "million"; trust it only after Rp


_SCALES: Dict[str, _Scale] = {
    **{word: _Scale(_MILLION, "IDR") for word in ("jt", "jta", "jtan", "juta", "jutaan", "jeti")},
    **{word: _Scale(_THOUSAND, "IDR") for word in ("rb", "rban", "ribu", "ribuan", "rebu", "k")},
    **{word: _Scale(_BILLION, "IDR") for word in ("miliar", "miliaran", "milyar", "milyaran", "milyard", "miliyar")},
    "m": _Scale(_BILLION, "IDR", needs_rupiah_marker=True),
    # English scale words name no currency; a marker ("Rp", "yen") says which one.
    **{word: _Scale(_MILLION, None) for word in ("million", "millions", "mio")},
    **{word: _Scale(_THOUSAND, None) for word in ("thousand",)},
    **{word: _Scale(_BILLION, None) for word in ("billion",)},
    # Japanese counts large sums in 万 (man = 10,000); "55 man" is ¥550,000.
    "man": _Scale(_MAN, "JPY"),
    "万": _Scale(_MAN, "JPY"),
}

_CURRENCY_MARKERS: Dict[str, str] = {
    **{word: "IDR" for word in ("rp", "rp.", "idr", "rupiah", "perak")},
    **{word: "JPY" for word in ("¥", "jpy", "yen", "円")},
    **{word: "USD" for word in ("$", "us$", "usd", "dollar", "dollars", "dolar")},
}

# Fullwidth digits and symbols come from Japanese keyboards; mapping them one character to one
# character keeps every span valid for the original text.
_FULLWIDTH = str.maketrans({**{chr(0xFF10 + d): str(d) for d in range(10)}, "，": ",", "．": ".", "￥": "¥", "＄": "$"})

# ---------------------------------------------------------------------------------------------
# Patterns
# ---------------------------------------------------------------------------------------------

# Spaces and tabs (including no-break spaces from copy-paste), but not line breaks: an amount and
# its unit on different lines are rarely one amount.
_GAP = r"[^\S\r\n]*"
_NUMBER = r"[0-9]+(?:[.,][0-9]+)*"
# "Rp 15 000 000": thousands grouped with spaces. Only trusted right after a currency marker,
# because elsewhere spaced digit groups are phone numbers ("0812 3456 7890").
_SPACED_NUMBER = r"[1-9][0-9]{0,2}(?:[ \u00a0][0-9]{3})+(?![0-9]|[.,][0-9])"
_PREFIX = r"(?:(?<!\w)(?:us\$|rp\.?|idr|jpy|usd)|[$¥])"
_SCALE_WORDS = "|".join(sorted((w for w in _SCALES if w.isascii()), key=len, reverse=True))
_SCALE = rf"(?:(?:{_SCALE_WORDS})(?!\w)|万)"
_SUFFIX = r"(?:(?:rupiah|perak|rp|idr|yen|jpy|usd|dollars?|dolar)(?!\w)|円)"

_ATOM = re.compile(
    rf"""
    (?:(?P<prefix>{_PREFIX}){_GAP}          # "Rp", "¥", "IDR" ... directly before the number
      |(?<!\w)(?<![0-9][.,]))               # or a number that is not part of a word ("N4")
    (?P<number>(?(prefix){_SPACED_NUMBER}|(?!))|{_NUMBER})
    (?:{_GAP}(?P<half>setengah)(?={_GAP}{_SCALE}))?   # "2 setengah juta" = 2.5 juta
    (?:{_GAP}(?P<scale>{_SCALE}))?
    (?:{_GAP}(?P<suffix>{_SUFFIX}))?
    (?P<dash>[.,]-+)?                       # "Rp15.000.000,-" (no cents) belongs to the amount
    """,
    re.IGNORECASE | re.VERBOSE,
)

# Between the two ends of a range: "20-30 juta", "20–30jt", "20 sampai 30 juta", "20 s/d 30jt".
_RANGE_GAP = re.compile(
    rf"{_GAP}(?:-|–|—|~|s/d|s\.d\.?|sd|sampai|sampe|smp|hingga|atau|dan|to|or){_GAP}",
    re.IGNORECASE,
)
_WHITESPACE_GAP = re.compile(_GAP)
_PERCENT_AFTER = re.compile(r"\s*(?:%|persen(?!\w)|percent(?!\w))", re.IGNORECASE)

_DIGIT_WORDS: Dict[str, int] = {
    "satu": 1,
    "dua": 2,
    "tiga": 3,
    "empat": 4,
    "lima": 5,
    "enam": 6,
    "tujuh": 7,
    "delapan": 8,
    "sembilan": 9,
}
_SCALE_WORD_VALUES: Dict[str, Decimal] = {
    "ribu": _THOUSAND,
    "juta": _MILLION,
    "miliar": _BILLION,
    "milyar": _BILLION,
    "milyard": _BILLION,
}
# "se-" means "one": seribu = 1 ribu, sejuta = 1 juta.
_ONE_SCALE_WORDS: Dict[str, Decimal] = {
    "seribu": _THOUSAND,
    "sejuta": _MILLION,
    "semiliar": _BILLION,
    "semilyar": _BILLION,
}
_OTHER_NUMBER_WORDS = ("sepuluh", "sebelas", "seratus", "setengah", "belas", "puluh", "ratus")
_NUMBER_WORD = re.compile(
    r"(?<!\w)(?:"
    + "|".join([*_DIGIT_WORDS, *_SCALE_WORD_VALUES, *_ONE_SCALE_WORDS, *_OTHER_NUMBER_WORDS])
    + r")(?!\w)",
    re.IGNORECASE,
)
# "seratus dua puluh lima juta lima ratus ribu" has 8 words; longer runs are noise, and the cap
# keeps a text of thousands of number words linear.
_MAX_NUMBER_WORDS = 12
_WORD_GAP = re.compile(r"[^\S\r\n]+|[^\S\r\n]*-[^\S\r\n]*")
_PREFIX_BEFORE_WORDS = re.compile(rf"{_PREFIX}{_GAP}$", re.IGNORECASE)
_SUFFIX_AFTER_WORDS = re.compile(rf"{_GAP}(?P<suffix>{_SUFFIX})", re.IGNORECASE)


# ---------------------------------------------------------------------------------------------
# Public entry point
# ---------------------------------------------------------------------------------------------


def parse_money(text: str) -> List[Money]:
    """Every amount of money mentioned in ``text``, in order of appearance; [] when none."""
    if not isinstance(text, str) or not text:
        return []
    try:
        text = text.translate(_FULLWIDTH)
        found = _numeric_amounts(text)
        found += _word_amounts(text, taken=[(m.start, m.end) for m in found])
    except (ArithmeticError, ValueError):
        # Decimal edge cases on absurd input must not break a chat turn; no amount is safer.
        return []
    return sorted(found, key=lambda money: money.start)


# ---------------------------------------------------------------------------------------------
# Amounts written with digits
# ---------------------------------------------------------------------------------------------


@dataclass
class _Atom:
    """A number in the text with whatever unit and currency markers sit right next to it."""

    start: int
    end: int
    number_end: int
    number: Optional[Decimal]  # None when the digits are not a number (date, phone, ID ...)
    grouped: bool  # written with thousands separators, "15.000.000"
    prefix: Optional[str]  # currency code from a marker before the number
    suffix: Optional[str]  # currency code from a marker after the number/unit
    scale: Optional[str]  # lower-cased unit word, key of _SCALES
    half: bool
    extra: Decimal = Decimal(0)  # "1 juta 500 ribu": the 500 ribu added to the 1 juta


def _numeric_amounts(text: str) -> List[Money]:
    atoms = [_atom_from_match(match) for match in _ATOM.finditer(text)]
    _share_units_across_ranges(text, atoms)
    atoms = _merge_compound_amounts(text, atoms)
    amounts: List[Money] = []
    for atom in atoms:
        money = _money_from_atom(text, atom)
        if money is not None:
            amounts.append(money)
    return amounts


def _atom_from_match(match: "re.Match[str]") -> _Atom:
    digits = match.group("number")
    if " " in digits or "\u00a0" in digits:
        number, grouped = _read_number(re.sub(r"\s", "", digits))[0], True
    else:
        number, grouped = _read_number(digits)
    scale = match.group("scale")
    return _Atom(
        start=match.start(),
        end=match.end(),
        number_end=match.end("number"),
        number=number,
        grouped=grouped,
        prefix=_currency_of(match.group("prefix")),
        suffix=_currency_of(match.group("suffix")),
        scale=scale.lower() if scale else None,
        half=match.group("half") is not None,
    )


def _currency_of(marker: Optional[str]) -> Optional[str]:
    return _CURRENCY_MARKERS.get(marker.lower()) if marker else None


def _read_number(digits: str) -> Tuple[Optional[Decimal], bool]:
    """Value of "15.000.000", "45,000,000", "1,5", "2.5", "25.000.000,00"; and whether grouped.

    Indonesians write "." for thousands and "," for decimals, English texts the reverse, so the
    separator alone says nothing. What decides is the shape: separators followed by exactly three
    digits are thousands groups; a single separator followed by another digit count is a decimal
    point; with both kinds present the last one is the decimal point.
    """
    if sum(ch.isdigit() for ch in digits) > _MAX_DIGITS:
        return None, False
    separators = [ch for ch in digits if ch in ".,"]
    if not separators:
        return (_plain_integer(digits), False)
    last = separators[-1]
    if len(set(separators)) == 2:
        whole, _, fraction = digits.rpartition(last)
        integer = _grouped_integer(whole, separator="," if last == "." else ".")
        return (None if integer is None else integer + Decimal("0." + fraction), True)
    groups = digits.split(last)
    if len(groups) == 2 and not _is_thousands_group(groups):
        return (_decimal_fraction(groups[0], groups[1]), False)
    return (_grouped_integer(digits, separator=last), True)


def _plain_integer(digits: str) -> Optional[Decimal]:
    # A leading zero means a phone number ("0812..."), a code or a date part, not an amount.
    if len(digits) > 1 and digits.startswith("0"):
        return None
    return Decimal(digits)


def _is_thousands_group(groups: List[str]) -> bool:
    head, tail = groups
    return len(tail) == 3 and 1 <= len(head) <= 3 and not head.startswith("0")


def _decimal_fraction(whole: str, fraction: str) -> Optional[Decimal]:
    integer = _plain_integer(whole)
    return None if integer is None else integer + Decimal("0." + fraction)


def _grouped_integer(digits: str, separator: str) -> Optional[Decimal]:
    groups = digits.split(separator)
    head, rest = groups[0], groups[1:]
    if not 1 <= len(head) <= 3 or head.startswith("0") or not head.isdigit():
        return None
    if not all(len(group) == 3 and group.isdigit() for group in rest):
        return None  # "25.12.2024" or "0812.3456.7890": separators, but not thousands groups
    return Decimal("".join(groups))


def _share_units_across_ranges(text: str, atoms: List[_Atom]) -> None:
    """In "20-30 juta" the unit after the second number applies to the first one too."""
    for left, right in itertools.pairwise(atoms):
        if left.number is None or right.number is None:
            continue
        if not _RANGE_GAP.fullmatch(text, left.end, right.start):
            continue
        left_bare = left.scale is None and left.suffix is None
        # Only a low-to-high range borrows: "tahun 2024 - 15 juta" is a year and an amount.
        if left_bare and (right.scale or right.suffix) and left.number <= right.number:
            left.scale, left.suffix, left.half = right.scale, right.suffix, False
        right_bare = right.scale is None and right.suffix is None and right.prefix is None
        # "¥200,000-300,000": the second number takes the first one's currency, but only when
        # it has a similar size ("Rp 15.000.000 - 3 bulan" is not Rp 3).
        if right_bare and left.prefix and _similar_size(left.number, right.number):
            right.prefix = left.prefix


def _similar_size(first: Decimal, second: Decimal) -> bool:
    return first / 10 <= second <= first * 10


def _merge_compound_amounts(text: str, atoms: List[_Atom]) -> List[_Atom]:
    """ "1 juta 500 ribu" and "2jt 500rb" are one amount, not two."""
    merged: List[_Atom] = []
    for atom in atoms:
        previous = merged[-1] if merged else None
        if previous is not None and _continues(text, previous, atom):
            previous.extra += _atom_value(atom)
            previous.end = atom.end
            previous.suffix = previous.suffix or atom.suffix
            continue
        merged.append(atom)
    return merged


def _continues(text: str, first: _Atom, second: _Atom) -> bool:
    if first.scale is None or second.scale is None or first.number is None or second.number is None:
        return False
    if first.suffix or second.prefix or not _WHITESPACE_GAP.fullmatch(text, first.end, second.start):
        return False
    bigger, smaller = _SCALES[first.scale].multiplier, _SCALES[second.scale].multiplier
    return smaller < bigger and _atom_value(second) < bigger


def _atom_value(atom: _Atom) -> Decimal:
    number = atom.number if atom.number is not None else Decimal(0)
    if atom.half:
        number += Decimal("0.5")
    multiplier = _SCALES[atom.scale].multiplier if atom.scale else Decimal(1)
    return number * multiplier + atom.extra


def _money_from_atom(text: str, atom: _Atom) -> Optional[Money]:
    if atom.number is None:
        return None
    if atom.scale is not None and _SCALES[atom.scale].needs_rupiah_marker:
        if "IDR" not in (atom.prefix, atom.suffix):
            _drop_scale(atom)  # "1 M" without Rp: metres, "million", a size ... not money
    currency = _currency_for(atom)
    if currency is None or _PERCENT_AFTER.match(text, atom.end):
        return None
    return Money(_tidy(_atom_value(atom)), currency, atom.start, atom.end)


def _drop_scale(atom: _Atom) -> None:
    atom.scale, atom.suffix, atom.half, atom.extra = None, None, False, Decimal(0)
    atom.end = atom.number_end


def _currency_for(atom: _Atom) -> Optional[str]:
    if atom.prefix or atom.suffix:
        return atom.prefix or atom.suffix
    if atom.scale is not None:
        # "65 million" with no currency: these users mean rupiah (yen and dollars are always marked).
        return _SCALES[atom.scale].currency or ("IDR" if _SCALES[atom.scale].multiplier >= _MILLION else None)
    # "15.000.000" on its own: in these chats a big grouped number is a rupiah amount.
    if atom.grouped and atom.number is not None and atom.number >= _BARE_IDR_MINIMUM:
        return "IDR"
    return None


def _tidy(amount: Decimal) -> Decimal:
    """1.5 * 1,000,000 gives Decimal("1500000.0"); drop the meaningless ".0"."""
    integral = amount.to_integral_value()
    return integral if integral == amount else amount.normalize()


# ---------------------------------------------------------------------------------------------
# Amounts written in words: "lima belas juta", "satu setengah juta", "tiga ratus ribu"
# ---------------------------------------------------------------------------------------------


def _word_amounts(text: str, taken: List[Tuple[int, int]]) -> List[Money]:
    amounts: List[Money] = []
    for run in _word_runs(text, taken):
        index = 0
        while index < len(run):
            window = run[index : index + _MAX_NUMBER_WORDS]
            read = _read_number_words([word.lower() for word, _, _ in window])
            if read is None:
                index += 1
                continue
            value, used = read
            money = _money_from_words(text, value, run[index : index + used])
            if money is not None:
                amounts.append(money)
            index += used
    return amounts


def _word_runs(text: str, taken: List[Tuple[int, int]]) -> List[List[Tuple[str, int, int]]]:
    """Number words that follow each other with only spaces or hyphens between them."""
    runs: List[List[Tuple[str, int, int]]] = []
    for match in _NUMBER_WORD.finditer(text):
        # "juta" in "15 juta" already belongs to a digit amount.
        if any(start < match.end() and match.start() < end for start, end in taken):
            continue
        word = (match.group(0), match.start(), match.end())
        if runs and _WORD_GAP.fullmatch(text, runs[-1][-1][2], match.start()):
            runs[-1].append(word)
        else:
            runs.append([word])
    return runs


def _read_number_words(words: List[str]) -> Optional[Tuple[Decimal, int]]:
    """Value of the longest leading run of ``words`` that ends in ribu/juta/miliar, and its length.

    Only amounts with a scale word count: "lima" or "dua puluh" alone are counts, not money.
    Parsing stops at the first word that cannot continue the number, so "lima juta dua puluh
    juta" reads as "lima juta" and leaves the rest for the next attempt.
    """
    total, group = Decimal(0), Decimal(0)
    digit: Optional[int] = None
    last_scale: Optional[Decimal] = None
    best: Optional[Tuple[Decimal, int]] = None
    for position, word in enumerate(words):
        if word in _DIGIT_WORDS:
            if digit is not None:
                break  # "dua tiga juta" is not one number
            digit = _DIGIT_WORDS[word]
            continue
        if word in _SCALE_WORD_VALUES or word in _ONE_SCALE_WORDS:
            scale, count = _scale_step(word, group, digit)
            if count is None or (last_scale is not None and scale >= last_scale):
                break
            total, group, digit, last_scale = total + count * scale, Decimal(0), None, scale
            best = (total, position + 1)
            continue
        stepped = _small_step(word, group, digit)
        if stepped is None:
            break
        group, digit = stepped
    return best


def _scale_step(word: str, group: Decimal, digit: Optional[int]) -> Tuple[Decimal, Optional[Decimal]]:
    """The scale of ``word`` and how many of it the words before say (None when malformed)."""
    count = group + (digit or 0)
    if word in _ONE_SCALE_WORDS:
        return _ONE_SCALE_WORDS[word], (Decimal(1) if count == 0 else None)
    return _SCALE_WORD_VALUES[word], (count if count > 0 else None)


def _small_step(word: str, group: Decimal, digit: Optional[int]) -> Optional[Tuple[Decimal, Optional[int]]]:
    """Apply one word below a thousand to the running (group, pending digit); None if invalid."""
    fresh_tens = group % 100 == 0  # no tens or units yet, so "belas"/"puluh" may follow
    if word in ("sepuluh", "sebelas"):
        ok = digit is None and fresh_tens
        return (group + (10 if word == "sepuluh" else 11), None) if ok else None
    if word == "seratus":
        return (Decimal(100), None) if digit is None and group == 0 else None
    if word == "belas":
        return (group + 10 + digit, None) if digit is not None and fresh_tens else None
    if word == "puluh":
        return (group + 10 * digit, None) if digit is not None and fresh_tens else None
    if word == "ratus":
        return (Decimal(100 * digit), None) if digit is not None and group == 0 else None
    if word == "setengah":
        # "satu setengah juta" = 1.5 juta, "setengah juta" = 0.5 juta
        return (group + (digit or 0) + Decimal("0.5"), None)
    return None


def _money_from_words(text: str, value: Decimal, words: List[Tuple[str, int, int]]) -> Optional[Money]:
    start, end = words[0][1], words[-1][2]
    prefix = _PREFIX_BEFORE_WORDS.search(text, max(0, start - 8), start)
    suffix = _SUFFIX_AFTER_WORDS.match(text, end)
    prefix_currency = _currency_of(prefix.group(0).strip()) if prefix else None
    suffix_currency = _currency_of(suffix.group("suffix")) if suffix else None
    if prefix_currency is None and suffix_currency is None and _is_idiom(words):
        return None
    if prefix is not None and prefix_currency is not None:
        start = prefix.start()
    if suffix is not None:
        end = suffix.end()
    return Money(_tidy(value), prefix_currency or suffix_currency or "IDR", start, end)


def _is_idiom(words: List[Tuple[str, int, int]]) -> bool:
    # "seribu alasan" (a thousand reasons) and "seribu satu" are figures of speech, not Rp1.000.
    return len(words) == 1 and words[0][0].lower() == "seribu"
