"""Property-based fuzzing of Client ID Metadata Documents: client ids, documents, redirect URIs.

The property: whatever the client id or the document it names, /authorize, /token and /revoke
answer a consent redirect, a success or a clean OAuth error, never a 5xx or a traceback, and the
server logs no error. Client ids only ever name loopback or non-public addresses (refused before
any connection) and malformed hosts (refused before any DNS lookup): the fuzzing stays on this machine.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.oauth.public_address import is_public
from tests.conftest import RunningApp
from tests.fuzz.conftest import FUZZ, json_values
from tests.support.metadata_hosts import ENDPOINTS, REDIRECT, client_id_request
from tests.support.servers import ServerThread

SELF = "@@the-document's-own-url@@"  # replaced by the URL the document is served at

redirect_uris = (
    st.sampled_from(
        [
            REDIRECT,
            "http://localhost:5000/cb",
            "http://[::1]:5000/cb",
            "https://app.example/cb",
            "cursor://anysphere.cursor-mcp/oauth/callback",
            "http://app.example/cb",
            "https://u:p@app.example/cb",
            "https://claude.ai@evil.example/cb",
            "https://app.example/cb#fragment",
            "javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "file:///etc/passwd",
            "vbscript:msgbox(1)",
            "http://127.0.0.1:99999/cb",
            "http://[::1/cb",
            "//app.example/cb",
            "",
        ]
    )
    | st.text(max_size=60)
    | st.builds(
        "{}://{}{}".format,
        st.sampled_from(["http", "https", "javascript", "data", "file", "custom.app", ""]),
        st.text(max_size=20),
        st.text(max_size=20),
    )
)

near_valid_documents = st.fixed_dictionaries(
    {
        "client_id": st.just(SELF) | json_values,
        "redirect_uris": st.lists(redirect_uris | json_values, max_size=3) | json_values,
    },
    optional={
        "client_name": st.text(max_size=40) | json_values,
        "client_uri": redirect_uris | json_values,
        "logo_uri": redirect_uris | json_values,
        "grant_types": st.lists(st.sampled_from(["authorization_code", "refresh_token", "password"])) | json_values,
        "response_types": st.lists(st.sampled_from(["code", "token"])) | json_values,
        "scope": st.text(max_size=30) | json_values,
        "token_endpoint_auth_method": st.sampled_from(["none", "client_secret_post", "private_key_jwt"]) | json_values,
        "client_secret": st.text(max_size=20) | json_values,
        "jwks": json_values,
        "software_id": json_values,
    },
)


def _deep(depth: int, kind: str) -> bytes:
    if kind == "array":
        return b"[" * depth + b"]" * depth
    return b'{"client_id":' * depth + b"1" + b"}" * depth


documents = (
    json_values.map(json.dumps)
    | near_valid_documents.map(json.dumps)
    | st.builds(_deep, st.integers(min_value=1, max_value=40_000), st.sampled_from(["array", "object"]))
    | st.builds(lambda n: json.dumps({"client_id": SELF, "client_name": "x" * n}), st.integers(0, 100_000))
    | st.binary(max_size=200)
)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[ServerThread, dict[str, bytes]]]:
    """A document host serving, at each path, the body the test put there."""
    bodies: dict[str, bytes] = {}
    server = ServerThread()

    async def document(request: Request) -> Response:
        return Response(bodies.pop(request.url.path, b"{}"), media_type="application/json")

    server.start(Starlette(routes=[Route("/{path:path}", document)]))
    yield server, bodies
    server.stop()


@pytest.fixture(scope="module")
def loopback_app(app_factory: Callable[..., RunningApp]) -> RunningApp:
    return app_factory(oauth_cimd_allow_loopback=True, oauth_cimd_fetch_timeout=5)


@pytest.fixture(scope="module")
def strict_app(app_factory: Callable[..., RunningApp]) -> RunningApp:
    return app_factory(oauth_cimd_fetch_timeout=1)


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


def assert_clean_oauth_answer(response: httpx.Response, endpoint: str) -> None:
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text
    if response.status_code >= 400:
        error = response.json()["error"]
        assert isinstance(error, str) and error, response.text
    elif endpoint == "authorize":
        assert response.status_code == 302, response.text
        assert response.headers["location"], response.text
    else:
        assert (endpoint, response.status_code) == ("revoke", 200), response.text


_paths = itertools.count()


@pytest.mark.usefixtures("quiet_log")
@FUZZ
@given(document=documents, endpoint=st.sampled_from(ENDPOINTS), redirect_uri=st.just(REDIRECT) | redirect_uris)
def test_any_metadata_document_gets_a_consent_page_or_a_clean_oauth_error(
    loopback_app: RunningApp,
    served: tuple[ServerThread, dict[str, bytes]],
    http: httpx.Client,
    document: str | bytes,
    endpoint: str,
    redirect_uri: str,
) -> None:
    server, bodies = served
    path = f"/client/{next(_paths)}.json"  # a fresh id each time: nothing comes from the cache
    client_id = f"{server.url}{path}"
    body = document if isinstance(document, bytes) else document.replace(json.dumps(SELF), json.dumps(client_id))
    bodies[path] = body.encode() if isinstance(body, str) else body
    response = http.send(client_id_request(loopback_app.url, endpoint, client_id, redirect_uri))
    assert_clean_oauth_answer(response, endpoint)


# Only addresses no fetch may reach: each is refused before a connection is tried.
NON_PUBLIC = [
    "10.0.0.0/8",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "192.168.0.0/16",
    "192.0.0.0/24",
    "100.64.0.0/10",
    "::/96",
    "::ffff:a00:0/104",
    "::ffff:0:0:0/96",
    "64:ff9b::a00:0/104",
    "64:ff9b:1::/48",
    "2002::/16",
    "2001::/32",
    "fe80::/10",
    "fec0::/10",
    "fc00::/7",
]
non_public_hosts = st.one_of(*(st.ip_addresses(network=network) for network in NON_PUBLIC)).map(
    lambda ip: f"[{ip}]" if ip.version == 6 else str(ip)
)
# Hosts that are not well-formed names (and no character that would end the host part of the URL early):
# refused before any DNS lookup.
malformed_hosts = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters="/?#@:[]\\"), max_size=20
).filter(lambda host: any(not (c.isalnum() or c in "._-") for c in host) or ".." in host or host.startswith("."))
hosts = (
    st.sampled_from(["localhost", "LOCALHOST.", "0", "2130706433", "[::1]", "[", "[::1", "::1]", "[fe80::1%25eth0]"])
    | non_public_hosts
    | malformed_hosts
)
ports = (
    st.just("")
    | st.integers(min_value=-10, max_value=200_000).map(":{}".format)
    | st.text(alphabet="0123456789-+ :x", max_size=6).map(":{}".format)
)
client_ids = st.text(max_size=80) | st.builds(
    "{}://{}{}{}{}{}".format,
    st.sampled_from(["https", "http", "HTTPS", "ftp", "javascript", ""]),
    st.sampled_from(["", "user@", "u:p@", "@"]),
    hosts,
    ports,
    st.sampled_from(["/client.json", "/", ""]) | st.text(max_size=30).map("/{}".format),
    st.sampled_from(["", "?a=b", "#fragment", "?" + "q" * 2000]),
)


@pytest.mark.usefixtures("quiet_log")
@FUZZ
@given(client_id=client_ids, endpoint=st.sampled_from(ENDPOINTS))
def test_any_client_id_is_refused_as_a_clean_oauth_error(
    strict_app: RunningApp, http: httpx.Client, client_id: str, endpoint: str
) -> None:
    response = http.send(client_id_request(strict_app.url, endpoint, client_id))
    assert_clean_oauth_answer(response, endpoint)
    assert 400 <= response.status_code < 500, response.text  # no such client, whatever the id


@FUZZ
@given(host=non_public_hosts)
def test_the_fuzzed_addresses_are_all_non_public(host: str) -> None:
    # The client-id fuzzing must not reach a real host: every address it names is refused up front.
    assert not is_public(host.strip("[]"))
