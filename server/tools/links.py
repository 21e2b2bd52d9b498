"""`mistral://` URIs for what Mistral keeps for a key, and `resource_link` blocks pointing at them.

A result links instead of inlining what a client can fetch on demand: `resources/read`
(server/resources) reads each of these URIs with the caller's own key.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

import mcp_types as types

SCHEME = "mistral://"
MODELS_URI = "mistral://models"
MODEL_TEMPLATE = "mistral://models/{model_id}"
FILE_TEMPLATE = "mistral://files/{file_id}"
FINE_TUNING_JOB_TEMPLATE = "mistral://fine-tuning/jobs/{job_id}"
BATCH_JOB_TEMPLATE = "mistral://batch/jobs/{job_id}"
AGENT_TEMPLATE = "mistral://agents/{agent_id}"
LIBRARY_TEMPLATE = "mistral://libraries/{library_id}"
CONVERSATION_TEMPLATE = "mistral://conversations/{conversation_id}"

JSON = "application/json"


def prefix_of(template: str) -> str:
    """The part of a one-variable template before its variable: `mistral://files/`."""
    return template.split("{", 1)[0]


def uri(template: str, value: str) -> str:
    """The template with its one variable filled by `value`, percent-encoded as one path segment."""
    return prefix_of(template) + urllib.parse.quote(value, safe=":@")


def link(
    template: str,
    value: str,
    *,
    name: str | None = None,
    description: str | None = None,
    mime_type: str | None = JSON,
    size: int | None = None,
) -> types.ResourceLink:
    return types.ResourceLink(
        uri=uri(template, value),
        name=name or value,
        description=description,
        mime_type=mime_type,
        size=size,
    )


def file_link(record: dict[str, Any], description: str | None = None) -> types.ResourceLink | None:
    """A link to a file record's content, or None when the record has no id."""
    file_id = record.get("id")
    if not isinstance(file_id, str) or not file_id:
        return None
    size = record.get("bytes")
    mimetype = record.get("mimetype")
    return link(
        FILE_TEMPLATE,
        file_id,
        name=str(record.get("filename") or file_id),
        description=description,
        mime_type=mimetype if isinstance(mimetype, str) and mimetype else None,
        size=size if isinstance(size, int) else None,
    )


def file_id_link(file_id: Any, description: str) -> types.ResourceLink | None:
    """A link to a file known only by its id (a batch job's output, say)."""
    if not isinstance(file_id, str) or not file_id:
        return None
    return link(FILE_TEMPLATE, file_id, description=description, mime_type=None)


def model_link(model_id: Any, description: str) -> types.ResourceLink | None:
    if not isinstance(model_id, str) or not model_id:
        return None
    return link(MODEL_TEMPLATE, model_id, description=description)
