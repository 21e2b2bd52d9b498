"""Request-body schemas, hand-written from the public Mistral OpenAPI documents.

Each constant names the ``components.schemas`` entry it mirrors. ``forbid_extra``
follows the document: schemas with ``additionalProperties: false`` reject unknown
fields (422 ``extra_forbidden``); the others (JobIn, BatchJobIn, ...) ignore them.
Objects whose inner fields the fake does not check would be ``Loose`` (``validation.py``).
"""

from __future__ import annotations

from .validation import (
    Bool,
    DictOf,
    Enum,
    HttpUrl,
    Int,
    ListOf,
    Literal,
    Loose,
    Model,
    Nullable,
    Num,
    OneOf,
    Spec,
    Str,
    Tagged,
    Uuid,
)

# --- shared pieces -----------------------------------------------------------------

# TextChunk / ImageURLChunk (+ ImageURL) / DocumentURLChunk / FileChunk / ...
TEXT_CHUNK = Model("TextChunk", {"type": Literal("text"), "text": Str()}, frozenset({"text"}))
IMAGE_URL = Model("ImageURL", {"url": Str(), "detail": Nullable(Enum(("low", "auto", "high")))}, frozenset({"url"}))
IMAGE_URL_CHUNK = Model(
    "ImageURLChunk",
    {"type": Literal("image_url"), "image_url": OneOf(IMAGE_URL, Str())},
    frozenset({"image_url"}),
)
DOCUMENT_URL_CHUNK = Model(
    "DocumentURLChunk",
    {"type": Literal("document_url"), "document_url": Str(), "document_name": Nullable(Str())},
    frozenset({"document_url"}),
)
FILE_CHUNK = Model("FileChunk", {"type": Literal("file"), "file_id": Str()}, frozenset({"file_id"}))
REFERENCE_CHUNK = Model(
    "ReferenceChunk",
    {"type": Literal("reference"), "reference_ids": ListOf(OneOf(Int(), Str()))},
    frozenset({"reference_ids"}),
)
AUDIO_CHUNK = Model("AudioChunk", {"type": Literal("input_audio"), "input_audio": Str()}, frozenset({"input_audio"}))
TOOL_REFERENCE_CHUNK = Model(
    "ToolReferenceChunk",
    {
        "type": Literal("tool_reference"),
        "tool": Str(),  # BuiltInConnectors or any string
        "title": Str(),
        "url": Nullable(Str()),
        "favicon": Nullable(Str()),
        "description": Nullable(Str()),
    },
    frozenset({"tool", "title"}),
)
THINK_CHUNK = Model(
    "ThinkChunk",
    {
        "type": Literal("thinking"),
        "thinking": ListOf(OneOf(TEXT_CHUNK, TOOL_REFERENCE_CHUNK, REFERENCE_CHUNK)),
        "signature": Nullable(Str()),
        "closed": Bool(),
    },
    frozenset({"thinking"}),
)

# ContentChunk (discriminator: type)
CONTENT_CHUNK = Tagged(
    "type",
    {
        "image_url": IMAGE_URL_CHUNK,
        "document_url": DOCUMENT_URL_CHUNK,
        "text": TEXT_CHUNK,
        "reference": REFERENCE_CHUNK,
        "file": FILE_CHUNK,
        "thinking": THINK_CHUNK,
        "input_audio": AUDIO_CHUNK,
    },
)
# SystemMessageContentChunks (discriminator: type)
SYSTEM_CONTENT_CHUNK = Tagged("type", {"text": TEXT_CHUNK, "thinking": THINK_CHUNK})

CONTENT = Nullable(OneOf(Str(), ListOf(CONTENT_CHUNK)))

# FunctionCall / ToolCall
FUNCTION_CALL = Model(
    "FunctionCall", {"name": Str(), "arguments": OneOf(DictOf(), Str())}, frozenset({"name", "arguments"})
)
TOOL_CALL = Model(
    "ToolCall",
    {"id": Str(), "type": Enum(("function",)), "function": FUNCTION_CALL, "index": Int()},
    frozenset({"function"}),
)

