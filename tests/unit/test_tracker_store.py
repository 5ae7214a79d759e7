"""What the conversation store keeps (issue 10, item 5): no case code or PIN in any stored event,
the status check's slots sealed at rest and opened again on loading, no request metadata, and the
whole conversation gone after "hapus data saya". Real Rasa trackers through the real store, on a
SQLite file and on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Iterator, List

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, Restarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.intents import ERASE_DATA_ACTION
from bot.redaction import redact_text
from bot.storage.tracker_store import RedactingSQLTrackerStore, seal, sealing_key, unseal
from tests.databases import fresh_database

CODE, PIN = "K7QX-4M2P", "482913"
DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [check_status, greet]
slots:
  status_case_code: {type: text, influence_conversation: false, mappings: [{type: custom}]}
  status_pin: {type: text, influence_conversation: false, mappings: [{type: custom}]}
  requested_slot: {type: text, influence_conversation: false, mappings: [{type: custom}]}
""")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path: Path) -> Iterator[str]:
    with fresh_database(request.param, tmp_path, "tracker") as url:
        yield url


def store_for(url: str) -> RedactingSQLTrackerStore:
    parsed = make_url(url)
    return RedactingSQLTrackerStore(
        domain=DOMAIN,
        dialect=parsed.drivername,
        host=parsed.host,
        port=parsed.port,
        db=parsed.database,
        username=parsed.username,
        password=parsed.password,
    )


def stored_rows(url: str, sender: str) -> List[str]:
    engine = create_engine(url)
    with engine.connect() as connection:
        return [
            row[0]
            for row in connection.execute(
                text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender}
            )
        ]


def user(message: str, intent: str = "check_status", **metadata) -> UserUttered:
    return UserUttered(message, {"name": intent, "confidence": 1.0}, [], metadata=metadata or None)


def test_codes_and_pins_never_reach_the_store_but_the_check_still_works(store_url: str) -> None:
    store = store_for(store_url)
    sender = "telegram:5550001"
    tracker = DialogueStateTracker.from_events(
        sender,
        [
            ActionExecuted("action_listen"),
            user("cek status laporan k7qx 4m2p", client="address-key"),
            ActiveLoop("status_form"),
            SlotSet("status_case_code", CODE),
            SlotSet("requested_slot", "status_pin"),
            BotUttered("Sekarang tulis PIN 6 angka untuk laporan itu."),
            ActionExecuted("action_listen"),
        ],
        DOMAIN.slots,
    )
    asyncio.run(store.save(tracker))
    # The PIN arrives in the next turn, as a bare number: it is a PIN here because it was asked for.
    tracker.update(user(PIN, intent="greet"))
    tracker.update(SlotSet("status_pin", PIN))
    tracker.update(
        BotUttered(
            f"✅ Laporanmu tersimpan. Kode laporan: {CODE} · PIN: {PIN}",
            data={"custom": {"type": "risk_assessment", "case_code": CODE}},
        )
    )
    asyncio.run(store.save(tracker))

    rows = stored_rows(store_url, sender)
    stored = "\n".join(rows)
    assert CODE not in stored and CODE.replace("-", " ").lower() not in stored and PIN not in stored
    assert "address-key" not in stored  # request metadata is not kept
    assert "[kode laporan]" in stored and "[PIN]" in stored
    # The slots are sealed at rest and open again when the conversation is loaded.
    loaded = asyncio.run(store.retrieve(sender))
    assert loaded.get_slot("status_case_code") == CODE and loaded.get_slot("status_pin") == PIN


def test_numbers_that_are_not_pins_stay_in_the_story(store_url: str) -> None:
    store = store_for(store_url)
    tracker = DialogueStateTracker.from_events(
        "rest:story",
        [
            user("aku sudah bayar 150000 ke sponsor buat medical", intent="greet"),
        ],
        DOMAIN.slots,
    )
    asyncio.run(store.save(tracker))
    assert "150000" in stored_rows(store_url, "rest:story")[0]


