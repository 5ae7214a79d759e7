"""The turn gate (bot/turn_gate.py): turns one after another in arrival order, platform sends
outside it, and no place lost or given twice on errors and cancellations."""

from __future__ import annotations

import asyncio
import gc
from typing import List

import pytest

from bot.rasa_overrides import freeze_loaded_objects
from bot.turn_gate import TurnGate


async def _turn(gate: TurnGate, name: str, log: List[str], steps: int = 3) -> None:
    async with gate.turn():
        for step in range(steps):
            log.append(f"{name}{step}")
            await asyncio.sleep(0)  # an await inside the turn (the database, Redis)


def _run_turns(limit: int) -> List[str]:
    gate, log = TurnGate(limit), []

    async def main() -> None:
        await asyncio.gather(*(_turn(gate, name, log) for name in "abc"))

    asyncio.run(main())
    return log


def test_with_one_place_turns_run_whole_in_arrival_order() -> None:
    assert _run_turns(1) == ["a0", "a1", "a2", "b0", "b1", "b2", "c0", "c1", "c2"]


def test_without_a_limit_turns_interleave_at_every_await_as_in_stock_rasa() -> None:
    assert _run_turns(0) == ["a0", "b0", "c0", "a1", "b1", "c1", "a2", "b2", "c2"]


def test_with_two_places_two_turns_share_the_loop_and_the_third_waits() -> None:
    log = _run_turns(2)
    assert log[:4] == ["a0", "b0", "a1", "b1"] and log.index("c0") > log.index("a2")


def test_a_turn_sending_to_the_platform_lets_the_next_turn_run_and_then_continues() -> None:
    gate, log = TurnGate(1), []

    async def sending_turn(released: asyncio.Event) -> None:
        async with gate.turn():
            log.append("a: before send")
            async with gate.outside():
                await released.wait()  # the platform answers only once b has run
                log.append("a: sent")
            log.append("a: after send")

    async def other_turn(released: asyncio.Event) -> None:
        async with gate.turn():
            log.append("b: whole turn")
            released.set()
            await asyncio.sleep(0)
            log.append("b: end")

    async def main() -> None:
        released = asyncio.Event()
        await asyncio.wait_for(asyncio.gather(sending_turn(released), other_turn(released)), timeout=5)
        assert gate.free_places() == 1

    asyncio.run(main())
    assert log == ["a: before send", "b: whole turn", "a: sent", "b: end", "a: after send"]


def test_the_place_comes_back_after_an_error_and_after_a_cancelled_wait_to_come_back_in() -> None:
    gate = TurnGate(1)

    async def failing() -> None:
        async with gate.turn():
            raise ValueError("action failed")

    async def cancelled_while_queueing_again(holder_in: asyncio.Event, release: asyncio.Event) -> None:
        async with gate.turn():
            async with gate.outside():
                holder_in.set()
                await release.wait()

    async def holder(holder_in: asyncio.Event, release: asyncio.Event, hold: asyncio.Event) -> None:
        await holder_in.wait()
        async with gate.turn():
            release.set()  # the other turn now queues to come back in, behind this one
            await hold.wait()

    async def main() -> None:
        with pytest.raises(ValueError, match="action failed"):
            await failing()
        assert gate.free_places() == 1
        holder_in, release, hold = asyncio.Event(), asyncio.Event(), asyncio.Event()
        waiting = asyncio.ensure_future(cancelled_while_queueing_again(holder_in, release))
        holding = asyncio.ensure_future(holder(holder_in, release, hold))
        await release.wait()
        await asyncio.sleep(0.01)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        hold.set()
        await holding
        # One place, free again: neither lost nor given back twice.
        assert gate.free_places() == 1

    asyncio.run(main())


def test_a_task_started_inside_a_turn_does_not_hold_its_place() -> None:
    gate = TurnGate(1)

    async def main() -> None:
        async with gate.turn():
            assert gate.holds_place()

            async def child() -> bool:
                async with gate.outside():  # nothing to give up: the place is the parent's
                    return gate.free_places() == 0

            assert await asyncio.ensure_future(child())
            async with gate.turn():  # the same task again (a nested call): no second place needed
                assert gate.holds_place()
        assert not gate.holds_place() and gate.free_places() == 1

    asyncio.run(main())