# SystemMessage / UserMessage / AssistantMessage / ToolMessage (discriminator: role)
MESSAGE = Tagged(
    "role",
    {
        "system": Model(
            "SystemMessage",
            {"role": Literal("system"), "content": OneOf(Str(), ListOf(SYSTEM_CONTENT_CHUNK))},
            frozenset({"content"}),
        ),
        "user": Model("UserMessage", {"role": Literal("user"), "content": CONTENT}, frozenset({"content"})),
        "assistant": Model(
            "AssistantMessage",
            {
                "role": Literal("assistant"),
                "content": CONTENT,
                "tool_calls": Nullable(ListOf(TOOL_CALL)),
                "prefix": Bool(),
            },
        ),
        "tool": Model(
            "ToolMessage",
            {
                "role": Literal("tool"),
                "content": CONTENT,
                "tool_call_id": Nullable(Str()),
                "name": Nullable(Str()),
            },
            frozenset({"content"}),
        ),
    },
)
MESSAGES = ListOf(MESSAGE)

# Function / Tool and the built-in tools (WebSearchTool, ..., CustomConnector), told apart by `type`.
FUNCTION = Model(
    "Function",
    {"name": Str(), "description": Str(), "strict": Bool(), "parameters": DictOf()},
    frozenset({"name", "parameters"}),
)
TOOL_CONFIGURATION = Model(
    "ToolConfiguration",
    {
        "exclude": Nullable(ListOf(Str())),
        "include": Nullable(ListOf(Str())),
        "requires_confirmation": Nullable(ListOf(Str())),
    },
)


def _built_in(
    name: str, tag: str, fields: dict[str, Spec] | None = None, required: frozenset[str] = frozenset()
) -> Model:
    return Model(
        name,
        {"tool_configuration": Nullable(TOOL_CONFIGURATION), "type": Enum((tag,)), **(fields or {})},
        required,
    )


# APIKeyAuth / OAuth2TokenAuth (discriminator: type)
CONNECTOR_AUTH = Tagged(
    "type",
    {
        "api-key": Model("APIKeyAuth", {"type": Enum(("api-key",)), "value": Str()}, frozenset({"value"})),
        "oauth2-token": Model(
            "OAuth2TokenAuth", {"type": Enum(("oauth2-token",)), "value": Str()}, frozenset({"value"})
        ),
    },
)
TOOL = Tagged(
    "type",
    {
        "function": Model("Tool", {"type": Enum(("function",)), "function": FUNCTION}, frozenset({"function"})),
        "web_search": _built_in("WebSearchTool", "web_search"),
        "web_search_premium": _built_in("WebSearchPremiumTool", "web_search_premium"),
        "code_interpreter": _built_in("CodeInterpreterTool", "code_interpreter"),
        "image_generation": _built_in("ImageGenerationTool", "image_generation"),
        "document_library": _built_in(
            "DocumentLibraryTool",
            "document_library",
            {"library_ids": ListOf(Str(), min_items=1)},
            frozenset({"library_ids"}),
        ),
        "connector": _built_in(
            "CustomConnector",
            "connector",
            {"connector_id": Str(), "authorization": Nullable(CONNECTOR_AUTH)},
            frozenset({"connector_id"}),
        ),
    },
    default_tag="function",
)
# ToolChoice | ToolChoiceEnum
TOOL_CHOICE = OneOf(
    Model(
        "ToolChoice",
        {"type": Enum(("function",)), "function": Model("FunctionName", {"name": Str()}, frozenset({"name"}))},
        frozenset({"function"}),
    ),
    Enum(("auto", "none", "any", "required")),
)
# ResponseFormat / JsonSchema
RESPONSE_FORMAT = Model(
    "ResponseFormat",
    {
        "type": Enum(("text", "json_object", "json_schema")),
        "json_schema": Nullable(
            Model(
                "JsonSchema",
                {"name": Str(), "description": Nullable(Str()), "schema": DictOf(), "strict": Bool()},
                frozenset({"name", "schema"}),
            )
        ),
    },
)
# Prediction
PREDICTION = Model("Prediction", {"type": Literal("content"), "content": Str()})
STOP = Nullable(OneOf(Str(), ListOf(Str())))
METADATA = Nullable(DictOf())
_MODERATION_ACTION = Enum(("none", "block"))  # ModerationLLMAction
_V1_CATEGORIES = (
    "sexual",
    "hate_and_discrimination",
    "violence_and_threats",
    "dangerous_and_criminal_content",
    "selfharm",
    "health",
    "financial",
    "law",
    "pii",
)
_V2_CATEGORIES = (
    "sexual",
    "hate_and_discrimination",
    "violence_and_threats",
    "dangerous",
    "criminal",
    "selfharm",
    "health",
    "financial",
    "law",
    "pii",
    "jailbreaking",
)