def test_erasure_deletes_the_whole_stored_conversation(store_url: str) -> None:
    store = store_for(store_url)
    sender = "whatsapp:628123450000"
    tracker = DialogueStateTracker.from_events(
        sender, [user("halo", intent="greet"), BotUttered("Halo!")], DOMAIN.slots
    )
    asyncio.run(store.save(tracker))
    assert len(stored_rows(store_url, sender)) == 2  # the greeting and the answer were stored
    tracker.update(user("ya hapus", intent="greet"))
    tracker.update(ActionExecuted(ERASE_DATA_ACTION))
    tracker.update(Restarted())
    asyncio.run(store.save(tracker))
    assert stored_rows(store_url, sender) == []
    other = DialogueStateTracker.from_events("rest:other", [user("halo", intent="greet")], DOMAIN.slots)
    asyncio.run(store.save(other))
    assert len(stored_rows(store_url, "rest:other")) == 1  # nobody else's conversation is touched


def test_sealed_values_open_only_with_their_key() -> None:
    key, other = sealing_key("a" * 32), sealing_key("b" * 32)
    sealed = seal(PIN, key)
    assert PIN not in sealed and unseal(sealed, key) == PIN
    assert unseal(sealed, other) is None  # a restart with a new key asks again; it never misreads
    assert unseal("plain", key) == "plain" and seal(None, key) is None


@pytest.mark.parametrize(
    "message, expected",
    [
        ("cek status K7QX-4M2P 482913", "cek status [kode laporan] [PIN]"),
        ("k7qx 4m2p", "[kode laporan]"),
        ("PIN: 482913", "PIN: [PIN]"),
        ("bayar 150000 ke sponsor", "bayar 150000 ke sponsor"),
        ("mana taun lalu", "mana taun lalu"),
        ("kemnaker", "kemnaker"),
    ],
)
def test_redaction_of_texts(message: str, expected: str) -> None:
    assert redact_text(message) == expected


def test_a_code_without_digits_is_redacted_in_a_status_check() -> None:
    assert redact_text("cek status laporan kqxm wpzr", pin_context=True) == "cek status laporan [kode laporan]"
    assert redact_text("mana taun lalu") == "mana taun lalu"  # outside a status check, words stay words


def test_stored_json_is_still_valid_rasa_events(store_url: str) -> None:
    store = store_for(store_url)
    tracker = DialogueStateTracker.from_events("rest:json", [user(f"{CODE} {PIN}")], DOMAIN.slots)
    asyncio.run(store.save(tracker))
    event = json.loads(stored_rows(store_url, "rest:json")[0])
    assert event["event"] == "user" and event["parse_data"]["text"] == "[kode laporan] [PIN]"


def test_a_conversation_loads_from_its_latest_session_as_rasas_own_query_would(store_url: str) -> None:
    """The load runs its own prepared statement (bot/storage/tracker_store.py): the same events as
    Rasa's ``_event_query``, in order, for one session, several, and other users' in between."""
    from rasa.shared.core.events import SessionStarted

    store = store_for(store_url)
    first = [
        ActionExecuted("action_session_start", timestamp=1.0),
        SessionStarted(timestamp=1.1),
        ActionExecuted("action_listen", timestamp=1.2),
        user("halo", "greet"),
    ]
    first[-1].timestamp = 1.3
    tracker = DialogueStateTracker.from_events("rest:sessions", first, DOMAIN.slots)
    asyncio.run(store.save(tracker))
    asyncio.run(store.save(DialogueStateTracker.from_events("rest:other", [user("lain", "greet")], DOMAIN.slots)))

    def latest(sender: str) -> List[dict]:
        loaded = asyncio.run(store.retrieve(sender))
        with store.session_scope() as session:
            rasas = [json.loads(row.data) for row in store._event_query(session, sender, False).all()]
        assert [event.as_dict() for event in loaded.events] == [
            event.as_dict() for event in DialogueStateTracker.from_dict(sender, rasas, DOMAIN.slots).events
        ]
        return [event.as_dict() for event in loaded.events]

    assert [event["event"] for event in latest("rest:sessions")] == ["session_started", "action", "user"]
    again = asyncio.run(store.retrieve("rest:sessions"))
    for event in [
        ActionExecuted("action_session_start", timestamp=5.0),
        SessionStarted(timestamp=5.1),
        ActionExecuted("action_listen", timestamp=5.2),
    ]:
        again.update(event)
    asyncio.run(store.save(again))
    assert [(event["event"], event["timestamp"]) for event in latest("rest:sessions")] == [
        ("session_started", 5.1),
        ("action", 5.2),
    ]
    assert [event["event"] for event in latest("rest:other")] == ["user"]
    assert asyncio.run(store.retrieve("rest:nobody")) is None


def as_dicts(tracker: DialogueStateTracker) -> List[dict]:
    return [event.as_dict() for event in tracker.events]


