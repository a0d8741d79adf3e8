"""Sending goes through several small HTTP clients (bot.ops.instrument.ShardedRequest), never past their connections."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.ops.instrument import InstrumentedRequest, ShardedRequest, requests


async def test_requests_in_flight_are_spread_and_bounded_by_the_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    sharded = ShardedRequest(shards=4, per_shard=2)
    busy = {id(shard): 0 for shard in sharded.shards}
    peaks = {id(shard): 0 for shard in sharded.shards}
    total = {"now": 0, "peak": 0}

    async def slow(self: InstrumentedRequest, *_args: Any, **_kwargs: Any) -> tuple[int, bytes]:
        busy[id(self)] += 1
        total["now"] += 1
        peaks[id(self)] = max(peaks[id(self)], busy[id(self)])
        total["peak"] = max(total["peak"], total["now"])
        await asyncio.sleep(0.01)
        busy[id(self)] -= 1
        total["now"] -= 1
        return 200, b'{"ok": true, "result": true}'

    monkeypatch.setattr(InstrumentedRequest, "do_request", slow)
    results = await asyncio.gather(*(sharded.do_request("http://x/bot/sendMessage", "POST") for _ in range(40)))
    assert all(status == 200 for status, _ in results)
    # a request never waits inside a client's pool (its timeout would fail the message): at most 2 per client
    assert max(peaks.values()) == 2 and all(peak > 0 for peak in peaks.values())
    assert total["peak"] == 8 and sharded.in_flight == [0, 0, 0, 0]


def test_the_bot_sends_through_the_sharded_clients_and_polls_through_its_own() -> None:
    send, poll = requests()
    assert isinstance(send, ShardedRequest) and len(send.shards) > 1
    assert isinstance(poll, InstrumentedRequest) and not isinstance(poll, ShardedRequest)
    assert send.read_timeout == send.shards[0].read_timeout
