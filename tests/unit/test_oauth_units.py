import pytest
from pydantic import AnyUrl

from server.oauth.client_metadata import ClientMetadataError, ClientMetadataFetcher, is_metadata_url
from server.oauth.provider import OurClient

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/client.json",  # not https
        "https://127.0.0.1/client.json",  # loopback
        "https://10.1.2.3/client.json",  # private
        "https://169.254.169.254/latest/meta-data",  # link-local (cloud metadata)
        "https://[::1]/client.json",
    ],
)
async def test_metadata_fetch_refuses_unsafe_targets(url: str) -> None:
    fetcher = ClientMetadataFetcher(allow_loopback=False)
    try:
        with pytest.raises(ClientMetadataError):
            await fetcher.fetch(url)
    finally:
        await fetcher.aclose()


def test_only_urls_with_a_path_are_metadata_client_ids() -> None:
    assert is_metadata_url("https://app.example.com/oauth/client.json")
    assert not is_metadata_url("https://app.example.com/")
    assert not is_metadata_url("3f2c9a")


def test_loopback_redirects_may_change_port_but_nothing_else() -> None:
    client = OurClient(client_id="c", redirect_uris=[AnyUrl("http://127.0.0.1:5000/callback")])
    assert client.validate_redirect_uri(AnyUrl("http://127.0.0.1:6123/callback"))
    with pytest.raises(Exception, match="not registered"):
        client.validate_redirect_uri(AnyUrl("http://127.0.0.1:6123/other"))
    https_client = OurClient(client_id="c", redirect_uris=[AnyUrl("https://claude.ai/api/mcp/auth_callback")])
    with pytest.raises(Exception, match="not registered"):
        https_client.validate_redirect_uri(AnyUrl("https://claude.ai/api/mcp/other"))
