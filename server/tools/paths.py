"""Mistral paths named in more than one place: by a tool spec and as a target of batch jobs.

A path only one spec calls is written in that spec; these are the ones another tool also names.
"""

from __future__ import annotations

CHAT_COMPLETIONS = "/v1/chat/completions"
EMBEDDINGS = "/v1/embeddings"
FIM_COMPLETIONS = "/v1/fim/completions"
MODERATIONS = "/v1/moderations"
CHAT_MODERATIONS = "/v1/chat/moderations"
OCR = "/v1/ocr"
CLASSIFICATIONS = "/v1/classifications"
CHAT_CLASSIFICATIONS = "/v1/chat/classifications"
FILE_CONTENT = "/v1/files/{file_id}/content"  # also read for the files a model's reply names

# The endpoints a batch job can run (Mistral's ApiEndpoint); the last two have no tool of their own yet.
BATCH_TARGETS = [
    CHAT_COMPLETIONS,
    EMBEDDINGS,
    FIM_COMPLETIONS,
    MODERATIONS,
    CHAT_MODERATIONS,
    OCR,
    CLASSIFICATIONS,
    CHAT_CLASSIFICATIONS,
    "/v1/conversations",
    "/v1/audio/transcriptions",
]
