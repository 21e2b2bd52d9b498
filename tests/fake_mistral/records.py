"""Builders for stored file records and their API views (UploadFileOut / RetrieveFileOut).

A stored record is the API object plus a private ``content`` key with the raw bytes.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import time
import uuid
from typing import Any

_PRIVATE_KEYS = frozenset({"content"})


def _guess_mimetype(filename: str, content_type: str | None) -> str:
    if filename.endswith(".jsonl"):
        return "application/jsonl"
    if content_type and content_type != "application/octet-stream":
        return content_type
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def _sample_type(content: bytes, purpose: str) -> str:
    """SampleType as the real API infers it: batch input, or instruct vs pretrain data."""
    if purpose == "batch":
        return "batch_request"
    first_line = content.split(b"\n", 1)[0]
    try:
        sample = json.loads(first_line)
    except ValueError:
        return "instruct"
    if isinstance(sample, dict) and "text" in sample and "messages" not in sample:
        return "pretrain"
    return "instruct"


def new_file_record(
    content: bytes,
    *,
    filename: str,
    purpose: str,
    content_type: str | None = None,
    expiry_hours: int | None = None,
    visibility: str = "workspace",
) -> dict[str, Any]:
    created_at = int(time.time())
    lines = [line for line in content.splitlines() if line.strip()]
    return {
        "id": str(uuid.uuid4()),
        "object": "file",
        "bytes": len(content),
        "created_at": created_at,
        "filename": filename,
        "purpose": purpose,
        "sample_type": _sample_type(content, purpose),
        "num_lines": len(lines),
        "mimetype": _guess_mimetype(filename, content_type),
        "source": "upload",
        "signature": hashlib.sha256(content).hexdigest()[:16],
        "expires_at": created_at + expiry_hours * 3600 if expiry_hours else None,
        "visibility": visibility,
        "content": content,
    }


def file_view(record: dict[str, Any], *, deleted: bool | None = None) -> dict[str, Any]:
    """The public part of a stored file; ``deleted`` is added for RetrieveFileOut."""
    view = {key: value for key, value in record.items() if key not in _PRIVATE_KEYS}
    if deleted is not None:
        view["deleted"] = deleted
    return view


def public_view(record: dict[str, Any]) -> dict[str, Any]:
    """A stored job without its private (underscore) keys."""
    return {key: value for key, value in record.items() if not key.startswith("_")}


def batch_input_requests(content: bytes) -> list[dict[str, Any]]:
    """The ``{"custom_id", "body"}`` lines of a batch input file (bad lines are skipped)."""
    requests = []
    for line in content.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict):
            requests.append({"custom_id": item.get("custom_id"), "body": item.get("body") or {}})
    return requests


def batch_output_lines(job: dict[str, Any], reply: str) -> list[dict[str, Any]]:
    """One successful result per batch request, as in a batch output file."""
    created = int(time.time())
    lines = []
    for index, request in enumerate(job.get("_requests") or []):
        body = {
            "id": uuid.uuid4().hex,
            "object": "chat.completion",
            "model": request["body"].get("model") or job.get("model"),
            "created": created,
            "usage": {
                "prompt_tokens": 1,
                "completion_tokens": len(reply.split()),
                "total_tokens": 1 + len(reply.split()),
            },
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply, "tool_calls": None},
                    "finish_reason": "stop",
                }
            ],
        }
        lines.append(
            {
                "id": f"batch-{uuid.uuid4().hex[:8]}",
                "custom_id": request.get("custom_id") or str(index),
                "response": {"status_code": 200, "body": body},
                "error": None,
            }
        )
    return lines
