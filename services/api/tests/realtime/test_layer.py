"""The configured channel layer, as the realtime hub uses it."""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from tests.conftest import requires_redis

pytestmark = requires_redis


def test_an_idle_receive_outlives_the_redis_clients_default_read_timeout() -> None:
    # redis-py gives up on a read after 5 s unless told otherwise, and the core layer blocks 5 s
    # per BZPOPMIN: a hub idle for that long must keep waiting, not fail.
    async def scenario() -> None:
        layer = get_channel_layer()
        channel = await layer.new_channel()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(layer.receive(channel), timeout=7)

    async_to_sync(scenario)()
