"""One trained assistant per test run: loading the model takes tens of seconds and over 1 GB.

The Rasa agent runs in-process; the custom actions run in the real action server over HTTP.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

from bot.settings import get_settings
from tests.servers import action_server


class Conversation:
    """A user talking to the assistant: ``say`` returns the bot's messages for one turn."""

    def __init__(self, agent: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._agent = agent
        self._loop = loop
        self.sender = f"test-{uuid.uuid4().hex[:12]}"

    def say(self, text: str) -> List[Dict[str, Any]]:
        return self._loop.run_until_complete(self._agent.handle_text(text, sender_id=self.sender)) or []

    def say_text(self, text: str) -> str:
        return "\n".join(message.get("text") or "" for message in self.say(text))

    def slot(self, name: str) -> Any:
        tracker = self._loop.run_until_complete(self._agent.tracker_store.retrieve(self.sender))
        return tracker.get_slot(name) if tracker else None


@pytest.fixture(scope="session")
def assistant_agent() -> Iterator[tuple]:
    model = get_settings().model_path
    if not model.exists():
        pytest.fail(f"{model} is missing: run `make train` (make test does it for you)")
    loop = asyncio.new_event_loop()
    with tempfile.TemporaryDirectory(prefix="actions-") as folder:
        # The action server (a child process) inherits this database: a fresh, migrated SQLite file.
        database_url = f"sqlite:///{Path(folder) / 'reports.db'}"
        os.environ["DATABASE_URL"] = database_url
        from bot.manage import ensure_registry, migrate

        migrate(database_url)
        ensure_registry(database_url)
        yield from _agent_with_actions(Path(folder), model, loop)
    os.environ.pop("DATABASE_URL", None)
    loop.close()


def _agent_with_actions(folder: Path, model: Path, loop: asyncio.AbstractEventLoop):
    from rasa.core.agent import load_agent
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.endpoints import EndpointConfig

    with action_server(folder) as actions:
        # As under `make run`: the action server's token, and conversations in the redacting SQL
        # tracker store (a fresh SQLite file), so tests see what is really stored.
        endpoints = AvailableEndpoints(
            action=EndpointConfig(url=actions.url, headers=actions.headers),
            tracker_store=EndpointConfig(
                type="bot.storage.tracker_store.RedactingSQLTrackerStore",
                dialect="sqlite",
                db=str(folder / "tracker.db"),
            ),
        )
        agent = loop.run_until_complete(load_agent(model_path=str(model), endpoints=endpoints, loop=loop))
        yield agent, loop, f"sqlite:///{folder / 'tracker.db'}"


@pytest.fixture
def chat(assistant_agent) -> Conversation:
    agent, loop, _tracker_store_url = assistant_agent
    return Conversation(agent, loop)


@pytest.fixture(scope="session")
def database_url(assistant_agent) -> str:
    return os.environ["DATABASE_URL"]


@pytest.fixture(scope="session")
def tracker_store_url(assistant_agent) -> str:
    """Where Rasa itself wrote the conversations (the console reads transcripts from here)."""
    return assistant_agent[2]
