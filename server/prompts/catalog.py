"""The ready-made prompts: workflows people repeat, offered as slash commands.

Each walks the model through our tools step by step; the arguments fill in what the person
already knows, the rest the model asks for.
"""

from __future__ import annotations

from collections.abc import Mapping

from server.prompts import suggestions
from server.prompts.spec import Argument, PromptSpec
from server.tools.families import Family

_IMAGE_ENDINGS = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".bmp", ".tiff")


def _document_source(document: str) -> str:
    """How mistral_ocr takes this document: an image or document URL, or an uploaded file's id."""
    lowered = document.lower()
    if lowered.startswith("data:image/") or (
        lowered.startswith("http") and lowered.split("?")[0].endswith(_IMAGE_ENDINGS)
    ):
        return f"image_url: {document}"
    if lowered.startswith(("http://", "https://", "data:")):
        return f"document_url: {document}"
    return f"file_id: {document} (a file uploaded with purpose ocr)"


def _fine_tune(given: Mapping[str, str]) -> str:
    model = given["model"]
    if "training_file" in given:
        data = f"Use the uploaded training file {given['training_file']}."
    else:
        data = (
            "Ask me for the training examples, write them as JSONL (one "
            '{"messages": [{"role": "user", "content": …}, {"role": "assistant", "content": …}]} conversation per '
            "line) and upload them with mistral_upload_file (purpose fine-tune)."
        )
    validation = f", validation_files [{given['validation_file']}]" if "validation_file" in given else ""
    steps = given.get("training_steps")
    hyperparameters = f'{{"training_steps": {steps}}}' if steps else "{} (Mistral's defaults)"
    suffix = f", suffix {given['suffix']!r}" if "suffix" in given else ""
    return f"""Fine-tune the Mistral model {model} on my data, step by step:
1. Training data: {data}
2. Validate it before anything is billed: read it with mistral_download_file and check that every line is a JSON \
object whose "messages" list holds role/content messages (system, user, assistant, tool) ending with an assistant \
message. List problems by line number and stop until they are fixed.
3. Estimate: call mistral_create_fine_tuning_job with dry_run: true, model {model}, the training file{validation}, \
hyperparameters {hyperparameters}{suffix}. Show me the cost, tokens and expected duration, and ask me to confirm.
4. Only once I confirm, call it again without dry_run to create the job.
5. Watch it with mistral_get_fine_tuning_job and wait_seconds: 240, again until it ends; tell me each new status and \
the train and validation loss of the latest checkpoint.
6. When it succeeds, give me the fine-tuned model's id and try it with one short mistral_chat call."""


def _ocr(given: Mapping[str, str]) -> str:
    fields = given.get("fields") or "the key facts: parties, dates, amounts and totals, reference numbers"
    pages = f", pages {given['pages']}" if "pages" in given else ""
    return f"""Read a document with OCR, then extract structured data from it:
1. Call mistral_ocr with {_document_source(given["document"])}{pages}.
2. Read the markdown of every page, tables included.
3. Extract {fields} as one JSON object; a value the document does not give is null, never a guess. For a long \
document, call mistral_chat with response_format {{"type": "json_object"}} and the pages' markdown.
4. Show me the JSON, then a two-line summary, and name any page whose text looked unreliable."""


def _compare(given: Mapping[str, str]) -> str:
    models = given.get("models") or "three that suit it (a small, a medium and a large one; see mistral_list_models)"
    criteria = given.get("criteria") or "accuracy, completeness, clarity and cost"
    return f"""Compare how Mistral models answer the same prompt.
Models: {models}.
1. Call mistral_compare_models with the prompt below and these models (2 to 4). If that tool is missing, call \
mistral_chat once per model with the same prompt.
2. Show the answers side by side (model, gist of its answer, latency, tokens) and judge them on {criteria}.
3. Recommend one model for prompts like this one, and say why.

The prompt:
{given["prompt"]}"""


def _transcribe(given: Mapping[str, str]) -> str:
    language = f" in {given['language']}" if "language" in given else ""
    speakers = (
        f"The speakers are {given['speakers']}: name them where the transcript makes it clear."
        if "speakers" in given
        else "Keep the transcript's speaker labels unless names are said."
    )
    return f"""Transcribe a meeting recording and turn it into notes:
1. Call mistral_transcribe on {given["audio"]} (a URL, or an uploaded file's id){language}, with timestamps and \
speakers (diarization).
2. Give me a summary in five bullets, the decisions taken, the action items (owner, task, due date when said) and \
the open questions. {speakers}
3. Quote the transcript's timestamps next to decisions and action items."""