def fresh_load(url: str, sender: str) -> List[dict]:
    """What a replica that never saw the conversation loads (no remembered session)."""
    return as_dicts(asyncio.run(store_for(url).retrieve(sender)))


def test_two_replicas_taking_turns_load_what_a_fresh_replica_loads(store_url: str) -> None:
    """Each store remembers the session it loaded and reads only the rows written since, by itself
    or by the other replica: every load must equal a first load, slots and sealed values included."""
    first, second = store_for(store_url), store_for(store_url)
    sender = "telegram:5550077"
    tracker = DialogueStateTracker.from_events(
        sender, [ActionExecuted("action_listen"), user("halo", "greet")], DOMAIN.slots
    )
    asyncio.run(first.save(tracker))
    turns = [
        [ActiveLoop("status_form"), SlotSet("status_case_code", CODE), SlotSet("requested_slot", "status_pin")],
        [user(PIN, "greet"), SlotSet("status_pin", PIN), ActiveLoop(None), SlotSet("requested_slot", None)],
        [user("makasih", "greet"), BotUttered("Sama-sama.")],
        [user("lagi", "greet"), ActionExecuted("action_listen")],
    ]
    for number, events in enumerate(turns):
        store = (first, second)[number % 2]
        loaded = asyncio.run(store.retrieve(sender))
        assert as_dicts(loaded) == fresh_load(store_url, sender)
        for event in events:
            loaded.update(event)
        asyncio.run(store.save(loaded))
    for store in (first, second):
        loaded = asyncio.run(store.retrieve(sender))
        assert as_dicts(loaded) == fresh_load(store_url, sender)
        assert loaded.get_slot("status_case_code") == CODE and loaded.get_slot("status_pin") == PIN
        assert [event.as_dict() for event in loaded.events][-1]["event"] == "action"


def count_decoded_rows(monkeypatch) -> List[int]:
    """How many rows each later load of the store deserialises, one number per load that decodes."""
    from bot.storage import tracker_store

    decoded: List[int] = []
    deserialise = tracker_store.deserialise_events
    monkeypatch.setattr(
        tracker_store, "deserialise_events", lambda dicts: decoded.append(len(dicts)) or deserialise(dicts)
    )
    return decoded


def test_a_remembered_session_decodes_only_the_rows_written_since(store_url: str, monkeypatch) -> None:
    store = store_for(store_url)
    sender = "rest:decodes"
    tracker = DialogueStateTracker.from_events(sender, [user(f"pesan {n}", "greet") for n in range(30)], DOMAIN.slots)
    asyncio.run(store.save(tracker))
    assert len(asyncio.run(store.retrieve(sender)).events) == 30
    decoded = count_decoded_rows(monkeypatch)
    again = asyncio.run(store.retrieve(sender))
    again.update(user("baru", "greet"))
    asyncio.run(store.save(again))
    assert len(asyncio.run(store.retrieve(sender)).events) == 31
    assert decoded == [1]  # the unchanged load decoded nothing, the next one the new row only


def test_a_pin_asked_in_a_remembered_turn_is_still_redacted_when_it_arrives(store_url: str, monkeypatch) -> None:
    """The redaction context (is a PIN expected?) continues with the remembered session."""
    first, second = store_for(store_url), store_for(store_url)
    sender = "telegram:5550088"
    asyncio.run(first.save(DialogueStateTracker.from_events(sender, [user("halo", "greet")], DOMAIN.slots)))
    asking = asyncio.run(first.retrieve(sender))
    for event in [
        user("cek status", "check_status"),
        ActiveLoop("status_form"),
        SlotSet("requested_slot", "status_pin"),
    ]:
        asking.update(event)
    asyncio.run(second.save(asking))
    asyncio.run(first.retrieve(sender))  # the first replica now remembers the question
    reminded = asyncio.run(second.retrieve(sender))
    reminded.update(BotUttered("Tulis PIN 6 angka."))
    asyncio.run(second.save(reminded))
    decoded = count_decoded_rows(monkeypatch)
    answering = asyncio.run(first.retrieve(sender))  # continued: the question is in what it remembered
    assert decoded == [1]
    answering.update(user(f"ini {PIN} ya kak", "greet"))  # a bare number would be redacted anyway
    asyncio.run(first.save(answering))
    assert PIN not in "".join(stored_rows(store_url, sender))