def _moderation_config(name: str, categories: tuple[str, ...]) -> Model:
    # ModerationLLMV1Config / ModerationLLMV2Config: no additionalProperties: false in the document.
    thresholds = Model(f"{name}CategoryThresholds", {c: Nullable(Num()) for c in categories}, forbid_extra=False)
    return Model(
        f"{name}Config",
        {
            "model_name": Str(),
            "custom_category_thresholds": Nullable(thresholds),
            "ignore_other_categories": Bool(),
            "action": _MODERATION_ACTION,
        },
        forbid_extra=False,
    )


GUARDRAIL_CONFIG = Model(
    "GuardrailConfig",
    {
        "block_on_error": Bool(),
        "moderation_llm_v1": Nullable(_moderation_config("ModerationLLMV1", _V1_CATEGORIES)),
        "moderation_llm_v2": Nullable(_moderation_config("ModerationLLMV2", _V2_CATEGORIES)),
    },
    forbid_extra=False,
)
GUARDRAILS = Nullable(ListOf(GUARDRAIL_CONFIG))
REASONING_EFFORT = Nullable(Enum(("none", "minimal", "low", "medium", "high", "xhigh")))

# Sampling fields shared by ChatCompletionRequest / AgentsCompletionRequest / FIMCompletionRequest.
_SAMPLING = {
    "max_tokens": Nullable(Int(ge=0)),
    "stream": Bool(),
    "stop": STOP,
    "random_seed": Nullable(Int(ge=0)),
    "metadata": METADATA,
}
_CHAT_LIKE = {
    **_SAMPLING,
    "messages": MESSAGES,
    "response_format": RESPONSE_FORMAT,
    "tools": Nullable(ListOf(TOOL)),
    "tool_choice": TOOL_CHOICE,
    "presence_penalty": Nullable(Num(ge=-2, le=2)),
    "frequency_penalty": Nullable(Num(ge=-2, le=2)),
    "n": Nullable(Int(ge=1)),
    "prediction": PREDICTION,
    "parallel_tool_calls": Bool(),
    "reasoning_effort": REASONING_EFFORT,
    "prompt_mode": Nullable(Enum(("reasoning",))),
    "guardrails": GUARDRAILS,
    "prompt_cache_key": Nullable(Str()),
    "service_tier": Nullable(Enum(("auto", "standard_only"))),
}

# --- endpoint bodies -----------------------------------------------------------------

# ChatCompletionRequest (POST /v1/chat/completions)
CHAT_COMPLETION_REQUEST = Model(
    "ChatCompletionRequest",
    {
        "model": Str(),
        "temperature": Nullable(Num(ge=0, le=1.5)),
        "top_p": Nullable(Num(gt=0, le=1)),
        **_CHAT_LIKE,
        "safe_prompt": Bool(),
    },
    frozenset({"messages", "model"}),
)

# AgentsCompletionRequest (POST /v1/agents/completions): no model/temperature/top_p/safe_prompt.
AGENTS_COMPLETION_REQUEST = Model(
    "AgentsCompletionRequest",
    {**_CHAT_LIKE, "agent_id": Str()},
    frozenset({"messages", "agent_id"}),
)

# ToolConfiguration and the tools of CreateAgentRequest / UpdateAgentRequest (discriminator: type).
TOOL_CONFIGURATION = Nullable(
    Model(
        "ToolConfiguration",
        {name: Nullable(ListOf(Str())) for name in ("exclude", "include", "requires_confirmation")},
    )
)


def _built_in_tool(name: str, tag: str) -> Model:
    return Model(name, {"tool_configuration": TOOL_CONFIGURATION, "type": Literal(tag)})


