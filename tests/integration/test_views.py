"""MCP Apps views from the official SDK client, in both protocol eras: tools name their view, resources/read
serves it self-contained, results carry what only the view needs in `_meta`, and the app-only tool stays
out of the model's sight."""

from __future__ import annotations

import re
from typing import Any

import anyio
import pytest
from mcp.client import advertise
from mcp.shared.exceptions import MCPError

from server.views import CSP, EXTENSION_ID, MIME_TYPE, VIEW_DATA_KEY
from tests.conftest import RunningApp
from tests.fake_mistral import FakeMistral
from tests.integration.test_oauth import Browser, obtain_tokens
from tests.support.mcp_client import LEGACY, MODERN, MODES, connect
from tests.support.tool_calls import text_of

pytestmark = pytest.mark.anyio

VIEWS = {
    "mistral_get_fine_tuning_job": "ui://mistral-mcp/fine-tuning-job",
    "mistral_create_fine_tuning_job": "ui://mistral-mcp/fine-tuning-job",
    "mistral_refresh_fine_tuning_job": "ui://mistral-mcp/fine-tuning-job",
    "mistral_get_batch_job": "ui://mistral-mcp/batch-job",
    "mistral_compare_models": "ui://mistral-mcp/model-comparison",
    "mistral_ocr": "ui://mistral-mcp/ocr-result",
}
APP_ONLY = "mistral_refresh_fine_tuning_job"
SHOWS_VIEWS = advertise(EXTENSION_ID, {"mimeTypes": [MIME_TYPE]})
# What would make a browser fetch something: an element that loads by URL, a style import, a remote url().
LOADS = re.compile(
    r"<(script|img|link|iframe|source|video|audio|embed|object)\b[^>]*\b(src|href|data)\s*=|@import|url\(\s*[\"']?\s*(https?:)?//",
    re.I,
)


def ui_of(tool: Any) -> dict[str, Any]:
    return dict((tool.meta or {}).get("ui") or {})


async def running_job(app: RunningApp, fake: FakeMistral, url: str) -> str:
    file_id = fake.add_file(b'{"messages": []}\n' * 64)["id"]
    async with connect(url) as client:
        created = await client.call_tool(
            "mistral_create_fine_tuning_job",
            {"model": "open-mistral-7b", "training_files": [{"file_id": file_id}], "hyperparameters": {}},
        )
    job_id: str = created.structured_content["id"]
    fake.add_checkpoint(job_id, 10, 1.2, 1.4)
    fake.add_checkpoint(job_id, 20, 0.8, 1.1)
    return job_id


@pytest.mark.parametrize("mode", MODES)
async def test_tools_that_open_a_view_name_it_in_their_meta(app: RunningApp, mode: str) -> None:
    connection = app.sign_up()
    async with connect(connection["mcp_url"], mode, extensions=[SHOWS_VIEWS]) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    linked = {name: ui_of(tool)["resourceUri"] for name, tool in tools.items() if "resourceUri" in ui_of(tool)}
    assert linked == VIEWS
    assert ui_of(tools[APP_ONLY])["visibility"] == ["app"]
    assert all("visibility" not in ui_of(tools[name]) for name in VIEWS if name != APP_ONLY)


@pytest.mark.parametrize("mode", MODES)
async def test_each_view_reads_as_one_self_contained_html_document_with_the_apps_type_and_csp(
    app: RunningApp, mode: str
) -> None:
    connection = app.sign_up()
    async with connect(connection["mcp_url"], mode) as client:
        for uri in sorted(set(VIEWS.values())):
            result = await client.read_resource(uri)
            [content] = result.contents
            assert str(content.uri) == uri and content.mime_type == MIME_TYPE
            assert content.meta == {"ui": {"csp": CSP, "prefersBorder": True}}
            assert all(domains == [] for domains in CSP.values())
            html: str = getattr(content, "text", "")
            assert html.lower().startswith("<!doctype html>") and html.rstrip().endswith("</html>")
            assert "view:styles" not in html and "view:scripts" not in html
            assert "var McpApps=" in html and "var Kit = " in html  # the SDK and the helpers are inlined
            # The markup and styles name nothing to load (what scripts do is watched in tests/browser).
            markup = re.sub(r"<script>.*?</script>", "", html, flags=re.S)
            assert LOADS.search(markup) is None, LOADS.search(markup)
            assert "default-src 'none'" in html  # its own policy too, for hosts that apply none


@pytest.mark.parametrize("mode", MODES)
async def test_reading_a_view_that_does_not_exist_is_an_invalid_params_error(app: RunningApp, mode: str) -> None:
    connection = app.sign_up()
    async with connect(connection["mcp_url"], mode) as client:
        with pytest.raises(MCPError) as raised:
            await client.read_resource("ui://mistral-mcp/nothing-here")
    assert raised.value.code == -32602 and "ui://mistral-mcp/nothing-here" in raised.value.error.message


