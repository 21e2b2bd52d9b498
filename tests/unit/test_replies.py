"""The renderer of model output on its own: every chunk type, choice shape and attachment rule."""

from __future__ import annotations

import base64
from typing import Any

import mcp_types as types
import pytest

from server.tools.replies import (
    CODE_SHOWN,
    MAX_INLINE_BYTES,
    ChunkRenderer,
    FetchedFile,
    deliver,
    file_ids,
    render_completion,
    render_conversation,
    render_message,
)

PNG = b"\x89PNG\r\n\x1a\n" + bytes(16)
FILE_ID = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"


def completion(*choices: dict[str, Any], usage: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"id": "c", "choices": list(choices), **({"usage": usage} if usage else {})}


def choice(content: Any, finish: str = "stop", index: int = 0, **message: Any) -> dict[str, Any]:
    return {"index": index, "message": {"role": "assistant", "content": content, **message}, "finish_reason": finish}


def data_url(content: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(content).decode()


# --- chunks -----------------------------------------------------------------------------------


def test_a_plain_string_is_the_answer_as_it_is() -> None:
    rendered = render_message("Bonjour")
    assert (rendered.text, rendered.reasoning, rendered.sources, rendered.attachments) == ("Bonjour", "", (), ())


def test_the_same_source_cited_twice_keeps_its_number() -> None:
    web = {"type": "tool_reference", "tool": "web_search", "title": "T", "url": "https://t"}
    rendered = render_message([{"type": "text", "text": "A"}, web, {"type": "text", "text": " B"}, web])
    assert rendered.text == "A[1] B[1]"
    assert [s.line() for s in rendered.sources] == ["[1] T — https://t (via web_search)"]


def test_sources_cited_while_reasoning_are_named_in_the_reasoning_only() -> None:
    thought = {
        "type": "thinking",
        "thinking": [
            {"type": "text", "text": "Look it up"},
            {"type": "tool_reference", "tool": "web_search", "title": "T", "url": "https://t"},
            {"type": "reference", "reference_ids": [3]},
        ],
    }
    rendered = render_message([thought, {"type": "text", "text": "Done."}])
    assert rendered.reasoning == "Look it up [source: T — https://t] [reference 3]"
    assert (rendered.text, rendered.sources, rendered.ends_in_reasoning) == ("Done.", (), False)


def test_every_attachment_kind_is_named_where_it_stands() -> None:
    content = [
        {"type": "text", "text": "See"},
        {
            "type": "tool_file",
            "tool": "image_generation",
            "file_id": FILE_ID,
            "file_name": "cat.png",
            "file_type": "png",
        },
        {"type": "document_url", "document_url": "https://example.com/a.pdf", "document_name": "a.pdf"},
        {"type": "input_audio", "input_audio": "AAAA"},
        {"type": "hologram", "beam": 1},
    ]
    rendered = render_message(content)
    assert (
        rendered.text
        == 'See [File 1: cat.png] [Document 2: a.pdf] [Audio 3] [hologram chunk: {"type": "hologram", "beam": 1}]'
    )
    assert [(a.kind, a.label) for a in rendered.attachments] == [
        ("file", "File 1"),
        ("document", "Document 2"),
        ("audio", "Audio 3"),
    ]
    assert rendered.attachments[0].mime_type == "image/png"


def test_one_renderer_numbers_across_messages() -> None:
    renderer = ChunkRenderer()
    renderer.render([{"type": "image_url", "image_url": "https://example.com/a.png"}])
    second = renderer.render([{"type": "file", "file_id": FILE_ID}, {"type": "reference", "reference_ids": [1]}])
    assert second.text == "[File 2][1]"
    assert [a.label for a in second.attachments] == ["File 2"]


# --- attachments --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "line", "kind"),
    [
        (data_url(PNG), "- Image 1: image/png, 24 bytes, attached as an image.", types.ImageContent),
        ("https://example.com/a.png", "- Image 1: https://example.com/a.png, linked.", types.ResourceLink),
        (
            data_url(b"<svg/>", "image/svg+xml"),
            "- Image 1: image/svg+xml, 6 bytes, inline, not a PNG, JPEG, GIF or WebP image; it is in structuredContent.",
            None,
        ),
        (
            data_url(PNG + bytes(MAX_INLINE_BYTES)),
            "- Image 1: image/png, 1.0 MiB, inline, too large to attach (over 1 MiB); it is in structuredContent.",
            None,
        ),
        (
            "data:image/png;base64,@@@",
            "- Image 1: an inline image whose base64 is broken; it is in structuredContent.",
            None,
        ),
        (
            "data:image/png,raw",
            "- Image 1: an image Mistral sent in a form that cannot be shown here; it is in structuredContent.",
            None,
        ),
    ],
)
def test_an_image_is_attached_when_small_linked_when_on_the_web_and_named_otherwise(
    url: str, line: str, kind: type | None
) -> None:
    rendered = render_message([{"type": "image_url", "image_url": {"url": url}}])
    lines, blocks = deliver(rendered.attachments)
    assert lines == [line]
    assert [type(b) for b in blocks] == ([kind] if kind else [])


