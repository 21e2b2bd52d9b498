"""The view catalog, the data tools hand their views, and the pinned MCP Apps SDK bundle the views ship with."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from server.tools import batch, fine_tuning, prices
from server.views import MIME_TYPE, load_views, tool_meta
from server.views.catalog import HTML_DIR, SCRIPTS_MARK, STATIC_DIR, STYLES_MARK, VIEWS, assemble
from tests.support.external_tools import NODE_PROJECT, ROOT, find_node_tools, unavailable

VIEWS_BUILD = ROOT / "views"


def test_every_view_page_marks_where_the_shared_parts_go_and_sets_its_own_strict_policy() -> None:
    for view in VIEWS:
        page = (HTML_DIR / view.page).read_text()
        assert page.count(STYLES_MARK) == 1 and page.count(SCRIPTS_MARK) == 1, view.page
        assert "default-src 'none'" in page and "connect-src 'none'" in page, view.page


def test_a_page_without_its_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="view:scripts"):
        assemble(f"<html>{STYLES_MARK}</html>", styles="", scripts=())


def test_a_script_that_would_close_its_element_is_refused() -> None:
    with pytest.raises(ValueError, match="</script"):
        assemble(f"{STYLES_MARK}{SCRIPTS_MARK}", styles="", scripts=("x = '</SCRIPT>'",))


def test_the_catalog_reads_each_view_and_nothing_else() -> None:
    views = load_views()
    assert {r.uri for r in views.resources()} == {view.uri for view in VIEWS}
    assert all(r.mime_type == MIME_TYPE for r in views.resources())
    read = views.read(VIEWS[0].uri)
    assert read is not None and read.contents[0].mime_type == MIME_TYPE
    assert views.read("ui://mistral-mcp/other") is None and "ui://mistral-mcp/other" not in views


def test_a_tool_meta_names_the_view_and_marks_app_only_tools() -> None:
    assert tool_meta(None) is None
    assert tool_meta("ui://x/y") == {"ui": {"resourceUri": "ui://x/y"}}
    assert tool_meta("ui://x/y", app_only=True) == {"ui": {"resourceUri": "ui://x/y", "visibility": ["app"]}}


@pytest.mark.parametrize(
    ("status", "auto_start", "actions", "refreshes"),
    [
        ("QUEUED", True, {"cancel"}, True),
        ("RUNNING", True, {"cancel"}, True),
        ("VALIDATED", False, {"cancel", "start"}, True),
        ("VALIDATED", True, {"cancel"}, True),
        ("CANCELLATION_REQUESTED", True, set(), True),
        ("SUCCESS", True, set(), False),
        ("FAILED_VALIDATION", False, set(), False),
    ],
)
def test_the_fine_tuning_view_offers_what_the_job_status_allows(
    status: str, auto_start: bool, actions: set[str], refreshes: bool
) -> None:
    view = fine_tuning.job_view({"status": status, "auto_start": auto_start})
    assert set(view["actions"]) == actions
    assert (view["refresh"] is not None) is refreshes


def test_the_loss_curve_is_sorted_by_step_and_skips_checkpoints_without_metrics() -> None:
    checkpoints: list[Any] = [
        {"step_number": 20, "metrics": {"train_loss": 0.5, "valid_loss": None}},
        {"step_number": 10, "metrics": {"train_loss": 0.9, "valid_loss": 1.0, "valid_mean_token_accuracy": 0.7}},
        {"step_number": 30},
        {"step_number": "40", "metrics": {"train_loss": 0.1}},
        {"step_number": 50, "metrics": {"train_loss": True}},
        "not a checkpoint",
    ]
    loss = fine_tuning.job_view({"status": "RUNNING", "checkpoints": checkpoints})["loss"]
    assert [(p["step"], p["train_loss"], p["valid_loss"]) for p in loss] == [
        (10, 0.9, 1.0),
        (20, 0.5, None),
        (50, None, None),
    ]


@pytest.mark.parametrize(
    ("status", "cancellable", "refreshes"),
    [
        ("QUEUED", True, True),
        ("RUNNING", True, True),
        ("CANCELLATION_REQUESTED", False, True),
        ("SUCCESS", False, False),
    ],
)
def test_the_batch_view_offers_cancel_and_refresh_while_the_job_goes_on(
    status: str, cancellable: bool, refreshes: bool
) -> None:
    view = batch.job_view({"status": status})
    assert ("cancel" in view["actions"]) is cancellable
    assert (view["refresh"] is not None) is refreshes


@pytest.mark.parametrize(
    ("model", "family"),
    [
        ("mistral-small-latest", "mistral-small"),
        ("mistral-small-2506", "mistral-small"),
        ("codestral-2508", "codestral"),
        ("open-mistral-nemo", "open-mistral-nemo"),
        ("ft:open-mistral-7b:abc:20240101:x", "ft:open-mistral-7b:abc:20240101:x"),
    ],
)
def test_a_model_id_is_priced_by_its_family(model: str, family: str) -> None:
    assert prices.family(model) == family


def test_the_cost_of_a_reply_is_its_tokens_at_list_price() -> None:
    cost = prices.estimate("mistral-small-latest", {"prompt_tokens": 1_000_000, "completion_tokens": 2_000_000})
    assert cost == {"amount": 0.7, "currency": "USD", "prices_noted": prices.NOTED}


@pytest.mark.parametrize(
    ("model", "usage"),
    [
        ("ft:open-mistral-7b:abc:20240101:x", {"prompt_tokens": 1, "completion_tokens": 1}),
        ("mistral-small-latest", None),
        ("mistral-small-latest", {"completion_tokens": 3}),
    ],
)
def test_no_cost_is_guessed_without_a_price_or_token_counts(model: str, usage: dict[str, Any] | None) -> None:
    assert prices.estimate(model, usage) is None


def _pinned(lock: Path) -> str:
    version: str = json.loads(lock.read_text())["packages"]["node_modules/@modelcontextprotocol/ext-apps"]["version"]
    return version


def test_the_test_host_runs_the_apps_sdk_version_the_views_ship() -> None:
    assert _pinned(NODE_PROJECT / "package-lock.json") == _pinned(VIEWS_BUILD / "package-lock.json")


def test_the_bundle_names_the_license_of_every_package_in_it() -> None:
    licenses = (STATIC_DIR / "mcp-apps-sdk.LICENSES.txt").read_text()
    for package in ("@modelcontextprotocol/ext-apps 2.0.4", "@modelcontextprotocol/client", "zod"):
        assert package in licenses


@pytest.mark.clients
def test_the_committed_bundle_is_what_views_build_makes_from_the_pinned_packages() -> None:
    node = find_node_tools().node
    if not (VIEWS_BUILD / "node_modules" / "@modelcontextprotocol" / "ext-apps").is_dir():
        unavailable(f"the views' npm packages are not installed in {VIEWS_BUILD}", "npm ci --prefix views")
    checked = subprocess.run(
        [str(node), str(VIEWS_BUILD / "build.mjs"), "--check"], capture_output=True, text=True, timeout=120
    )
    assert checked.returncode == 0, checked.stderr
