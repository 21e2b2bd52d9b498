"""`resources/list` for `mistral://`: the caller's recent files, fine-tuning jobs and batch jobs.

One Mistral page per MCP page, newest first, source after source; only the most recent
`MAX_PAGES` pages of each are listed (older ones stay readable through the templates).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mcp_types as types

from server.errors import InvalidParams
from server.tools import batch, fine_tuning, links
from server.tools.families import Caller, Family
from server.tools.files import FILES_PATH, describe_file

PAGE_SIZE = 50
MAX_PAGES = 4


def _when(stamp: Any) -> types.Annotations | None:
    if not isinstance(stamp, int):
        return None
    return types.Annotations(last_modified=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp)))


def _file(record: dict[str, Any]) -> types.Resource | None:
    link = links.file_link(record, describe_file(record))
    if link is None:
        return None
    return types.Resource(
        uri=link.uri,
        name=link.name,
        title=link.name,
        description=link.description,
        mime_type=link.mime_type,
        size=link.size,
        annotations=_when(record.get("created_at")),
    )


def _fine_tuning_job(job: dict[str, Any]) -> types.Resource | None:
    if not isinstance(job.get("id"), str):
        return None
    return types.Resource(
        uri=links.uri(links.FINE_TUNING_JOB_TEMPLATE, job["id"]),
        name=f"fine-tuning job {job['id']}",
        title=f"Fine-tuning {job.get('model')} ({job.get('status')})",
        description=fine_tuning.job_line(job),
        mime_type=links.JSON,
        annotations=_when(job.get("modified_at") or job.get("created_at")),
    )


def _batch_job(job: dict[str, Any]) -> types.Resource | None:
    if not isinstance(job.get("id"), str):
        return None
    return types.Resource(
        uri=links.uri(links.BATCH_JOB_TEMPLATE, job["id"]),
        name=f"batch job {job['id']}",
        title=f"Batch {job.get('endpoint')} ({job.get('status')})",
        description=batch.job_line(job),
        mime_type=links.JSON,
        annotations=_when(job.get("completed_at") or job.get("created_at")),
    )


@dataclass(frozen=True, slots=True)
class Source:
    name: str  # in cursors
    path: str
    family: Family
    entry: Callable[[dict[str, Any]], types.Resource | None]


SOURCES = (
    Source("files", FILES_PATH, Family.DOCUMENTS, _file),
    Source("fine-tuning", fine_tuning.JOBS_PATH, Family.JOBS, _fine_tuning_job),
    Source("batch", batch.JOBS_PATH, Family.JOBS, _batch_job),
)
_BY_NAME = {source.name: index for index, source in enumerate(SOURCES)}


def _position(cursor: str | None) -> tuple[int, int]:
    if cursor is None:
        return 0, 0
    name, _, page = cursor.partition(":")
    if name not in _BY_NAME or not page.isdigit() or int(page) >= MAX_PAGES:
        raise InvalidParams("Invalid cursor: list resources again from the start.")
    return _BY_NAME[name], int(page)


def _after(caller: Caller, index: int) -> str | None:
    """The cursor of the first page of the next source this caller may list."""
    for source in SOURCES[index + 1 :]:
        if caller.allows(source.family):
            return f"{source.name}:0"
    return None


async def recent(caller: Caller, cursor: str | None) -> tuple[list[types.Resource], str | None]:
    """One page of one source, and the cursor of the next page (None after the last).

    A source with nothing to list hands over to the next one at once, so a page is empty only
    when nothing at all is left.

    Raises:
        InvalidParams: a cursor this module did not make.
        UpstreamError: Mistral could not list them.
    """
    index, page = _position(cursor)
    while True:
        source = SOURCES[index]
        found: list[types.Resource] = []
        following = _after(caller, index)
        if caller.allows(source.family):
            found, more = await _page(caller, source, page)
            if more and page + 1 < MAX_PAGES:
                following = f"{source.name}:{page + 1}"
        if found or following is None:
            return found, following
        index, page = _position(following)


async def _page(caller: Caller, source: Source, page: int) -> tuple[list[types.Resource], bool]:
    params = {"page": page, "page_size": PAGE_SIZE}
    reply = (await caller.upstream.request(caller.api_key, "GET", source.path, params=params)).json()
    records = [r for r in (reply.get("data") if isinstance(reply, dict) else None) or [] if isinstance(r, dict)]
    total = reply.get("total") if isinstance(reply, dict) else None
    more = len(records) >= PAGE_SIZE and (not isinstance(total, int) or (page + 1) * PAGE_SIZE < total)
    return [resource for record in records if (resource := source.entry(record)) is not None], more