def test_a_stored_file_is_attached_when_it_is_a_small_image_and_linked_otherwise() -> None:
    rendered = render_message([{"type": "file", "file_id": FILE_ID}])
    lines, [block] = deliver(rendered.attachments, {FILE_ID: FetchedFile(PNG, len(PNG))})
    assert isinstance(block, types.ImageContent) and base64.b64decode(block.data) == PNG
    assert lines == [f"- File 1: file id {FILE_ID}, image/png, 24 bytes, attached as an image."]
    for fetched, detail in [
        (FetchedFile(b"a,b\n", 4), ", 4 bytes"),
        (FetchedFile(None, None, "no such resource (404)"), ""),
        (None, ""),
    ]:
        lines, [link] = deliver(rendered.attachments, {FILE_ID: fetched} if fetched else None)
        assert isinstance(link, types.ResourceLink) and link.uri == f"mistral://files/{FILE_ID}"
        assert lines[0].startswith(f"- File 1: file id {FILE_ID}{detail}, linked as mistral://files/{FILE_ID};")
    assert lines == [
        f"- File 1: file id {FILE_ID}, linked as mistral://files/{FILE_ID}; read it with mistral_download_file."
    ]


def test_file_ids_are_those_of_the_answers() -> None:
    answer = [{"type": "file", "file_id": "a"}, {"type": "tool_file", "tool": "x", "file_id": "b"}]
    tools = {
        "index": 0,
        "finish_reason": "stop",
        "messages": [
            {"role": "tool", "content": [{"type": "file", "file_id": "c"}]},
            {"role": "assistant", "content": answer},
        ],
    }
    assert file_ids(completion(choice(answer), tools)) == ["a", "b", "a", "b"]


# --- completions --------------------------------------------------------------------------------


def test_reasoning_is_named_with_its_tokens_when_usage_counts_them() -> None:
    content = [{"type": "thinking", "thinking": [{"type": "text", "text": "abc"}]}, {"type": "text", "text": "Yes."}]
    usage = {"completion_tokens": 9, "completion_tokens_details": {"reasoning_tokens": 7}}
    text = render_completion(completion(choice(content), usage=usage)).text
    assert (
        text == "Yes.\n\n[The model reasoned first (3 characters, 7 tokens); pass include_reasoning: true to read it.]"
    )


def test_several_choices_are_each_told_apart() -> None:
    text = render_completion(completion(choice("A"), choice(None, finish="model_length", index=1))).text
    assert text == "Choice 0:\nA\n\nChoice 1:\n[Empty reply.]\n\n[The reply was cut off at the model's context length.]"


def test_tool_executions_without_ids_or_results_still_get_their_line() -> None:
    call = {"function": {"name": "web_search", "arguments": {"query": "x" * 400}}}
    messages = [
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [call, {"function": {"name": "code_interpreter", "arguments": ""}}],
        },
        {"role": "tool", "content": "found", "metadata": {"status": "failed"}},
        {"role": "assistant", "content": "Here."},
    ]
    text = render_completion(completion({"index": 0, "finish_reason": "stop", "messages": messages})).text
    assert text.startswith('Mistral ran 2 tool call(s) before answering:\n- web_search {"query": "xxx')
    assert "…: failed\n- code_interpreter: no result\n\nHere." in text


def test_a_messages_array_ending_in_a_tool_result_has_no_answer() -> None:
    messages = [
        {"role": "assistant", "content": "", "tool_calls": [{"id": "1", "function": {"name": "f"}}]},
        {"role": "tool", "content": "x", "tool_call_id": "1"},
    ]
    text = render_completion(completion({"index": 0, "finish_reason": "error", "messages": messages})).text
    assert (
        text
        == "Mistral ran 1 tool call(s) before answering:\n- f: ok\n\n[Empty reply.]\n\n[Mistral reported an error while generating.]"
    )


def test_no_choices_is_said_plainly() -> None:
    assert render_completion({"choices": []}).text == "[Mistral returned no choices.]"


def test_a_conversation_shows_a_failed_tool_and_caps_long_code_output() -> None:
    long_output = "x" * (CODE_SHOWN + 10)
    response = {
        "conversation_id": "conv_1",
        "outputs": [
            {"type": "tool.execution", "name": "web_search", "arguments": "{}", "info": {"error": "timed out"}},
            {
                "type": "tool.execution",
                "name": "code_interpreter",
                "arguments": '{"code": "1"}',
                "info": {"code_output": long_output},
            },
            {"type": "message.output", "content": "Done."},
        ],
    }
    text = render_conversation(response).text
    assert text.startswith("Conversation conv_1: go on with mistral_continue_conversation.")
    assert "Mistral ran web_search {}: failed (timed out)." in text
    assert "x" * CODE_SHOWN + "\n…[10 more characters in structuredContent]" in text
    assert text.endswith("Done.")
