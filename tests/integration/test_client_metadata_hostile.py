"""Client ID Metadata Documents from hostile or broken hosts: deadlines, fair shares, no 500s."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator

import anyio
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.conftest import RunningApp
from tests.support.metadata_hosts import ENDPOINTS, REDIRECT, assert_oauth_refusal, client_id_request, trickle_host
from tests.support.servers import ServerThread

BROKEN_DOCUMENTS = {
    "list": b'[{"client_id": "x"}]',
    "string": b'"https://example.com/client.json"',
    "number": b"5",
    "null": b"null",
    "deep-array": b"[" * 30_000 + b"]" * 30_000,
    "deep-object": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    "not-json": b"<html>hello</html>",
    "not-utf8": b'{"client_id": "\xff\xfe"}',
}


@pytest.fixture(scope="module")
def documents() -> Iterator[ServerThread]:
    """Serves `/good.json` (a valid document for its own URL) and every broken document by name."""
    server = ServerThread()

    async def good(request: Request) -> JSONResponse:
        return JSONResponse({"client_id": str(request.url), "client_name": "Good Client", "redirect_uris": [REDIRECT]})

    async def broken(request: Request) -> Response:
        return Response(BROKEN_DOCUMENTS[request.path_params["name"]], media_type="application/json")

    server.start(Starlette(routes=[Route("/good.json", good), Route("/broken/{name}.json", broken)]))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def cimd_app(app_factory: Callable[..., RunningApp]) -> RunningApp:
    return app_factory(oauth_cimd_allow_loopback=True)


@pytest.fixture
def no_error_logged(log_stream: io.StringIO) -> Iterator[None]:
    """Fails the test if the server logged an error or a traceback meanwhile: a refusal is not a failure."""
    start = len(log_stream.getvalue())
    yield
    for line in log_stream.getvalue()[start:].splitlines():
        entry = json.loads(line) if line.startswith("{") else {"message": line}
        assert entry.get("level") not in {"error", "critical"}, line
        assert "exception" not in entry, line


@pytest.fixture(scope="module")
def impatient_app(app_factory: Callable[..., RunningApp]) -> RunningApp:
    return app_factory(oauth_cimd_allow_loopback=True, oauth_cimd_fetch_timeout=0.2)


@pytest.fixture(scope="module")
def patient_app(app_factory: Callable[..., RunningApp]) -> RunningApp:
    # A long deadline, so trickling fetches are certainly still held while a good client comes.
    return app_factory(oauth_cimd_allow_loopback=True, oauth_cimd_fetch_timeout=60, oauth_cimd_fetches_per_host=4)


@pytest.mark.usefixtures("no_error_logged")
@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("name", sorted(BROKEN_DOCUMENTS))
def test_a_metadata_document_of_the_wrong_shape_is_refused_as_an_unknown_client(
    cimd_app: RunningApp, documents: ServerThread, endpoint: str, name: str
) -> None:
    client_id = f"{documents.url}/broken/{name}.json"
    with httpx.Client(timeout=30) as http:
        assert_oauth_refusal(http.send(client_id_request(cimd_app.url, endpoint, client_id)))


@pytest.mark.usefixtures("no_error_logged")
@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(
    "client_id",
    [
        "https://example.com:99999/client.json",  # port out of range
        "https://example.com:-1/client.json",
        "https://example.com:x/client.json",
        "http://localhost:65536/client.json",
        "https://[::1/client.json",  # unclosed IPv6 bracket
        "https://[not-an-ip]/client.json",
        "https://[::1]]/client.json",
        "https://a..b/client.json",  # empty DNS label
        "https://" + "a" * 300 + ".example/client.json",  # label too long
        "https://exa mple.com/client.json",
        "https://example.com\x00/client.json",
        "https://example.com/client.json\x00",
        "\x00",  # not a URL: looked up among registered clients, where PostgreSQL cannot hold a NUL
        "client\x00id",
    ],
)
def test_a_malformed_client_id_is_refused_as_an_unknown_client(
    cimd_app: RunningApp, endpoint: str, client_id: str
) -> None:
    with httpx.Client(timeout=30) as http:
        assert_oauth_refusal(http.send(client_id_request(cimd_app.url, endpoint, client_id)))


@pytest.mark.anyio
@pytest.mark.usefixtures("no_error_logged")
@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("trickled", ["status line", "body"])
async def test_a_host_that_trickles_its_answer_is_cut_off_at_the_fetch_deadline(
    impatient_app: RunningApp, endpoint: str, trickled: str
) -> None:
    # Each byte arrives well within any read timeout; only a deadline for the whole fetch ends it.
    app = impatient_app
    async with trickle_host(trickled) as host, httpx.AsyncClient(timeout=30) as http:
        with anyio.fail_after(20):
            response = await http.send(client_id_request(app.url, endpoint, f"{host.url}/client.json"))
            assert_oauth_refusal(response)
            await host.wait_until(open=0)  # the app closed the connection, it did not leave it trickling
        assert host.accepted == 1


@pytest.mark.anyio
async def test_a_metadata_client_still_authorizes_while_a_host_trickles_twenty_fetches(
    patient_app: RunningApp, documents: ServerThread
) -> None:
    app = patient_app
    good_id = f"http://localhost:{documents.port}/good.json"
    answers: list[httpx.Response] = []
    async with httpx.AsyncClient(timeout=60) as http:

        async def trickled(client_id: str) -> None:
            answers.append(await http.send(client_id_request(app.url, "authorize", client_id)))

        with anyio.fail_after(30):
            # Leaving the block closes the host first (its fetches then fail), then waits for every answer.
            async with anyio.create_task_group() as tasks, trickle_host() as host:
                for n in range(20):  # distinct ids: nothing is shared or cached between them
                    tasks.start_soon(trickled, f"{host.url}/client.json?n={n}")
                await host.wait_until(open=4)
                while len(answers) < 16:  # the fetches beyond this host's share fail at once
                    await anyio.sleep(0.01)
                for endpoint in ENDPOINTS:
                    response = await http.send(client_id_request(app.url, endpoint, good_id))
                    if endpoint == "authorize":
                        assert response.status_code == 302, response.text
                        assert "/oauth/consent" in response.headers["location"]
                    elif endpoint == "token":  # the client is known; only the made-up code is refused
                        assert response.json()["error"] == "invalid_grant", response.text
                    else:
                        assert response.status_code == 200, response.text
                assert host.open == 4  # the trickling fetches were all still held meanwhile
        assert host.accepted == 4
        for response in answers:
            assert_oauth_refusal(response)
