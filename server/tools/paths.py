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
FILE_CONTENT = "/v1/files/{file_id}/content"  # downloads, library documents copied from a file, files replies name
AUDIO_TRANSCRIPTIONS = "/v1/audio/transcriptions"

# Conversations: started by mistral_start_conversation, listed by mistral_list_conversations, and a batch target.
CONVERSATIONS = "/v1/conversations"

# The endpoints a batch job can run (Mistral's ApiEndpoint).
BATCH_TARGETS = [
    CHAT_COMPLETIONS,
    EMBEDDINGS,
    FIM_COMPLETIONS,
    MODERATIONS,
    CHAT_MODERATIONS,
    OCR,
    CLASSIFICATIONS,
    CHAT_CLASSIFICATIONS,
    CONVERSATIONS,
    AUDIO_TRANSCRIPTIONS,
]

# One agent: read by mistral_get_agent, changed by mistral_update_agent, removed by mistral_delete_agent.
AGENT = "/v1/agents/{agent_id}"

# All agents: created by mistral_create_agent (POST), listed by mistral_list_agents (GET).
AGENTS = "/v1/agents"

# Agents a page at a time (a cursor): mistral_list_agents, and agent ids suggested for prompt arguments.
AGENTS_PAGES = "/v1/agents/pages"

# One conversation: continued, read (by the mistral://conversations resource too) and deleted.
CONVERSATION = "/v1/conversations/{conversation_id}"
