"""Hypothesis strategies shared by the parser fuzzing (tests/fuzz) and the HTTP fuzzing of the
running webhooks (tests/conversation/test_webhook_fuzz.py).

Three families of input, from blind to structure-aware:
* ``raw_bytes``: any bytes, plus JSON-looking byte soup and absurd nesting;
* ``json_bodies``: any JSON value (recursive), encoded;
* ``near_valid``: a body as the platform sends it (tests/fuzz/samples.py) with a few fields
  mutated: deleted, retyped, wrapped, emptied, made huge or deep, or the bytes cut or spliced.
"""

from __future__ import annotations

import copy
import json
from typing import Any, Callable, Iterator, List, Sequence, Tuple

from hypothesis import strategies as st

Json = Any

# Short but adversarial text: controls, NUL, lone surrogates are excluded by st.text by default,
# so they are added explicitly (they can only arrive as JSON escapes).
_ODD_CHARACTERS = st.sampled_from(
    [
        "\x00",
        "\ud800",
        "\udfff",
        "\u2028",
        "\ufeff",
        "\x1b",
        "\n",
        "\u202e",
        "İ",
        "ß",
        "\U0001f44d",
        "０",
        "￥",
        "\\",
        '"',
    ]
)
short_text = st.text(max_size=20) | st.lists(_ODD_CHARACTERS | st.text(max_size=3), max_size=6).map("".join)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | short_text
)


def _containers(children: st.SearchStrategy[Json]) -> st.SearchStrategy[Json]:
    return st.lists(children, max_size=5) | st.dictionaries(short_text, children, max_size=5)


json_values = st.recursive(json_scalars, _containers, max_leaves=25)


def encode(value: Json, ascii_only: bool = True) -> bytes:
    return json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


@st.composite
def json_bodies(draw: st.DrawFn) -> bytes:
    """Any JSON value, as ASCII-escaped or raw UTF-8 (the raw form of a lone surrogate is not UTF-8)."""
    return encode(draw(json_values), ascii_only=draw(st.booleans()))


@st.composite
def nested(draw: st.DrawFn) -> bytes:
    """Brackets and objects nested from a few levels to far past any parser's stack."""
    depth = draw(st.sampled_from([5, 31, 32, 33, 100, 999, 1000, 5000, 60_000]))
    opener, closer = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}"), (b'[{"a":', b"}]")]))
    closed = draw(st.booleans())
    return opener * depth + (b"1" + closer * depth if closed else b"")


@st.composite
def number_soup(draw: st.DrawFn) -> bytes:
    digits = draw(st.sampled_from([19, 20, 21, 400, 4300, 4301, 20_000]))
    sign = draw(st.sampled_from([b"", b"-"]))
    tail = draw(st.sampled_from([b"", b".5", b"e5", b"e99999", b"E-99999"]))
    wrap = draw(
        st.sampled_from(
            [
                b"%s",
                b'{"update_id": %s}',
                b'{"sender": %s, "message": "x"}',
                b'{"object": "whatsapp_business_account", "entry": [%s]}',
            ]
        )
    )
    return wrap % (sign + b"9" * digits + tail)


raw_bytes = (
    st.binary(max_size=300)
    | st.lists(
        st.sampled_from(
            [
                b"{",
                b"}",
                b"[",
                b"]",
                b'"',
                b":",
                b",",
                b"\\",
                b"\\u0000",
                b"\\ud800",
                b"null",
                b"true",
                b"1e999",
                b"NaN",
                b"-",
                b"\xff",
                b"\xc3",
                b"\xef\xbb\xbf",
                b" ",
                b"a",
            ]
        ),
        max_size=60,
    ).map(b"".join)
    | nested()
    | number_soup()
)


# --- near-valid: documented bodies with a few fields mutated -----------------------------------------

_Location = Tuple[Any, Any]  # (container, key or index)


def _locations(value: Json) -> Iterator[_Location]:
    """Every (container, key) in ``value``, depth first (bodies are small)."""
    if isinstance(value, dict):
        for key in list(value):
            yield value, key
            yield from _locations(value[key])
    elif isinstance(value, list):
        for index in range(len(value)):
            yield value, index
            yield from _locations(value[index])


def _huge(value: Json) -> Json:
    """Past every limit the parsers have, but capped so no case costs more than a few hundred KB."""
    if isinstance(value, str):
        return (value * 2000)[:70_000] if value else "x" * 70_000
    if isinstance(value, list) and len(json.dumps(value)) < 1000:
        return value * 300
    if isinstance(value, int) and not isinstance(value, bool):
        return int("9" * 25)
    return value