AGENT_TOOL = Tagged(
    "type",
    {
        "function": Model("FunctionTool", {"type": Literal("function"), "function": FUNCTION}, frozenset({"function"})),
        "web_search": _built_in_tool("WebSearchTool", "web_search"),
        "web_search_premium": _built_in_tool("WebSearchPremiumTool", "web_search_premium"),
        "code_interpreter": _built_in_tool("CodeInterpreterTool", "code_interpreter"),
        "image_generation": _built_in_tool("ImageGenerationTool", "image_generation"),
        "document_library": Model(
            "DocumentLibraryTool",
            {
                "tool_configuration": TOOL_CONFIGURATION,
                "type": Literal("document_library"),
                "library_ids": ListOf(Str(), min_items=1),
            },
            frozenset({"library_ids"}),
        ),
        "connector": Model(
            "CustomConnector",
            {
                "type": Literal("connector"),
                "connector_id": Str(),
                "authorization": Nullable(Loose("Authorization")),
                "tool_configuration": TOOL_CONFIGURATION,
            },
            frozenset({"connector_id"}),
        ),
    },
    default_tag="function",
)
# CompletionArgs: an agent's sampling defaults; unlike a chat request, temperature stops at 1.
COMPLETION_ARGS = Model(
    "CompletionArgs",
    {
        "stop": STOP,
        "presence_penalty": Nullable(Num(ge=-2, le=2)),
        "frequency_penalty": Nullable(Num(ge=-2, le=2)),
        "temperature": Nullable(Num(ge=0, le=1)),
        "top_p": Nullable(Num(ge=0, le=1)),
        "max_tokens": Nullable(Int(ge=0)),
        "random_seed": Nullable(Int(ge=0)),
        "prediction": Nullable(PREDICTION),
        "response_format": Nullable(RESPONSE_FORMAT),
        "tool_choice": Enum(("auto", "none", "any", "required")),
        "reasoning_effort": REASONING_EFFORT,
    },
)
_AGENT_FIELDS = {
    "instructions": Nullable(Str()),
    "tools": ListOf(AGENT_TOOL),
    "completion_args": COMPLETION_ARGS,
    "guardrails": GUARDRAILS,
    "model": Str(),
    "name": Str(),
    "description": Nullable(Str()),
    "handoffs": Nullable(ListOf(Str(), min_items=1)),
    "metadata": METADATA,
    "version_message": Nullable(Str(max_length=500)),
}
# CreateAgentRequest (POST /v1/agents)
CREATE_AGENT_REQUEST = Model("CreateAgentRequest", _AGENT_FIELDS, frozenset({"model", "name"}))
# UpdateAgentRequest (PATCH /v1/agents/{agent_id}): every field optional, and deployment_chat.
UPDATE_AGENT_REQUEST = Model(
    "UpdateAgentRequest",
    {
        **_AGENT_FIELDS,
        "model": Nullable(Str()),
        "name": Nullable(Str()),
        "deployment_chat": Nullable(Bool()),
    },
)
# The alias query parameter of PUT and DELETE /v1/agents/{agent_id}/aliases.
AGENT_ALIAS = Str(min_length=1, max_length=64, pattern="^[a-z]([a-z0-9_-]*[a-z0-9])?$")

# FIMCompletionRequest (POST /v1/fim/completions)
FIM_COMPLETION_REQUEST = Model(
    "FIMCompletionRequest",
    {
        "model": Str(),
        "temperature": Nullable(Num(ge=0, le=1.5)),
        "top_p": Nullable(Num(gt=0, le=1)),
        **_SAMPLING,
        "prompt": Str(),
        "suffix": Nullable(Str()),
        "min_tokens": Nullable(Int(ge=0)),
        "prompt_cache_key": Nullable(Str()),
    },
    frozenset({"prompt", "model"}),
)

# EmbeddingRequest (POST /v1/embeddings)
EMBEDDING_REQUEST = Model(
    "EmbeddingRequest",
    {
        "model": Str(),
        "metadata": METADATA,
        "input": OneOf(Str(), ListOf(Str())),
        "output_dimension": Nullable(Int(gt=0)),
        "output_dtype": Enum(("float", "int8", "uint8", "binary", "ubinary")),
        "encoding_format": Enum(("float", "base64")),
    },
    frozenset({"input", "model"}),
)