async def test_the_bare_mcp_url_with_an_oauth_token_serves_the_views_too(app: RunningApp) -> None:
    with anyio.fail_after(30):
        browser = Browser(app)
        try:
            _, tokens = await anyio.to_thread.run_sync(obtain_tokens, app, browser)
        finally:
            browser.http.close()
    headers = {"authorization": f"Bearer {tokens['access_token']}"}
    async with connect(f"{app.url}/mcp", MODERN, headers=headers) as client:
        result = await client.read_resource("ui://mistral-mcp/batch-job")
    assert result.contents[0].mime_type == MIME_TYPE


async def test_the_app_only_tool_is_listed_for_hosts_that_show_views_and_not_for_other_modern_clients(
    app: RunningApp,
) -> None:
    connection = app.sign_up()
    async with connect(connection["mcp_url"], MODERN) as client:
        plain = {tool.name for tool in (await client.list_tools()).tools}
    async with connect(connection["mcp_url"], MODERN, extensions=[SHOWS_VIEWS]) as client:
        apps = {tool.name for tool in (await client.list_tools()).tools}
    assert APP_ONLY not in plain and APP_ONLY in apps
    assert apps - plain == {APP_ONLY}


async def test_a_handshake_era_client_gets_the_app_only_tool_marked_for_the_host_to_hide(app: RunningApp) -> None:
    # Its capabilities went with its initialize request, which a stateless server does not keep; a host
    # that renders views hides tools whose visibility leaves out "model", as the Apps spec requires.
    connection = app.sign_up()
    async with connect(connection["mcp_url"], LEGACY) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert ui_of(tools[APP_ONLY])["visibility"] == ["app"]


async def test_server_discover_advertises_the_apps_extension(app: RunningApp) -> None:
    connection = app.sign_up()
    async with connect(connection["mcp_url"], "auto") as client:  # "auto" starts with server/discover
        assert client.protocol_version == MODERN
        capabilities = client.server_capabilities
    assert (capabilities.extensions or {})[EXTENSION_ID] == {"mimeTypes": [MIME_TYPE]}
    assert capabilities.resources is not None


@pytest.mark.parametrize("mode", MODES)
async def test_a_fine_tuning_result_gives_the_view_its_loss_curve_and_actions_in_meta(
    app: RunningApp, fake_mistral: FakeMistral, mode: str
) -> None:
    connection = app.sign_up()
    job_id = await running_job(app, fake_mistral, connection["mcp_url"])
    async with connect(connection["mcp_url"], mode) as client:
        result = await client.call_tool("mistral_get_fine_tuning_job", {"job_id": job_id})
    view = (result.meta or {})[VIEW_DATA_KEY]
    assert view["loss"] == [
        {"step": 10, "train_loss": 1.2, "valid_loss": 1.4, "valid_mean_token_accuracy": None},
        {"step": 20, "train_loss": 0.8, "valid_loss": 1.1, "valid_mean_token_accuracy": None},
    ]
    assert view["actions"] == {"cancel": "mistral_cancel_fine_tuning_job"}
    assert view["refresh"] == {"tool": APP_ONLY, "seconds": 15} and view["terminal"] is False
    # ChatGPT hands structuredContent to the model: none of the view's data goes there.
    assert result.structured_content["id"] == job_id
    assert not {"loss", "actions", "refresh", VIEW_DATA_KEY} & set(result.structured_content)