def _deep(value: Json) -> Json:
    for _ in range(40):
        value = [value]
    return value


_MUTATIONS: List[Tuple[str, Callable[[Json, Json], Json]]] = [
    ("replace", lambda old, new: new),
    ("wrap", lambda old, new: [old]),
    ("stringify", lambda old, new: json.dumps(old)),
    ("empty", lambda old, new: type(old)() if isinstance(old, (str, list, dict)) else None),
    ("huge", lambda old, new: _huge(old)),
    ("deep", lambda old, new: _deep(old)),
    ("null", lambda old, new: None),
    ("bool", lambda old, new: True),
]


@st.composite
def mutated(draw: st.DrawFn, seeds: Sequence[Json], max_mutations: int = 3) -> Json:
    """A seed body with 1..max_mutations fields changed, deleted or added."""
    body = copy.deepcopy(draw(st.sampled_from(list(seeds))))
    for _ in range(draw(st.integers(1, max_mutations))):
        locations = list(_locations(body))
        if not locations or draw(st.integers(0, 9)) == 0:
            body = draw(st.sampled_from([_deep(body), [body], json.dumps(body), None]))
            continue
        container, key = draw(st.sampled_from(locations))
        action = draw(st.sampled_from(["delete", "add"] + [name for name, _ in _MUTATIONS]))
        if action == "delete":
            del container[key]
        elif action == "add" and isinstance(container, dict):
            container[draw(short_text)] = draw(json_values)
        elif action == "add":
            container.insert(key, draw(json_values))
        else:
            change = dict(_MUTATIONS)[action]
            container[key] = change(container[key], draw(json_values))
    return body


@st.composite
def spliced(draw: st.DrawFn, seeds: Sequence[Json]) -> bytes:
    """A seed's JSON text cut short, or with a few bytes inserted or overwritten."""
    raw = bytearray(encode(draw(st.sampled_from(list(seeds))), ascii_only=draw(st.booleans())))
    for _ in range(draw(st.integers(1, 3))):
        position = draw(st.integers(0, len(raw)))
        kind = draw(st.sampled_from(["cut", "insert", "overwrite"]))
        junk = draw(st.binary(min_size=1, max_size=4) | st.sampled_from([b"\\u0000", b"\\ud83d", b"[[[[", b"9" * 30]))
        if kind == "cut":
            del raw[position:]
        elif kind == "insert":
            raw[position:position] = junk
        else:
            raw[position : position + len(junk)] = junk
    return bytes(raw)


def near_valid(seeds: Sequence[Json]) -> st.SearchStrategy[bytes]:
    return st.builds(lambda body, ascii_only: encode(body, ascii_only), mutated(seeds), st.booleans()) | spliced(seeds)


# --- text for the money, phone and offer parsers -----------------------------------------------------

_OFFER_TOKENS = [
    "15jt",
    "Rp",
    "Rp.",
    "Rp 15 000 000",
    "15.000.000,-",
    "45,000,000",
    "1,5",
    "2.5",
    "juta",
    "jt",
    "rb",
    "ribu",
    "M",
    "miliar",
    "lima",
    "belas",
    "puluh",
    "ratus",
    "seratus",
    "setengah",
    "seribu",
    "sejuta",
    "¥",
    "円",
    "万",
    "man",
    "yen",
    "$",
    "USD",
    "usd",
    "dollar",
    "%",
    "persen",
    "s/d",
    "sampai",
    "-",
    "–",
    "~",
    "0812-3456-7890",
    "+62 812 3456 7890",
    "0062",
    "080-3506-8612",
    "090",
    "(021)",
    "wa",
    "HP:",
    "25.12.2024",
    "2024-01-15",
    "gaji",
    "biaya",
    "per bulan",
    "/bln",
    "dp",
    "setor",
    "bayar",
    "paspor ditahan",
    "tanpa kontrak",
    "LPK",
    "PT",
    "Pak",
    "Bu",
    "calo",
    "ssw",
    "magang",
    "visa turis",
    "kabur",
    "denda",
    "jaminan",
    "０８１２",
    "１５",
    "，",
    "．",
    "0",
    "9",
    "00000000000000000000",
    " ",
    "  ",
    "\n",
    "\t",
    "\u00a0",
    "İ",
    "\U0001f44d",
]
offer_text = (
    st.text(max_size=200)
    | st.lists(st.sampled_from(_OFFER_TOKENS) | st.text(max_size=4), max_size=60).map(" ".join)
    | st.lists(st.sampled_from(_OFFER_TOKENS), max_size=80).map("".join)
)