# ClassificationRequest (POST /v1/moderations and POST /v1/classifications)
CLASSIFICATION_REQUEST = Model(
    "ClassificationRequest",
    {"model": Str(), "metadata": METADATA, "input": OneOf(Str(), ListOf(Str()))},
    frozenset({"input", "model"}),
)

# ChatModerationRequest (POST /v1/chat/moderations): one conversation or a list of them.
CHAT_MODERATION_REQUEST = Model(
    "ChatModerationRequest",
    {"input": OneOf(MESSAGES, ListOf(MESSAGES)), "model": Str()},
    frozenset({"input", "model"}),
)

# InstructRequest / ChatClassificationRequest (POST /v1/chat/classifications)
INSTRUCT_REQUEST = Model("InstructRequest", {"messages": MESSAGES}, frozenset({"messages"}))
CHAT_CLASSIFICATION_REQUEST = Model(
    "ChatClassificationRequest",
    {"model": Str(), "input": OneOf(INSTRUCT_REQUEST, ListOf(INSTRUCT_REQUEST))},
    frozenset({"input", "model"}),
)

# OCRRequest (POST /v1/ocr); ``document`` is a plain anyOf in the document.
OCR_REQUEST = Model(
    "OCRRequest",
    {
        "model": Nullable(Str()),
        "id": Str(),
        "document": OneOf(FILE_CHUNK, DOCUMENT_URL_CHUNK, IMAGE_URL_CHUNK),
        "pages": Nullable(OneOf(Str(), ListOf(Int()))),
        "include_image_base64": Nullable(Bool()),
        "image_limit": Nullable(Int()),
        "image_min_size": Nullable(Int()),
        "bbox_annotation_format": Nullable(RESPONSE_FORMAT),
        "document_annotation_format": Nullable(RESPONSE_FORMAT),
        "document_annotation_prompt": Nullable(Str()),
        "table_format": Nullable(Enum(("markdown", "html"))),
        "extract_header": Bool(),
        "extract_footer": Bool(),
        "include_blocks": Bool(),
        "confidence_scores_granularity": Nullable(Enum(("word", "page", "block"))),
    },
    frozenset({"document", "model"}),
)

# JobIn and friends (legacy document, POST /v1/fine_tuning/jobs). No additionalProperties: false.
TRAINING_FILE = Model("TrainingFile", {"file_id": Str(), "weight": Num(gt=0)}, frozenset({"file_id"}), False)
_TRAINING_PARAMETERS = {
    "training_steps": Nullable(Int(ge=1)),
    "learning_rate": Num(ge=1e-8, le=1),
    "weight_decay": Nullable(Num(ge=0, le=1)),
    "warmup_fraction": Nullable(Num(ge=0, le=1)),
    "epochs": Nullable(Num(gt=0)),
    "seq_len": Nullable(Int(ge=100)),
}
HYPERPARAMETERS = OneOf(
    Model(
        "CompletionTrainingParametersIn",
        {**_TRAINING_PARAMETERS, "fim_ratio": Nullable(Num(ge=0, le=1))},
        forbid_extra=False,
    ),
    Model("ClassifierTrainingParametersIn", _TRAINING_PARAMETERS, forbid_extra=False),
)
WANDB_INTEGRATION = Model(
    "WandbIntegration",
    {
        "type": Literal("wandb"),
        "project": Str(),
        "name": Nullable(Str()),
        "api_key": Str(),
        "run_name": Nullable(Str()),
    },
    frozenset({"project", "api_key"}),
    False,
)
GITHUB_REPOSITORY = Model(
    "GithubRepositoryIn",
    {
        "type": Literal("github"),
        "name": Str(),
        "owner": Str(),
        "ref": Nullable(Str()),
        "weight": Num(gt=0),
        "token": Str(),
    },
    frozenset({"name", "owner", "token"}),
    False,
)
CLASSIFIER_TARGET = Model(
    "ClassifierTargetIn",
    {
        "name": Str(),
        "labels": ListOf(Str()),
        "weight": Num(),
        "loss_function": Nullable(Enum(("single_class", "multi_class"))),
    },
    frozenset({"name", "labels"}),
    False,
)
JOB_IN = Model(
    "JobIn",
    {
        "model": Str(),
        "training_files": ListOf(TRAINING_FILE),
        "validation_files": Nullable(ListOf(Str())),
        "suffix": Nullable(Str(max_length=18)),
        "integrations": Nullable(ListOf(WANDB_INTEGRATION)),
        "auto_start": Bool(),
        "invalid_sample_skip_percentage": Num(ge=0, le=0.5),
        "job_type": Nullable(Enum(("completion", "classifier"))),
        "hyperparameters": HYPERPARAMETERS,
        "repositories": Nullable(ListOf(GITHUB_REPOSITORY)),
        "classifier_targets": Nullable(ListOf(CLASSIFIER_TARGET)),
    },
    frozenset({"model", "hyperparameters"}),
    forbid_extra=False,
)