def _agent(given: Mapping[str, str]) -> str:
    name = given["name"]
    documents = given.get("documents") or "ask me for the documents (files or URLs)"
    model = given.get("model") or "mistral-medium-latest"
    instructions = given.get("instructions") or (
        "answer only from the library's documents, cite the document each answer comes from, and say so when the "
        "answer is not in them"
    )
    base = (
        f"\nStart from agent {given['base_agent']}: read it with mistral_get_agent and keep its model and "
        "instructions unless I said otherwise."
        if "base_agent" in given
        else ""
    )
    return f"""Build a Mistral agent named {name!r} that answers from my documents:{base}
1. Create a document library for it with mistral_create_library.
2. Add the documents with mistral_upload_library_document: {documents}. Wait until each one is processed before \
going on, and tell me about any that failed.
3. Create the agent with mistral_create_agent: model {model}, instructions: {instructions}; and the tool \
{{"type": "document_library", "library_ids": ["<the new library's id>"]}}.
4. Try it: ask it one question about the documents with mistral_agent_complete, and show me its answer.
5. Give me the agent's id and the library's id."""


PROMPTS = (
    PromptSpec(
        name="fine_tune_from_data",
        title="Fine-tune a model on your data",
        description="Upload and validate JSONL training data, estimate the cost with a dry run, then create the "
        "fine-tuning job and watch it to the end.",
        arguments=(
            Argument("model", "Base model to fine-tune", True, suggestions.models("fine_tuning")),
            Argument("training_file", "Id of training data already uploaded", suggests=suggestions.files("fine-tune")),
            Argument(
                "validation_file", "Id of validation data already uploaded", suggests=suggestions.files("fine-tune")
            ),
            Argument("training_steps", "Number of training steps (Mistral picks one if left out)"),
            Argument("suffix", "Added to the fine-tuned model's name"),
        ),
        families=frozenset({Family.MODELS, Family.DOCUMENTS, Family.JOBS}),
        text=_fine_tune,
    ),
    PromptSpec(
        name="ocr_document",
        title="OCR a document and extract its data",
        description="Read a PDF or image with Mistral OCR, then extract the fields you name as JSON.",
        arguments=(
            Argument(
                "document", "URL of the document or image, or an uploaded file's id", True, suggestions.files("ocr")
            ),
            Argument("fields", "What to extract, e.g. invoice number, date, total"),
            Argument("pages", "Pages to read, e.g. 0-3 (all when left out)"),
        ),
        families=frozenset({Family.DOCUMENTS, Family.MODELS}),
        text=_ocr,
    ),
    PromptSpec(
        name="compare_models",
        title="Compare Mistral models on one prompt",
        description="Send one prompt to several models at once and compare their answers, speed and cost.",
        arguments=(
            Argument("prompt", "The prompt every model gets", True),
            Argument(
                "models", "Model ids, comma-separated (2 to 4)", suggests=suggestions.models("chat"), several=True
            ),
            Argument("criteria", "What matters in the answers, e.g. accuracy, tone, brevity"),
        ),
        families=frozenset({Family.MODELS}),
        text=_compare,
    ),
    PromptSpec(
        name="transcribe_meeting",
        title="Transcribe a meeting into notes",
        description="Transcribe a recording with speakers, then write the summary, decisions and action items.",
        arguments=(
            Argument("audio", "URL of the recording, or an uploaded file's id", True, suggestions.files()),
            Argument("language", "The language spoken, e.g. French (detected when left out)"),
            Argument("speakers", "Who speaks, e.g. Ana, Ben and Chloé"),
        ),
        families=frozenset({Family.DOCUMENTS, Family.MODELS}),
        text=_transcribe,
    ),
    PromptSpec(
        name="build_agent_from_documents",
        title="Build an agent that answers from your documents",
        description="Put documents in a library, then create an agent that searches it to answer, and try it.",
        arguments=(
            Argument("name", "The agent's name", True),
            Argument(
                "documents", "Uploaded files' ids or URLs, comma-separated", suggests=suggestions.files(), several=True
            ),
            Argument("instructions", "How the agent should answer"),
            Argument(
                "model", "Model of the agent (default mistral-medium-latest)", suggests=suggestions.models("chat")
            ),
            Argument(
                "base_agent",
                "An existing agent whose model and instructions to start from",
                suggests=suggestions.agents(),
            ),
        ),
        families=frozenset({Family.DOCUMENTS, Family.AGENTS}),
        text=_agent,
    ),
)
