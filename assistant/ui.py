"""Gradio chat UI: a thin layer over ``Assistant.stream`` (no retrieval or prompting here).

Everything article- or model-derived is shown through Markdown/Chatbot with
Gradio's default HTML sanitising, so markup inside an article cannot run.
"""

from __future__ import annotations

import html

import gradio as gr

from .errors import AssistantError
from .schemas import ResultEvent, TokenEvent, Turn
from .service import Assistant

EXAMPLES = ["Who was accused of leaking the letter?", "Qui a envoyé la lettre et à qui ?"]


def _sources_markdown(result) -> str:
    if result.abstained:
        return f"_{html.escape(result.text)}_"
    lines = []
    for c in result.citations:
        meta = ", ".join(html.escape(x) for x in (c.outlet, c.date) if x)
        lines.append(f"**[{c.number}] {html.escape(c.title or c.doc_id)}**{f' ({meta})' if meta else ''}  \n> {html.escape(c.text)}")
    for s in result.sentences:
        if not s.supported:
            lines.append(f"⚠️ Not supported by the articles: {html.escape(s.text)}")
    return "\n\n".join(lines) or "_No sources._"


def _text(content) -> str:
    """Gradio 6 returns message content as a string or a list of {type, text} parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def build_ui(assistant: Assistant) -> gr.Blocks:
    with gr.Blocks(title="Newsroom assistant") as demo:
        gr.Markdown("## Newsroom assistant\nAnswers from the indexed articles only, with numbered citations.")
        chatbot = gr.Chatbot(label="Conversation", height=420)
        box = gr.Textbox(label="Question", placeholder="Ask about the articles (English or French)")
        with gr.Row():
            send = gr.Button("Ask", variant="primary")
            new = gr.Button("New conversation")
        sources = gr.Markdown(label="Sources")
        gr.Examples(EXAMPLES, inputs=box)

        def respond(question, messages):
            messages = list(messages or [])
            history = [Turn(role=m["role"], content=_text(m["content"])) for m in messages if m.get("role") in ("user", "assistant")]
            messages = messages + [{"role": "user", "content": question}, {"role": "assistant", "content": ""}]
            try:
                for event in assistant.stream(question, history=history):
                    if isinstance(event, TokenEvent):
                        messages[-1]["content"] += event.text
                        yield "", messages, gr.update()
                    elif isinstance(event, ResultEvent):
                        messages[-1]["content"] = event.result.text
                        yield "", messages, _sources_markdown(event.result)
            except AssistantError as exc:
                messages[-1]["content"] = f"⚠️ {exc.message}" + (f" — {exc.hint}" if exc.hint else "")
                yield question, messages, ""

        send.click(respond, [box, chatbot], [box, chatbot, sources])
        box.submit(respond, [box, chatbot], [box, chatbot, sources])
        new.click(lambda: ([], ""), None, [chatbot, sources])
    return demo