# ApiEndpoint / BatchRequest / BatchJobIn (POST /v1/batch/jobs). No additionalProperties: false.
API_ENDPOINTS = (
    "/v1/chat/completions",
    "/v1/embeddings",
    "/v1/fim/completions",
    "/v1/moderations",
    "/v1/chat/moderations",
    "/v1/ocr",
    "/v1/classifications",
    "/v1/chat/classifications",
    "/v1/conversations",
    "/v1/audio/transcriptions",
)
BATCH_REQUEST = Model(
    "BatchRequest", {"custom_id": Nullable(Str()), "body": DictOf()}, frozenset({"body"}), forbid_extra=False
)
BATCH_JOB_IN = Model(
    "BatchJobIn",
    {
        "input_files": Nullable(ListOf(Str())),
        "requests": Nullable(ListOf(BATCH_REQUEST, max_items=10000)),
        "endpoint": Enum(API_ENDPOINTS),
        "model": Nullable(Str()),
        "agent_id": Nullable(Str()),
        "metadata": Nullable(DictOf(Str())),
        "timeout_hours": Int(),
    },
    frozenset({"endpoint"}),
    forbid_extra=False,
)

# Document libraries (current document). None has additionalProperties: false.
# CreateLibraryRequest (POST /v1/libraries)
CREATE_LIBRARY_REQUEST = Model(
    "CreateLibraryRequest",
    {
        "name": Str(),
        "description": Nullable(Str()),
        "chunk_size": Nullable(Int(ge=256, le=32768)),
        "owner_type": Nullable(Enum(("User", "Workspace"))),
    },
    frozenset({"name"}),
    forbid_extra=False,
)
# UpdateLibraryRequest (PATCH /v1/libraries/{library_id})
UPDATE_LIBRARY_REQUEST = Model(
    "UpdateLibraryRequest", {"name": Str(), "description": Nullable(Str())}, forbid_extra=False
)
ENTITY_TYPES = ("User", "Workspace", "Org")
# SharingRequest (PUT /v1/libraries/{library_id}/share)
SHARING_REQUEST = Model(
    "SharingRequest",
    {
        "org_id": Nullable(Uuid()),
        "level": Enum(("Viewer", "Editor")),
        "share_with_uuid": Uuid(),
        "share_with_type": Enum(ENTITY_TYPES),
    },
    frozenset({"share_with_uuid", "share_with_type", "level"}),
    forbid_extra=False,
)
# SharingDelete (DELETE /v1/libraries/{library_id}/share). The document also lists `level` as required
# but defines no such field; the official SDKs never send it, so it is not required here.
SHARING_DELETE = Model(
    "SharingDelete",
    {"org_id": Nullable(Uuid()), "share_with_uuid": Uuid(), "share_with_type": Enum(ENTITY_TYPES)},
    frozenset({"share_with_uuid", "share_with_type"}),
    forbid_extra=False,
)
# UpdateModelRequest (PATCH /v1/fine_tuning/models/{model_id})
UPDATE_MODEL_REQUEST = Model(
    "UpdateModelRequest", {"name": Nullable(Str()), "description": Nullable(Str())}, forbid_extra=False
)

