"""The kinds of `mistral://` resource: a URI template, the Mistral GET behind it, and its tool family.

A template's one variable is the path slot of the same name (`mistral://files/{file_id}` reads
`/v1/files/{file_id}/content`), filled from the URI as one percent-encoded segment.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

import mcp_types as types

from server.tools import links
from server.tools.batch import JOB_PATH as BATCH_JOB_PATH
from server.tools.families import Family
from server.tools.file_content import DOWNLOAD_MAX_BYTES
from server.tools.fine_tuning import JOB_PATH as FINE_TUNING_JOB_PATH
from server.tools.libraries import LIBRARY_PATH
from server.tools.models import MODEL_PATH
from server.tools.paths import AGENT as AGENT_PATH
from server.tools.paths import CONVERSATION as CONVERSATION_PATH
from server.tools.paths import FILE_CONTENT as FILE_CONTENT_PATH

# No tool of ours reads this yet; the library tools will name it too.

# Ids are short: anything longer names nothing, and is not sent to Mistral.
_MAX_ID = 256


@dataclass(frozen=True, slots=True)
class Kind:
    template: str
    path: str  # the GET that reads one; its slot is the template's variable
    family: Family
    noun: str  # for messages: "no {noun} …"
    title: str
    description: str
    mime_type: str | None = links.JSON
    windowed: bool = False  # a file's content, read a window at a time (`?offset=N`)

    @property
    def variable(self) -> str:
        return self.template.split("{", 1)[1].rstrip("}")

    def to_mcp(self) -> types.ResourceTemplate:
        return types.ResourceTemplate(
            name=self.noun.replace(" ", "_").replace("-", "_"),
            uri_template=self.template,
            title=self.title,
            description=self.description,
            mime_type=self.mime_type,
        )


KINDS = (
    Kind(
        links.MODEL_TEMPLATE,
        MODEL_PATH,
        Family.MODELS,
        "model",
        "Mistral model",
        "One model's card: capabilities, context length, aliases, deprecation.",
    ),
    Kind(
        links.FILE_TEMPLATE,
        FILE_CONTENT_PATH,
        Family.DOCUMENTS,
        "file",
        "Mistral file",
        f"A file's content (training data, batch results, a document), {DOWNLOAD_MAX_BYTES:,} bytes at a time: "
        "add ?offset=N for the window starting at byte N (_meta.next_uri names the next one).",
        mime_type=None,
        windowed=True,
    ),
    Kind(
        links.FINE_TUNING_JOB_TEMPLATE,
        FINE_TUNING_JOB_PATH,
        Family.JOBS,
        "fine-tuning job",
        "Mistral fine-tuning job",
        "A fine-tuning job: status, events, checkpoints with metrics, the resulting model.",
    ),
    Kind(
        links.BATCH_JOB_TEMPLATE,
        BATCH_JOB_PATH,
        Family.JOBS,
        "batch job",
        "Mistral batch job",
        "A batch job: status, request counts, output and error files.",
    ),
    Kind(
        links.AGENT_TEMPLATE,
        AGENT_PATH,
        Family.AGENTS,
        "agent",
        "Mistral agent",
        "An agent: model, instructions, tools, versions.",
    ),
    Kind(
        links.CONVERSATION_TEMPLATE,
        CONVERSATION_PATH,
        Family.AGENTS,
        "conversation",
        "Mistral conversation",
        "A conversation's details: its model or agent, name and dates.",
    ),
    Kind(
        links.LIBRARY_TEMPLATE,
        LIBRARY_PATH,
        Family.DOCUMENTS,
        "library",
        "Mistral document library",
        "A document library: name, description, number and size of its documents.",
    ),
)


@dataclass(frozen=True, slots=True)
class Match:
    kind: Kind
    value: str  # the id, decoded
    query: dict[str, list[str]]


def match(uri: str) -> Match | None:
    """The kind and id a URI names, or None when it names none (or an id no resource can have)."""
    base, _, query = uri.partition("?")
    for kind in KINDS:
        prefix = links.prefix_of(kind.template)
        if base.startswith(prefix):
            value = urllib.parse.unquote(base[len(prefix) :])
            if not value or "/" in value or len(value) > _MAX_ID or any(ord(c) < 0x20 for c in value):
                return None
            return Match(kind, value, urllib.parse.parse_qs(query, keep_blank_values=True))
    return None