async def test_a_finished_fine_tuning_job_offers_no_action_and_no_refresh(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    connection = app.sign_up()
    job_id = await running_job(app, fake_mistral, connection["mcp_url"])
    fake_mistral.complete_job(job_id)
    async with connect(connection["mcp_url"], MODERN, extensions=[SHOWS_VIEWS]) as client:
        result = await client.call_tool(APP_ONLY, {"job_id": job_id})
    view = (result.meta or {})[VIEW_DATA_KEY]
    assert view["actions"] == {} and view["refresh"] is None and view["terminal"] is True
    assert result.structured_content["fine_tuned_model"].startswith("ft:open-mistral-7b:")
    assert text_of(result).startswith(f"{job_id}: SUCCESS")


async def test_a_dry_run_is_shown_as_an_estimate(app: RunningApp, fake_mistral: FakeMistral) -> None:
    file_id = fake_mistral.add_file(b'{"messages": []}\n' * 64)["id"]
    connection = app.sign_up()
    async with connect(connection["mcp_url"]) as client:
        result = await client.call_tool(
            "mistral_create_fine_tuning_job",
            {
                "model": "open-mistral-7b",
                "training_files": [{"file_id": file_id}],
                "hyperparameters": {},
                "dry_run": True,
            },
        )
    assert (result.meta or {})[VIEW_DATA_KEY] == {"kind": "fine_tuning_estimate"}
    assert result.structured_content["cost_currency"] == "EUR"


async def test_a_batch_result_gives_the_view_its_actions_and_refresh_until_the_job_ends(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    connection = app.sign_up()
    async with connect(connection["mcp_url"]) as client:
        created = await client.call_tool(
            "mistral_create_batch_job",
            {"endpoint": "/v1/chat/completions", "model": "mistral-small-latest", "requests": [{"body": {}}]},
        )
        job_id = created.structured_content["id"]
        queued = await client.call_tool("mistral_get_batch_job", {"job_id": job_id})
        fake_mistral.set_batch_status(job_id, "SUCCESS")
        done = await client.call_tool("mistral_get_batch_job", {"job_id": job_id})
    view = (queued.meta or {})[VIEW_DATA_KEY]
    assert view["actions"] == {"cancel": "mistral_cancel_batch_job"} and view["files"] == "mistral_get_file_url"
    assert view["refresh"] == {"tool": "mistral_get_batch_job", "seconds": 10}
    finished = (done.meta or {})[VIEW_DATA_KEY]
    assert finished["actions"] == {} and finished["refresh"] is None and finished["terminal"] is True


@pytest.mark.parametrize("mode", MODES)
async def test_compare_models_asks_every_model_at_once_and_gives_the_model_the_answers_as_text(
    app: RunningApp, fake_mistral: FakeMistral, mode: str
) -> None:
    fake_mistral.chat_replies = {"mistral-small-latest": "Small says 4.", "mistral-large-latest": "Large says four."}
    # Both requests are held until both arrived: they can only have been sent together.
    fake_mistral.hold_next("/v1/chat/completions", times=2)
    connection = app.sign_up()
    fake_mistral.requests.clear()
    async with connect(connection["mcp_url"], mode) as client, anyio.create_task_group() as tasks:
        results: list[Any] = []

        async def compare() -> None:
            arguments = {"prompt": "2+2?", "models": ["mistral-small-latest", "mistral-large-latest"], "max_tokens": 50}
            results.append(await client.call_tool("mistral_compare_models", arguments))

        tasks.start_soon(compare)
        with anyio.fail_after(20):
            while fake_mistral.held < 2:
                await anyio.sleep(0.01)
        fake_mistral.release_held()
    [result] = results
    assert not result.is_error
    text = text_of(result)
    assert "## mistral-small-latest" in text and "Small says 4." in text
    assert "## mistral-large-latest" in text and "Large says four." in text
    bodies = [r.json for r in fake_mistral.requests_to("POST", "/v1/chat/completions")]
    assert sorted(b["model"] for b in bodies) == ["mistral-large-latest", "mistral-small-latest"]
    assert all(b["messages"] == [{"role": "user", "content": "2+2?"}] and b["max_tokens"] == 50 for b in bodies)
    answers = result.structured_content["answers"]
    assert [a["content"] for a in answers] == ["Small says 4.", "Large says four."]
    timings = (result.meta or {})[VIEW_DATA_KEY]["answers"]
    assert [t["model"] for t in timings] == ["mistral-small-latest", "mistral-large-latest"]
    assert all(isinstance(t["latency_ms"], int) and t["cost"]["currency"] == "USD" for t in timings)
    assert not {"latency_ms", "cost"} & {key for answer in answers for key in answer}


async def test_compare_models_shows_the_answers_it_got_when_one_model_fails(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    connection = app.sign_up()
    async with connect(connection["mcp_url"]) as client:
        result = await client.call_tool(
            "mistral_compare_models", {"prompt": "hi", "models": ["mistral-small-latest", "no-such-model"]}
        )
    assert not result.is_error
    ok, failed = result.structured_content["answers"]
    assert ok["content"] == fake_mistral.chat_reply and ok["error"] is None
    assert failed["model"] == "no-such-model" and failed["error"] and failed["content"] is None
    assert "## no-such-model\nFailed:" in text_of(result)
    assert (result.meta or {})[VIEW_DATA_KEY]["answers"][1]["cost"] is None


async def test_compare_models_is_an_error_when_no_model_answers(app: RunningApp) -> None:
    connection = app.sign_up()
    async with connect(connection["mcp_url"]) as client:
        result = await client.call_tool("mistral_compare_models", {"prompt": "hi", "models": ["nope-1", "nope-2"]})
    assert result.is_error
    assert "No model answered" in text_of(result) and "nope-1" in text_of(result) and "nope-2" in text_of(result)


@pytest.mark.parametrize(
    "models", [["mistral-small-latest"], ["a", "b", "c", "d", "e"], ["mistral-small-latest", "mistral-small-latest"]]
)
async def test_compare_models_takes_two_to_four_different_models(
    app: RunningApp, fake_mistral: FakeMistral, models: list[str]
) -> None:
    connection = app.sign_up()
    fake_mistral.requests.clear()
    async with connect(connection["mcp_url"]) as client:
        result = await client.call_tool("mistral_compare_models", {"prompt": "hi", "models": models})
    assert result.is_error and "models" in text_of(result)
    assert fake_mistral.requests_to("POST", "/v1/chat/completions") == []