# Multipart body of POST /v1/files (MultiPartBodyParams) and its enums.
FILE_PURPOSES = ("fine-tune", "batch", "ocr")
FILE_VISIBILITIES = ("workspace", "user")
SAMPLE_TYPES = ("pretrain", "instruct", "batch_request", "batch_result", "batch_error")
FILE_SOURCES = ("upload", "repository", "mistral")
JOB_STATUSES = (
    "QUEUED",
    "STARTED",
    "VALIDATING",
    "VALIDATED",
    "RUNNING",
    "FAILED_VALIDATION",
    "FAILED",
    "SUCCESS",
    "CANCELLED",
    "CANCELLATION_REQUESTED",
)
BATCH_STATUSES = (
    "QUEUED",
    "RUNNING",
    "SUCCESS",
    "FAILED",
    "TIMEOUT_EXCEEDED",
    "CANCELLATION_REQUESTED",
    "CANCELLED",
)

# Multipart body of POST /v1/audio/transcriptions (AudioTranscriptionRequest, and ...Stream with
# `stream` true). No additionalProperties: false. `file` (an UploadFile) is checked by the route.
TRANSCRIPTION_LIST_FIELDS = ("context_bias", "timestamp_granularities")
AUDIO_TRANSCRIPTION_REQUEST = Model(
    "AudioTranscriptionRequest",
    {
        "model": Str(),
        "file_url": Nullable(HttpUrl()),
        "file_id": Nullable(Str()),
        "language": Nullable(Str(pattern=r"^\w{2}$")),
        "temperature": Nullable(Num()),
        "stream": Bool(),
        "diarize": Bool(),
        "context_bias": ListOf(Str(pattern=r"^[^,\s]+$")),
        "timestamp_granularities": ListOf(Enum(("segment", "word"))),
    },
    frozenset({"model"}),
    forbid_extra=False,
)
# SpeechRequest (POST /v1/audio/speech): additionalProperties: true.
SPEECH_FORMATS = ("pcm", "wav", "mp3", "flac", "opus")
SPEECH_REQUEST = Model(
    "SpeechRequest",
    {
        "model": Nullable(Str()),
        "metadata": Nullable(DictOf()),
        "stream": Bool(),
        "prompt_cache_key": Nullable(Str()),
        "voice_id": Nullable(Str()),
        "ref_audio": Nullable(Str()),
        "input": Str(),
        "response_format": Enum(SPEECH_FORMATS),
    },
    frozenset({"input"}),
    forbid_extra=False,
)
VOICE_TYPES = ("all", "custom", "preset")

# --- conversations ------------------------------------------------------------------

