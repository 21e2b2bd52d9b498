"""One Mistral key cannot take more than its share of the upstream pool: its extra requests
wait behind its own, while another key's go straight through."""

from __future__ import annotations

from dataclasses import replace

import anyio
import httpx
import pytest

from server.errors import UpstreamUnavailable
from server.settings import Settings
from server.upstream.client import MistralClient
from server.upstream.fair_share import UpstreamShares, tenant_of

pytestmark = pytest.mark.anyio

SETTINGS = replace(Settings(), upstream_url="http://mistral.test", upstream_max_retries=0)


class HeldMistral:
    """A mock Mistral that keeps the busy key's requests until released, and counts them."""

    def __init__(self, busy_key: str) -> None:
        self.busy_key = busy_key
        self.release = anyio.Event()
        self.busy_now = 0
        self.busy_most = 0
        self.busy_arrived = anyio.Event()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.headers["authorization"] != f"Bearer {self.busy_key}":
            return httpx.Response(200, json={"who": "other"})
        self.busy_now += 1
        self.busy_most = max(self.busy_most, self.busy_now)
        self.busy_arrived.set()
        try:
            await self.release.wait()
        finally:
            self.busy_now -= 1
        return httpx.Response(200, json={"who": "busy"})


async def test_a_key_at_its_share_waits_behind_its_own_requests_while_another_key_goes_through() -> None:
    mistral = HeldMistral("sk-busy")
    client = MistralClient(
        replace(SETTINGS, upstream_max_connections=8, upstream_max_connections_per_key=2),
        transport=httpx.MockTransport(mistral),
    )
    answers: list[str] = []

    async def busy_call() -> None:
        answers.append((await client.request("sk-busy", "GET", "/v1/models")).json()["who"])

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tasks:
            for _ in range(5):
                tasks.start_soon(busy_call)
            while mistral.busy_now < 2:
                await mistral.busy_arrived.wait()
                mistral.busy_arrived = anyio.Event()
            await anyio.wait_all_tasks_blocked()
            # The busy key holds its whole share, three more of its requests wait, and still:
            other = await client.request("sk-other", "GET", "/v1/models")
            assert other.json() == {"who": "other"}
            assert mistral.busy_now == 2
            mistral.release.set()
    assert answers == ["busy"] * 5
    assert mistral.busy_most == 2


async def test_a_request_that_waits_too_long_for_its_share_is_an_actionable_error() -> None:
    mistral = HeldMistral("sk-busy")
    client = MistralClient(
        replace(SETTINGS, upstream_max_connections=4, upstream_max_connections_per_key=1, upstream_timeout=0.05),
        transport=httpx.MockTransport(mistral),
    )
    with anyio.fail_after(10):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(client.request, "sk-busy", "GET", "/v1/models")
            await mistral.busy_arrived.wait()
            with pytest.raises(UpstreamUnavailable, match="already has 1 requests to Mistral in flight"):
                await client.request("sk-busy", "GET", "/v1/models")
            mistral.release.set()
    assert mistral.busy_most == 1


async def test_shares_keep_nothing_once_a_tenant_is_idle() -> None:
    shares = UpstreamShares(2, wait=1)
    tenant = tenant_of("sk-secret-key")
    async with shares.turn(tenant), shares.turn(tenant):
        assert shares.in_flight(tenant) == 2
    assert shares.in_flight(tenant) == 0
    assert "sk-secret-key" not in tenant and len(tenant) == 32
    assert shares.tenants == 0  # no entry kept per key ever seen: nothing grows without bound