def test_rows_a_full_load_would_leave_out_are_not_added_to_a_remembered_session(store_url: str) -> None:
    """A row stamped before the session's start (another replica's clock behind) is left out by
    Rasa's query, and so by a continued load; a row committed late under a lower id is not missed."""
    from rasa.shared.core.events import SessionStarted

    def remembered_then_written_elsewhere(sender: str, text_: str) -> DialogueStateTracker:
        """A session that started at 100.0, remembered by ``store``; another replica's next turn."""
        asyncio.run(
            store.save(DialogueStateTracker.from_events(sender, [SessionStarted(timestamp=100.0)], DOMAIN.slots))
        )
        asyncio.run(store.retrieve(sender))
        turn = asyncio.run(store_for(store_url).retrieve(sender))
        turn.update(user(text_, "greet"))
        return turn

    store = store_for(store_url)
    sender = "rest:clocks"
    late = remembered_then_written_elsewhere(sender, "jam mundur")
    late.events[-1].timestamp = 50.0
    asyncio.run(store_for(store_url).save(late))
    assert as_dicts(asyncio.run(store.retrieve(sender))) == fresh_load(store_url, sender)
    assert "jam mundur" not in json.dumps(fresh_load(store_url, sender))
    sender = "rest:late-commit"
    other = remembered_then_written_elsewhere(sender, "terlambat")
    asyncio.run(store_for(store_url).save(other))
    engine = create_engine(store_url)
    with engine.begin() as connection:  # as if this row, under an earlier id, became visible only now
        connection.execute(
            text("UPDATE events SET id = id - 1000 WHERE sender_id = :s AND data LIKE '%terlambat%'"), {"s": sender}
        )
    assert "terlambat" in json.dumps(as_dicts(asyncio.run(store.retrieve(sender))))
    assert as_dicts(asyncio.run(store.retrieve(sender))) == fresh_load(store_url, sender)


def test_a_conversation_erased_or_deleted_elsewhere_is_not_loaded_from_memory(store_url: str) -> None:
    first, second = store_for(store_url), store_for(store_url)
    sender = "whatsapp:6281200000"
    asyncio.run(first.save(DialogueStateTracker.from_events(sender, [user("halo", "greet")], DOMAIN.slots)))
    # remembered by the first replica
    assert [event.get("text") for event in as_dicts(asyncio.run(first.retrieve(sender)))] == ["halo"]
    # Erased through the other replica ("hapus data saya").
    erasing = asyncio.run(second.retrieve(sender))
    erasing.update(ActionExecuted(ERASE_DATA_ACTION))
    asyncio.run(second.save(erasing))
    assert asyncio.run(first.retrieve(sender)) is None
    # Deleted by retention, then the same user writes again, possibly into a reused row id (SQLite
    # gives the highest id again once its row is deleted): the new conversation alone is loaded.
    asyncio.run(first.save(DialogueStateTracker.from_events(sender, [user("satu", "greet")], DOMAIN.slots)))
    assert [event.get("text") for event in as_dicts(asyncio.run(first.retrieve(sender)))] == ["satu"]
    engine = create_engine(store_url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM events WHERE sender_id = :s"), {"s": sender})
    asyncio.run(second.save(DialogueStateTracker.from_events(sender, [user("dua", "greet")], DOMAIN.slots)))
    texts = [event.get("text") for event in as_dicts(asyncio.run(first.retrieve(sender)))]
    assert texts == ["dua"]


def test_remembered_sessions_are_bounded() -> None:
    from bot.storage.tracker_store import LoadedSession, RecentSessions

    def loaded(at: float) -> LoadedSession:
        return LoadedSession(
            last_id=1, last_data="{}", rows=1, session_start=-1.0, events=(), context=(None, None), loaded_at=at
        )

    recent = RecentSessions(capacity=2, idle_seconds=60.0)
    sessions = {"a": loaded(0.0), "b": loaded(0.0), "c": loaded(1.0)}
    for sender in ("a", "b"):
        recent.put(sender, sessions[sender])
    assert recent.get("a", now=1.0) is sessions["a"]  # "a" is now the most recently used
    recent.put("c", sessions["c"])
    assert recent.get("b", now=1.0) is None and recent.get("a", now=1.0) is sessions["a"]
    assert recent.get("c", now=1.0) is sessions["c"]
    # Idle too long: gone (it holds what the user said, unsealed).
    assert recent.get("a", now=61.0) is None and recent.get("c", now=61.0) is sessions["c"]
    assert recent.get("c", now=62.0) is None