_ENTRY_HEAD = {"object": Literal("entry"), "created_at": Str(), "completed_at": Nullable(Str()), "id": Str()}
_BY = {"agent_id": Nullable(Str()), "model": Nullable(Str())}
# MessageInputContentChunks / MessageOutputContentChunks
_ENTRY_CHUNK = Tagged(
    "type",
    {
        "text": TEXT_CHUNK,
        "image_url": IMAGE_URL_CHUNK,
        "tool_file": Model(
            "ToolFileChunk",
            {
                "type": Literal("tool_file"),
                "tool": Str(),
                "file_id": Str(),
                "file_name": Nullable(Str()),
                "file_type": Nullable(Str()),
            },
            frozenset({"tool", "file_id"}),
        ),
        "document_url": DOCUMENT_URL_CHUNK,
        "thinking": THINK_CHUNK,
        "tool_reference": TOOL_REFERENCE_CHUNK,
    },
)
_ENTRY_CONTENT = OneOf(Str(), ListOf(_ENTRY_CHUNK))
# InputEntries: MessageInputEntry | MessageOutputEntry | FunctionResultEntry | FunctionCallEntry |
# ToolExecutionEntry | AgentHandoffEntry, told apart by `type` (whose default is message.input).
CONVERSATION_ENTRY = Tagged(
    "type",
    {
        "message.input": Model(
            "MessageInputEntry",
            {
                **_ENTRY_HEAD,
                "type": Literal("message.input"),
                "role": Enum(("assistant", "user")),
                "content": _ENTRY_CONTENT,
                "prefix": Bool(),
            },
            frozenset({"role", "content"}),
        ),
        "message.output": Model(
            "MessageOutputEntry",
            {
                **_ENTRY_HEAD,
                **_BY,
                "type": Literal("message.output"),
                "role": Literal("assistant"),
                "content": _ENTRY_CONTENT,
            },
            frozenset({"content"}),
        ),
        "function.result": Model(
            "FunctionResultEntry",
            {**_ENTRY_HEAD, "type": Literal("function.result"), "tool_call_id": Str(), "result": Str()},
            frozenset({"tool_call_id", "result"}),
        ),
        "function.call": Model(
            "FunctionCallEntry",
            {
                **_ENTRY_HEAD,
                **_BY,
                "type": Literal("function.call"),
                "tool_call_id": Str(),
                "name": Str(),
                "arguments": OneOf(DictOf(), Str()),
                "confirmation_status": Nullable(Enum(("pending", "allowed", "denied"))),
            },
            frozenset({"tool_call_id", "name", "arguments"}),
        ),
        "tool.execution": Model(
            "ToolExecutionEntry",
            {
                **_ENTRY_HEAD,
                **_BY,
                "type": Literal("tool.execution"),
                "name": Str(),
                "arguments": Str(),
                "info": DictOf(),
            },
            frozenset({"name", "arguments"}),
        ),
        "agent.handoff": Model(
            "AgentHandoffEntry",
            {
                **_ENTRY_HEAD,
                "type": Literal("agent.handoff"),
                **{
                    name: Str()
                    for name in ("previous_agent_id", "previous_agent_name", "next_agent_id", "next_agent_name")
                },
            },
            frozenset({"previous_agent_id", "previous_agent_name", "next_agent_id", "next_agent_name"}),
        ),
    },
    default_tag="message.input",
)
CONVERSATION_INPUTS = OneOf(Str(), ListOf(CONVERSATION_ENTRY))
_HANDOFF_EXECUTION = Enum(("client", "server"))
_AGENT_VERSION = Nullable(OneOf(Str(), Int()))
# ConversationRequest (POST /v1/conversations[#stream]): ConversationRequestBase does not forbid extras.
CONVERSATION_REQUEST = Model(
    "ConversationRequest",
    {
        "inputs": CONVERSATION_INPUTS,
        "stream": Nullable(Bool()),
        "store": Nullable(Bool()),
        "handoff_execution": Nullable(_HANDOFF_EXECUTION),
        "instructions": Nullable(Str()),
        "tools": Nullable(ListOf(AGENT_TOOL)),
        "completion_args": Nullable(COMPLETION_ARGS),
        "guardrails": GUARDRAILS,
        "name": Nullable(Str()),
        "description": Nullable(Str()),
        "metadata": METADATA,
        "agent_id": Nullable(Str()),
        "agent_version": _AGENT_VERSION,
        "model": Nullable(Str()),
    },
    frozenset({"inputs"}),
    forbid_extra=False,
)
# ToolCallConfirmation
_TOOL_CONFIRMATION = Model(
    "ToolCallConfirmation",
    {"tool_call_id": Str(), "confirmation": Enum(("allow", "deny"))},
    frozenset({"tool_call_id", "confirmation"}),
)
# AppendConversationRequest (POST /v1/conversations/{conversation_id}[#stream])
APPEND_CONVERSATION_REQUEST = Model(
    "AppendConversationRequest",
    {
        "inputs": CONVERSATION_INPUTS,
        "stream": Bool(),
        "store": Bool(),
        "handoff_execution": _HANDOFF_EXECUTION,
        "completion_args": COMPLETION_ARGS,
        "tool_confirmations": Nullable(ListOf(_TOOL_CONFIRMATION)),
    },
)
# RestartConversationRequest (POST /v1/conversations/{conversation_id}/restart[#stream])
RESTART_CONVERSATION_REQUEST = Model(
    "RestartConversationRequest",
    {
        "inputs": CONVERSATION_INPUTS,
        "stream": Bool(),
        "store": Bool(),
        "handoff_execution": _HANDOFF_EXECUTION,
        "completion_args": COMPLETION_ARGS,
        "guardrails": GUARDRAILS,
        "metadata": METADATA,
        "from_entry_id": Str(),
        "agent_version": _AGENT_VERSION,
    },
    frozenset({"from_entry_id"}),
)
