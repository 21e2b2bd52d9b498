"""The views: their URIs, what `resources/read` answers for each, and the `_meta` that links a tool to one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mcp_types as types

EXTENSION_ID = "io.modelcontextprotocol/ui"
MIME_TYPE = "text/html;profile=mcp-app"
VIEW_DATA_KEY = "mistral-mcp/view"

FINE_TUNING_JOB = "ui://mistral-mcp/fine-tuning-job"
BATCH_JOB = "ui://mistral-mcp/batch-job"
MODEL_COMPARISON = "ui://mistral-mcp/model-comparison"
OCR_RESULT = "ui://mistral-mcp/ocr-result"

# Nothing beyond the document itself: empty lists are the Apps spec's "no external connections, no
# external resources", so a host applies its most restrictive policy. Images are data: URLs.
CSP: dict[str, list[str]] = {"connectDomains": [], "resourceDomains": [], "frameDomains": [], "baseUriDomains": []}

HTML_DIR = Path(__file__).parent / "html"
STATIC_DIR = Path(__file__).parent / "static"
# Where each page takes the shared parts; a page without both markers is a packaging mistake.
STYLES_MARK = "<!-- view:styles -->"
SCRIPTS_MARK = "<!-- view:scripts -->"


@dataclass(frozen=True, slots=True)
class View:
    uri: str
    name: str
    title: str
    description: str
    page: str  # file in html/

    def resource(self) -> types.Resource:
        return types.Resource(
            uri=self.uri,
            name=self.name,
            title=self.title,
            description=self.description,
            mime_type=MIME_TYPE,
            _meta=_resource_meta(),
        )


VIEWS = (
    View(
        FINE_TUNING_JOB,
        "fine-tuning-job",
        "Fine-tuning job",
        "Status, events, loss per step, cost and resulting model of a fine-tuning job; cancel or start it.",
        "fine-tuning-job.html",
    ),
    View(
        BATCH_JOB,
        "batch-job",
        "Batch job",
        "Progress, timing, output and error files of a batch job; cancel it.",
        "batch-job.html",
    ),
    View(
        MODEL_COMPARISON,
        "model-comparison",
        "Model comparison",
        "Answers of several Mistral models to one prompt, side by side with latency, tokens and cost.",
        "model-comparison.html",
    ),
    View(
        OCR_RESULT,
        "ocr-result",
        "OCR result",
        "A document read by Mistral OCR, page by page: markdown, tables, images and annotations.",
        "ocr-result.html",
    ),
)


def _resource_meta() -> dict[str, Any]:
    return {"ui": {"csp": {key: list(value) for key, value in CSP.items()}, "prefersBorder": True}}


def tool_meta(view: str | None, *, app_only: bool = False) -> dict[str, Any] | None:
    """A tool's `_meta`: the view its results open in and, for a tool only views call, its visibility."""
    if view is None and not app_only:
        return None
    ui: dict[str, Any] = {}
    if view is not None:
        ui["resourceUri"] = view
    if app_only:
        ui["visibility"] = ["app"]
    return {"ui": ui}


class ViewCatalog:
    """The assembled views, by URI."""

    def __init__(self, pages: Mapping[str, str]) -> None:
        unknown = set(pages) - {view.uri for view in VIEWS}
        if unknown:
            raise ValueError(f"not views: {sorted(unknown)}")
        self._views = {view.uri: view for view in VIEWS if view.uri in pages}
        self._pages = dict(pages)

    def __contains__(self, uri: object) -> bool:
        return uri in self._pages

    def resources(self) -> list[types.Resource]:
        return [view.resource() for view in self._views.values()]

    def read(self, uri: str) -> types.ReadResourceResult | None:
        """What `resources/read` answers for a view; None when `uri` names none."""
        page = self._pages.get(uri)
        if page is None:
            return None
        contents = types.TextResourceContents(uri=uri, mime_type=MIME_TYPE, text=page, _meta=_resource_meta())
        return types.ReadResourceResult(contents=[contents])


def assemble(page: str, *, styles: str, scripts: tuple[str, ...]) -> str:
    """`page` with the shared styles and scripts inlined where it marks them.

    Raises:
        ValueError: when the page lacks a marker, or a script would end the element it is put in.
    """
    for mark in (STYLES_MARK, SCRIPTS_MARK):
        if page.count(mark) != 1:
            raise ValueError(f"a view page needs {mark} exactly once")
    if any("</script" in script.lower() for script in scripts):
        raise ValueError("an inlined script must not contain </script")
    inlined = "\n".join(f"<script>\n{script}\n</script>" for script in scripts)
    return page.replace(STYLES_MARK, f"<style>\n{styles}\n</style>").replace(SCRIPTS_MARK, inlined)


def load_views(html_dir: Path = HTML_DIR, static_dir: Path = STATIC_DIR) -> ViewCatalog:
    """Read and assemble every view once (at start-up): the SDK, then the shared helpers, then the page's own code."""
    styles = (html_dir / "views.css").read_text(encoding="utf-8")
    scripts = (
        (static_dir / "mcp-apps-sdk.js").read_text(encoding="utf-8"),
        (html_dir / "kit.js").read_text(encoding="utf-8"),
    )
    pages = {
        view.uri: assemble((html_dir / view.page).read_text(encoding="utf-8"), styles=styles, scripts=scripts)
        for view in VIEWS
    }
    return ViewCatalog(pages)
