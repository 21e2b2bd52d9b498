"""The four MCP Apps views, rendered for real: the official AppBridge in a web host page, the view read from our
server with resources/read, a tool result from the fake Mistral, and the view's buttons calling our tools."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.client import advertise

from server.views import EXTENSION_ID, MIME_TYPE
from tests.browser.apps_host import HostedView, build_host_script, open_view
from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.conftest import RunningApp
from tests.fake_mistral import FakeMistral
from tests.support.external_tools import NODE_PROJECT, NPM_INSTALL, NodeTools, find_node_tools, unavailable
from tests.support.mcp_client import LEGACY, MODERN, connect

pytestmark = [pytest.mark.clients, pytest.mark.anyio]

SHOWS_VIEWS = advertise(EXTENSION_ID, {"mimeTypes": [MIME_TYPE]})
WAIT = 60  # seconds any one test may take in the browser


@pytest.fixture(scope="session")
def host_script(tmp_path_factory: pytest.TempPathFactory) -> str:
    node_tools: NodeTools = find_node_tools("esbuild")
    if not (NODE_PROJECT / "node_modules" / "@modelcontextprotocol" / "ext-apps").is_dir():
        unavailable(f"@modelcontextprotocol/ext-apps is not installed in {NODE_PROJECT}", NPM_INSTALL)
    return build_host_script(node_tools, tmp_path_factory.mktemp("apps-host"))


@pytest.fixture
async def client(app: RunningApp, request: pytest.FixtureRequest) -> AsyncIterator[Client]:
    connection = app.sign_up()
    mode = getattr(request, "param", MODERN)
    async with connect(connection["mcp_url"], mode, extensions=[SHOWS_VIEWS]) as connected:
        yield connected


def clean(view: HostedView) -> None:
    """Nothing requested from another site, no script error, no CSP violation."""
    assert view.foreign == []
    assert view.errors == []


async def snap(view: HostedView, name: str) -> None:
    # The view is in another process (a frame of another site): Chromium paints it only where the viewport
    # is, so the viewport grows to the whole page first rather than leaving it to a full-page capture.
    await view.settled()
    size = view.page.viewport_size
    height = await view.page.evaluate("document.documentElement.scrollHeight")
    if height > size["height"]:
        await view.page.set_viewport_size({"width": size["width"], "height": height})
        await view.settled()
    await screenshot(view.page, name)


async def texts(locator: Any) -> list[str]:
    return [text.strip() for text in await locator.all_text_contents()]


async def wait_for(predicate: Any) -> None:
    while not predicate():
        await anyio.sleep(0.02)


async def running_job(client: Client, fake: FakeMistral, **create: Any) -> str:
    file_id = fake.add_file(b'{"messages": []}\n' * 64)["id"]
    created = await client.call_tool(
        "mistral_create_fine_tuning_job",
        {
            "model": "open-mistral-7b",
            "training_files": [{"file_id": file_id}],
            "hyperparameters": {"training_steps": 100},
            "suffix": "support-bot",
            **create,
        },
    )
    job_id: str = created.structured_content["id"]
    return job_id


@pytest.mark.parametrize("client", [LEGACY, MODERN], indirect=True)
async def test_fine_tuning_view_shows_status_loss_chart_and_events_and_its_buttons_call_our_tools(
    browser: Any, client: Client, fake_mistral: FakeMistral, host_script: str, request: pytest.FixtureRequest
) -> None:
    job_id = await running_job(client, fake_mistral)
    for step, train, valid in ((20, 1.62, 1.71), (40, 1.18, 1.33), (60, 0.94, 1.12)):
        fake_mistral.add_checkpoint(job_id, step, train, valid)
    with anyio.fail_after(WAIT):
        view = await open_view(
            browser,
            client,
            host_script,
            tool="mistral_get_fine_tuning_job",
            arguments={"job_id": job_id},
            context_options=DESKTOP,
        )
        frame = view.frame
        await frame.locator(".pill").first.wait_for()
        assert await texts(frame.locator("header .pill")) == ["running"]
        assert await frame.locator("#job-id").text_content() == job_id
        assert await frame.locator("#cost").text_content() == "€13.11"  # the fake's estimate: 100 steps
        points = frame.locator("#loss circle.point")
        assert await points.count() == 6
        train = frame.locator("#loss [data-series=train_loss] circle.point")
        assert [await p.get_attribute("data-step") for p in await train.all()] == ["20", "40", "60"]
        assert [await p.get_attribute("data-value") for p in await train.all()] == ["1.62", "1.18", "0.94"]
        assert await frame.locator("#loss [data-series=valid_loss] circle.point").count() == 3
        assert "status-updated: running" in await texts(frame.locator("#events li span:first-child"))
        if request.node.callspec.id.endswith(MODERN):
            await snap(view, "view-fine-tuning-job-light")

        # Refresh reloads the job through the app-only tool, and the new checkpoint joins the curve.
        fake_mistral.add_checkpoint(job_id, 80, 0.81, 1.05)
        await frame.locator("#refresh").click()
        await frame.locator("#loss circle.point").nth(7).wait_for()
        assert ("mistral_refresh_fine_tuning_job", {"job_id": job_id}) in view.calls

        # Cancel asks for a second click, then calls the cancel tool.
        await frame.locator("#cancel").click()
        assert not any(name == "mistral_cancel_fine_tuning_job" for name, _ in view.calls)
        await frame.get_by_role("button", name="Confirm: cancel the job").click()
        await frame.get_by_text("Cancellation requested.").wait_for()
        assert ("mistral_cancel_fine_tuning_job", {"job_id": job_id}) in view.calls
        assert await texts(frame.locator("header .pill")) == ["cancellation requested"]
        assert fake_mistral.fine_tuning_jobs[job_id]["status"] == "CANCELLED"
    clean(view)


async def test_fine_tuning_view_reloads_itself_through_the_app_only_tool_until_the_job_ends(
    browser: Any, client: Client, fake_mistral: FakeMistral, host_script: str
) -> None:
    job_id = await running_job(client, fake_mistral)
    fake_mistral.add_checkpoint(job_id, 20, 1.62, 1.71)
    refresh = ("mistral_refresh_fine_tuning_job", {"job_id": job_id})
    with anyio.fail_after(WAIT):
        view = await open_view(
            browser,
            client,
            host_script,
            tool="mistral_get_fine_tuning_job",
            arguments={"job_id": job_id},
            fake_clock=True,
        )
        frame = view.frame
        await frame.locator("#loss circle.point").nth(1).wait_for()
        fake_mistral.add_checkpoint(job_id, 40, 1.18, 1.33)
        await view.page.clock.fast_forward(16_000)  # the view reloads a running job every 15 s
        await wait_for(lambda: view.calls.count(refresh) == 1)
        await frame.locator("#loss circle.point").nth(3).wait_for()

        fake_mistral.complete_job(job_id)
        await view.page.clock.fast_forward(16_000)
        await wait_for(lambda: view.calls.count(refresh) == 2)
        await frame.locator("#fine-tuned-model").wait_for()
        assert await texts(frame.locator("header .pill")) == ["success"]
        assert await frame.locator("#refresh, #cancel").count() == 0
        await view.page.clock.fast_forward(120_000)  # a finished job is not reloaded again
        await frame.locator("html").evaluate("() => new Promise(done => setTimeout(done, 0))")
    assert view.calls == [refresh, refresh]
    clean(view)


async def test_fine_tuning_view_follows_the_host_theme_and_fits_a_phone(
    browser: Any, client: Client, fake_mistral: FakeMistral, host_script: str
) -> None:
    job_id = await running_job(client, fake_mistral)
    for step, train, valid in ((20, 1.62, 1.71), (40, 1.18, 1.33), (60, 0.94, 1.12), (80, 0.81, 1.05)):
        fake_mistral.add_checkpoint(job_id, step, train, valid)
    with anyio.fail_after(WAIT):
        view = await open_view(
            browser,
            client,
            host_script,
            tool="mistral_get_fine_tuning_job",
            arguments={"job_id": job_id},
            theme="dark",
            context_options=PHONE,
        )
        frame = view.frame
        await frame.locator("#loss circle.point").nth(7).wait_for()
        html = frame.locator("html")
        assert await html.get_attribute("data-theme") == "dark"
        dark = await frame.locator("body").evaluate("body => getComputedStyle(body).backgroundColor")
        fits = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        assert await frame.locator("html").evaluate(f"() => {fits}")
        await snap(view, "view-fine-tuning-job-dark-phone")
        await view.set_theme("light")
        await frame.locator("html[data-theme=light]").wait_for()
        light = await frame.locator("body").evaluate("body => getComputedStyle(body).backgroundColor")
        assert dark != light and light == "rgb(255, 255, 255)"
    clean(view)


async def test_fine_tuning_view_starts_a_validated_job_created_without_auto_start(
    browser: Any, client: Client, fake_mistral: FakeMistral, host_script: str
) -> None:
    job_id = await running_job(client, fake_mistral, auto_start=False)
    with anyio.fail_after(WAIT):
        view = await open_view(
            browser, client, host_script, tool="mistral_get_fine_tuning_job", arguments={"job_id": job_id}
        )
        frame = view.frame
        assert await texts(frame.locator("header .pill")) == ["validated"]
        await frame.get_by_text("No checkpoints yet").wait_for()
        await frame.locator("#start").click()
        await frame.get_by_text("Started.").wait_for()
        assert ("mistral_start_fine_tuning_job", {"job_id": job_id}) in view.calls
        assert await texts(frame.locator("header .pill")) == ["started"]
    clean(view)


async def test_batch_view_shows_progress_and_timing_cancels_and_opens_the_result_files(
    browser: Any, client: Client, fake_mistral: FakeMistral, host_script: str
) -> None:
    requests = [{"custom_id": str(i), "body": {"messages": [{"role": "user", "content": "hi"}]}} for i in range(8)]
    arguments = {"endpoint": "/v1/chat/completions", "model": "mistral-small-latest", "requests": requests}
    running = (await client.call_tool("mistral_create_batch_job", arguments)).structured_content["id"]
    finished = (await client.call_tool("mistral_create_batch_job", arguments)).structured_content["id"]
    fake_mistral.set_batch_status(running, "RUNNING")
    with fake_mistral.lock:
        fake_mistral.batch_jobs[running].update(succeeded_requests=5, failed_requests=1, completed_requests=6)
    fake_mistral.set_batch_status(finished, "SUCCESS")
    output_file = fake_mistral.batch_jobs[finished]["output_file"]

    with anyio.fail_after(WAIT):
        view = await open_view(
            browser,
            client,
            host_script,
            tool="mistral_get_batch_job",
            arguments={"job_id": running},
            context_options=DESKTOP,
        )
        frame = view.frame
        await frame.locator("#counts").wait_for()
        assert await texts(frame.locator("header .pill")) == ["running"]
        counts = {
            await c.get_attribute("data-count"): await c.text_content()
            for c in await frame.locator("#counts strong").all()
        }
        assert counts == {"succeeded": "5", "failed": "1", "total": "8"}
        bar = frame.locator(".progress")
        assert await bar.get_attribute("aria-valuenow") == "6" and await bar.get_attribute("aria-valuemax") == "8"
        widths = await frame.locator(".progress span").evaluate_all("spans => spans.map(s => s.style.width)")
        assert widths == ["62.5%", "12.5%"]
        assert "—" not in (await frame.locator(".facts").text_content() or "").split("Started")[1].split("Finished")[0]
        await snap(view, "view-batch-job-light")
        await frame.locator("#cancel").click()
        await frame.get_by_role("button", name="Confirm: cancel the job").click()
        await frame.get_by_text("Cancellation requested.").wait_for()
        assert ("mistral_cancel_batch_job", {"job_id": running}) in view.calls

        done = await open_view(
            browser, client, host_script, tool="mistral_get_batch_job", arguments={"job_id": finished}
        )
        frame = done.frame
        await frame.locator("#files").wait_for()
        assert await frame.locator("#cancel").count() == 0 and await frame.locator("#refresh").count() == 0
        await frame.locator(f"[data-file='{output_file}']").click()
        await wait_for(lambda: done.links)
    assert ("mistral_get_file_url", {"file_id": output_file}) in done.calls
    # The signed link is the host's to open: the view itself loads nothing.
    assert output_file in done.links[0] and "sig=" in done.links[0]
    clean(view)
    clean(done)


@pytest.mark.parametrize("theme", ["light", "dark"])
async def test_comparison_view_shows_the_answers_side_by_side_with_latency_tokens_and_cost(
    browser: Any, client: Client, fake_mistral: FakeMistral, host_script: str, theme: str
) -> None:
    fake_mistral.chat_replies = {
        "mistral-small-latest": "**Paris** is the capital of France.",
        "mistral-large-latest": "The capital of France is Paris.\n\n- population: about 2.1 million\n- on the Seine",
        "codestral-latest": "`Paris`",
    }
    models = ["mistral-small-latest", "mistral-large-latest", "codestral-latest"]
    with anyio.fail_after(WAIT):
        view = await open_view(
            browser,
            client,
            host_script,
            tool="mistral_compare_models",
            arguments={"prompt": "What is the capital of France?", "models": models},
            theme=theme,
            context_options=DESKTOP,
        )
        frame = view.frame
        cards = frame.locator("article.answer")
        await cards.nth(2).wait_for()
        assert [await c.get_attribute("data-model") for c in await cards.all()] == models
        assert await frame.locator("[data-model=mistral-small-latest] .reply strong").text_content() == "Paris"
        assert await frame.locator("[data-model=mistral-large-latest] .reply li").count() == 2
        for card in await cards.all():
            stats = {
                await s.get_attribute("data-stat"): await s.text_content()
                for s in await card.locator("[data-stat]").all()
            }
            assert stats["latency"].endswith(" s") and " in · " in stats["tokens"] and stats["cost"].startswith("$")
        boxes = [await c.bounding_box() for c in await cards.all()]
        assert len({round(b["y"]) for b in boxes}) == 1 and boxes[0]["x"] < boxes[1]["x"] < boxes[2]["x"]
        assert "What is the capital of France?" in (await frame.locator("#prompt").text_content() or "")
        await snap(view, f"view-model-comparison-{theme}")
    clean(view)


async def test_comparison_view_stacks_the_answers_on_a_phone_and_shows_no_markup_from_an_answer(
    browser: Any, client: Client, fake_mistral: FakeMistral, host_script: str
) -> None:
    hostile = '<img src=x onerror="window.top.pwned=1"> <script>window.pwned=1</script> [x](javascript:alert(1)) ok'
    fake_mistral.chat_replies = {"mistral-small-latest": hostile, "ministral-8b-latest": "Fine."}
    with anyio.fail_after(WAIT):
        view = await open_view(
            browser,
            client,
            host_script,
            tool="mistral_compare_models",
            arguments={"prompt": "Say something", "models": ["mistral-small-latest", "ministral-8b-latest"]},
            context_options=PHONE,
        )
        frame = view.frame
        cards = frame.locator("article.answer")
        await cards.nth(1).wait_for()
        boxes = [await c.bounding_box() for c in await cards.all()]
        assert boxes[0]["x"] == boxes[1]["x"] and boxes[0]["y"] < boxes[1]["y"]
        reply = frame.locator("[data-model=mistral-small-latest] .reply")
        assert "<img src=x" in (await reply.text_content() or "")
        assert await reply.locator("img, script, a").count() == 0
        assert await frame.locator("html").evaluate("() => window.pwned === undefined")
    clean(view)


@pytest.mark.parametrize(("theme", "screen"), [("light", "desktop"), ("dark", "phone")])
async def test_ocr_view_shows_each_page_with_markdown_tables_images_and_annotations(
    browser: Any, client: Client, fake_mistral: FakeMistral, host_script: str, theme: str, screen: str
) -> None:
    annotation = {
        "type": "json_schema",
        "json_schema": {"name": "figure", "schema": {"type": "object", "properties": {"caption": {"type": "string"}}}},
    }
    arguments = {
        "document_url": "https://example.com/report.pdf",
        "document_name": "report.pdf",
        "table_format": "html",
        "include_image_base64": True,
        "extract_header": True,
        "extra": {"bbox_annotation_format": annotation, "document_annotation_format": annotation},
    }
    with anyio.fail_after(WAIT):
        view = await open_view(
            browser,
            client,
            host_script,
            tool="mistral_ocr",
            arguments=arguments,
            theme=theme,
            context_options=DESKTOP if screen == "desktop" else PHONE,
        )
        frame = view.frame
        page = frame.locator("#page")
        await page.wait_for()
        assert await frame.locator("h1").first.text_content() == "OCR of report.pdf"
        assert await page.get_attribute("data-index") == "0"
        assert await page.locator(".md h1").text_content() == "Page 1"
        assert await page.locator("[data-edge=header]").text_content() == "Header of page 1"
        assert await texts(page.locator("table th")) == ["Item", "Revenue"]
        image = page.locator("figure[data-image='img-0.jpeg'] img")
        assert (await image.get_attribute("src") or "").startswith("data:image/jpeg;base64,")
        assert "caption" in (await page.locator("figure figcaption").text_content() or "")
        assert "caption" in (await frame.locator("#document-annotation").text_content() or "")
        await snap(view, f"view-ocr-result-{theme}" + ("-phone" if screen == "phone" else ""))
        await frame.locator("button[data-page='1']").click()
        await frame.locator("#page[data-index='1']").wait_for()
        assert await frame.locator("#page .md h1").text_content() == "Page 2"
        assert await frame.locator("button[data-page='1']").get_attribute("aria-current") == "page"
        assert await frame.locator("#page figure").count() == 0
    clean(view)


async def test_ocr_view_shows_a_hostile_document_as_text(
    browser: Any, client: Client, fake_mistral: FakeMistral, host_script: str
) -> None:
    # The fake writes the document's name into the page's text, as OCR would write what the document says.
    name = '<img src=x onerror="window.pwned=1">[link](javascript:alert(1))'
    with anyio.fail_after(WAIT):
        view = await open_view(
            browser,
            client,
            host_script,
            tool="mistral_ocr",
            arguments={"document_url": "https://example.com/x.pdf", "document_name": name},
            theme="dark",
            context_options=PHONE,
        )
        frame = view.frame
        await frame.locator("#page").wait_for()
        text = await frame.locator("#page .md").text_content() or ""
        assert "<img src=x" in text
        assert await frame.locator("#page .md img, #page .md a, #page .md button").count() == 0
        assert await frame.locator("html").evaluate("() => window.pwned === undefined")
    clean(view)
