"""The metadata fetcher's fair shares: one fetch per client id at a time, a few per host, a bounded total."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator

import anyio
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.oauth import client_metadata
from server.oauth.client_metadata import ClientMetadataError, ClientMetadataFetcher
from tests.support.servers import ServerThread

pytestmark = pytest.mark.anyio

REDIRECT = "http://127.0.0.1:5000/cb"


class DocumentHost:
    """Serves a valid document for any `/held/...` URL once the gate opens, and `/gzip.json` compressed."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.requests: list[Request] = []
        self.server = ServerThread()
        self.server.start(Starlette(routes=[Route("/held/{name}", self._held), Route("/gzip.json", self._gzip)]))

    async def _held(self, request: Request) -> JSONResponse:
        self.requests.append(request)
        await anyio.to_thread.run_sync(self.gate.wait)
        return JSONResponse({"client_id": str(request.url), "redirect_uris": [REDIRECT]})

    async def _gzip(self, request: Request) -> Response:
        self.requests.append(request)
        body = json.dumps({"client_id": str(request.url), "redirect_uris": [REDIRECT]}).encode()
        return Response(gzip.compress(body), media_type="application/json", headers={"content-encoding": "gzip"})

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.server.port}{path}"

    async def wait_for_requests(self, count: int) -> None:
        while len(self.requests) < count:
            await anyio.sleep(0.01)


@pytest.fixture
def host() -> Iterator[DocumentHost]:
    serving = DocumentHost()
    yield serving
    serving.gate.set()
    serving.server.stop()


async def test_requests_for_a_client_id_being_fetched_share_that_fetch(host: DocumentHost) -> None:
    fetcher = ClientMetadataFetcher(allow_loopback=True)
    url = host.url("/held/a.json")
    results: list[str] = []

    async def fetch() -> None:
        results.append((await fetcher.fetch(url)).client_id)

    try:
        with anyio.fail_after(20):
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(fetch)
                await host.wait_for_requests(1)
                for _ in range(9):
                    tasks.start_soon(fetch)
                await anyio.wait_all_tasks_blocked()
                host.gate.set()
        assert results == [url] * 10
        assert len(host.requests) == 1
    finally:
        await fetcher.aclose()


async def test_a_request_whose_shared_fetch_was_cancelled_fetches_for_itself(host: DocumentHost) -> None:
    fetcher = ClientMetadataFetcher(allow_loopback=True)
    url = host.url("/held/a.json")
    results: list[str] = []
    first = anyio.CancelScope()

    async def fetch() -> None:
        results.append((await fetcher.fetch(url)).client_id)

    async def first_fetch() -> None:
        with first:  # the request that started the fetch goes away
            await fetch()

    try:
        with anyio.fail_after(20):
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(first_fetch)
                await host.wait_for_requests(1)
                tasks.start_soon(fetch)
                await anyio.wait_all_tasks_blocked()
                first.cancel()
                await host.wait_for_requests(2)
                host.gate.set()
        assert results == [url]
    finally:
        await fetcher.aclose()


async def test_fetches_beyond_a_hosts_share_are_refused_at_once_while_other_hosts_go_on(host: DocumentHost) -> None:
    fetcher = ClientMetadataFetcher(allow_loopback=True, fetches_per_host=2)
    try:
        with anyio.fail_after(20):
            async with anyio.create_task_group() as tasks:
                for n in range(2):
                    tasks.start_soon(fetcher.fetch, host.url(f"/held/{n}.json"))
                await host.wait_for_requests(2)
                with pytest.raises(ClientMetadataError, match=r"too many client metadata fetches from 127\.0\.0\.1"):
                    await fetcher.fetch(host.url("/held/2.json"))
                tasks.start_soon(fetcher.fetch, host.url("/held/other.json", host="localhost"))
                await host.wait_for_requests(3)  # another host name: its own share
                host.gate.set()
        assert len(host.requests) == 3
    finally:
        await fetcher.aclose()


async def test_fetches_beyond_the_total_are_refused_at_once(
    host: DocumentHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_metadata, "MAX_FETCHES", 1)
    fetcher = ClientMetadataFetcher(allow_loopback=True)
    try:
        with anyio.fail_after(20):
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(fetcher.fetch, host.url("/held/1.json"))
                await host.wait_for_requests(1)
                with pytest.raises(ClientMetadataError, match="too many client metadata fetches at once"):
                    await fetcher.fetch(host.url("/held/2.json", host="localhost"))
                host.gate.set()
        # Shares are given back when a fetch ends.
        assert (await fetcher.fetch(host.url("/held/3.json"))).client_id == host.url("/held/3.json")
    finally:
        await fetcher.aclose()


async def test_a_compressed_document_is_refused_before_it_is_inflated(host: DocumentHost) -> None:
    fetcher = ClientMetadataFetcher(allow_loopback=True)
    try:
        with pytest.raises(ClientMetadataError, match="must not be compressed"):
            await fetcher.fetch(host.url("/gzip.json"))
        assert host.requests[0].headers["accept-encoding"] == "identity"
    finally:
        await fetcher.aclose()


async def test_requests_sharing_a_fetch_that_overran_its_deadline_get_its_answer(host: DocumentHost) -> None:
    fetcher = ClientMetadataFetcher(allow_loopback=True, timeout=1)
    url = host.url("/held/slow.json")
    errors: list[str] = []

    async def fetch() -> None:
        try:
            await fetcher.fetch(url)
        except ClientMetadataError as exc:
            errors.append(str(exc))

    try:
        with anyio.fail_after(20):
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(fetch)
                await host.wait_for_requests(1)
                tasks.start_soon(fetch)
        assert errors == ["client metadata took longer than 1 s to fetch"] * 2
        assert len(host.requests) == 1  # the second request did not try the slow host again
    finally:
        await fetcher.aclose()