def test_a_turn_coming_back_in_goes_before_turns_that_have_not_started() -> None:
    gate, log = TurnGate(1), []

    async def stepping_out(back: asyncio.Event) -> None:
        async with gate.turn():
            log.append("a starts")
            async with gate.outside():
                await back.wait()
            log.append("a ends")

    async def holding(back: asyncio.Event) -> None:
        async with gate.turn():
            log.append("b starts")
            back.set()  # a is back and queues while b holds the place; c queued before it
            for _ in range(3):
                await asyncio.sleep(0)
            log.append("b ends")

    async def late() -> None:
        async with gate.turn():
            log.append("c starts")

    async def main() -> None:
        back = asyncio.Event()
        first = asyncio.ensure_future(stepping_out(back))
        await asyncio.sleep(0)
        second = asyncio.ensure_future(holding(back))
        third = asyncio.ensure_future(late())
        await asyncio.wait_for(asyncio.gather(first, second, third), timeout=5)
        assert gate.free_places() == 1

    asyncio.run(main())
    assert log == ["a starts", "b starts", "b ends", "a ends", "c starts"]


def test_a_turn_cancelled_while_outside_ends_without_queueing_again() -> None:
    gate = TurnGate(1)

    async def sending(started: asyncio.Event) -> None:
        async with gate.turn():
            async with gate.outside():
                started.set()
                await asyncio.sleep(30)  # a platform that never answers

    async def main() -> None:
        started = asyncio.Event()
        task = asyncio.ensure_future(sending(started))
        await started.wait()
        async with gate.turn():  # the place is free while the send is in flight
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        assert gate.free_places() == 1

    asyncio.run(main())


class _StubProcessor:
    """What MessageProcessor.handle_message calls on its processor, recording each turn's steps."""

    def __init__(self, log: List[str]) -> None:
        from rasa.shared.data import TrainingType

        self.log = log
        self.model_metadata = type("Metadata", (), {"training_type": TrainingType.BOTH})()

    async def log_message(self, message, should_save_tracker: bool = True):
        return message.text

    async def run_action_extract_slots(self, output_channel, tracker):
        return tracker

    async def _run_prediction_loop(self, output_channel, tracker) -> None:
        self.log.append(f"{tracker} predicts")
        await asyncio.sleep(0)
        self.log.append(f"{tracker} acts")

    async def run_anonymization_pipeline(self, tracker) -> None:
        await asyncio.sleep(0)

    async def save_tracker(self, tracker) -> None:
        self.log.append(f"{tracker} saved")


def test_the_rasa_server_runs_each_channel_turn_whole_and_freezes_the_model_once_loaded() -> None:
    import rasa.core.run
    from rasa.core.channels.channel import UserMessage
    from rasa.core.processor import MessageProcessor

    from bot.rasa_overrides import apply
    from bot.turn_gate import TURN_GATE

    apply()
    TURN_GATE.limit = 1  # what RASA_TURNS_AT_ONCE gives by default
    log: List[str] = []
    processor = _StubProcessor(log)

    async def main() -> None:
        await asyncio.gather(
            *(MessageProcessor.handle_message(processor, UserMessage(text=name, sender_id=name)) for name in "ab")
        )

    asyncio.run(main())
    assert log == ["a predicts", "a acts", "a saved", "b predicts", "b acts", "b saved"]
    assert rasa.core.run.load_agent_on_start.__qualname__.startswith("_freeze_after_loading")


def test_a_platform_send_steps_out_of_the_gate() -> None:
    from bot.channels.pipeline import PlatformOutput
    from bot.replies import BotMessage
    from bot.turn_gate import TURN_GATE

    TURN_GATE.limit = 1
    log: List[str] = []

    class SlowPlatform(PlatformOutput):
        def __init__(self, answered: asyncio.Event) -> None:
            super().__init__()
            self.answered = answered

        async def deliver(self, recipient_id: str, message: BotMessage) -> None:
            await self.answered.wait()
            log.append(f"delivered {message.text}")

    async def sending_turn(answered: asyncio.Event) -> None:
        async with TURN_GATE.turn():
            await SlowPlatform(answered).send_text_message("user-1", "jawaban")

    async def other_turn(answered: asyncio.Event) -> None:
        await asyncio.sleep(0)
        async with TURN_GATE.turn():  # runs while the send is in flight
            log.append("other turn")
            answered.set()

    async def main() -> None:
        answered = asyncio.Event()
        await asyncio.wait_for(asyncio.gather(sending_turn(answered), other_turn(answered)), timeout=5)
        assert TURN_GATE.free_places() == 1

    asyncio.run(main())
    assert log == ["other turn", "delivered jawaban"]


def test_freezing_takes_the_objects_alive_now_out_of_the_collectors_walk() -> None:
    kept = [[index] for index in range(10_000)]  # stands for the loaded model
    try:
        freeze_loaded_objects()
        assert gc.get_freeze_count() >= len(kept)
        frozen = {id(item) for item in kept}
        assert not frozen & {id(item) for item in gc.get_objects(generation=2)}
    finally:
        gc.unfreeze()
