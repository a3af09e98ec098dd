"""Gradio app for journalists: a thin layer over ``Assistant`` (no retrieval or prompting here).

Safety: everything article-, user- or model-derived is HTML-escaped before it
is put into ``gr.HTML`` (which would run ``<img onerror>``), and the chatbot
keeps Gradio's default sanitiser. Citation chips are plain ``#cite-n`` anchors;
a small script in the page head turns a click into "scroll to and highlight
that source card", so no Python round trip is needed.
"""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path

import gradio as gr

from .errors import AssistantError
from .schemas import AskResult, Filters, ResultEvent, TokenEvent, Turn, content_text
from .service import Assistant

log = logging.getLogger(__name__)

EXAMPLES = ["Who was accused of leaking the letter?", "Qui a envoyé la lettre et à qui ?"]
CONTEXT_CHARS = 280  # article text shown around a cited span

HEAD = """
<script>
document.addEventListener('click', function (event) {
  const link = event.target.closest('a[href^="#cite-"]');
  if (!link) return;
  event.preventDefault();
  event.stopPropagation();
  const id = link.getAttribute('href').slice(1);
  document.querySelectorAll('.source-card.active').forEach(el => el.classList.remove('active'));
  const card = document.getElementById(id);
  if (card) { card.classList.add('active'); card.scrollIntoView({behavior: 'smooth', block: 'center'}); }
}, true);
</script>
"""

CSS = """
.source-card { border: 1px solid #ddd; border-radius: 8px; padding: 8px 10px; margin-bottom: 8px; }
.source-card.active { border-color: #d97706; box-shadow: 0 0 0 3px #fcd34d; }
.source-card .context { font-size: 0.92em; color: #374151; }
.source-card mark { background: #fde68a; padding: 0 2px; }
.source-meta { font-size: 0.85em; color: #6b7280; }
.unsupported { background: #fee2e2; border-left: 3px solid #dc2626; padding: 4px 8px; margin: 4px 0; }
.abstained-note { background: #eff6ff; border-left: 3px solid #3b82f6; padding: 6px 10px; }
a.cite { text-decoration: none; font-weight: 600; }
"""

_CITE = re.compile(r"\[(\d+)\]")


def _plain(markup: str) -> str:
    """A chat bubble back to text (our bubbles carry citation anchors and escaping)."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup)).strip()


def answer_html(result: AskResult) -> str:
    """The chat bubble: escaped answer, [n] as anchors, unsupported sentences marked."""
    if result.abstained:
        return f"ℹ️ *{html.escape(result.text)}*"
    parts = []
    for sentence in result.sentences:
        body = html.escape(sentence.text)
        chips = "".join(f' <a class="cite" href="#cite-{n}">[{n}]</a>' for n in sentence.citations)
        if not sentence.supported:
            body = f"<span class='unsupported' title='No passage supports this sentence'>⚠️ {body}</span>"
        parts.append(body + chips)
    return " ".join(parts) or html.escape(result.text)


def sources_html(result: AskResult | None, article_text) -> str:
    if result is None:
        return "<p class='source-meta'>Sources of the latest answer appear here.</p>"
    if result.abstained:
        return f"<div class='abstained-note'>{html.escape(result.text)}<br><span class='source-meta'>{html.escape(result.abstain_reason or '')}</span></div>"
    cards = []
    for c in result.citations:
        meta = " · ".join(html.escape(x) for x in (c.outlet, c.date, c.doc_id) if x)
        article = article_text(c.doc_id) or ""
        if article[c.char_start : c.char_end] == c.text:
            start = max(0, c.char_start - CONTEXT_CHARS)
            end = min(len(article), c.char_end + CONTEXT_CHARS)
            before = ("…" if start else "") + html.escape(article[start : c.char_start])
            after = html.escape(article[c.char_end : end]) + ("…" if end < len(article) else "")
            context = f"{before}<mark>{html.escape(c.text)}</mark>{after}"
        else:  # article changed since the answer: show the passage alone
            context = f"<mark>{html.escape(c.text)}</mark>"
        cards.append(
            f"<div class='source-card' id='cite-{c.number}'><b>[{c.number}] {html.escape(c.title or c.doc_id)}</b>"
            f"<div class='source-meta'>{meta} · chars {c.char_start}–{c.char_end} · support {c.score:.2f}</div>"
            f"<div class='context'>{context.replace(chr(10), '<br>')}</div></div>"
        )
    flagged = [s.text for s in result.sentences if not s.supported]
    if flagged:
        cards.append("<div class='unsupported'><b>Not supported by the articles:</b><br>" + "<br>".join(html.escape(t) for t in flagged) + "</div>")
    return "".join(cards) or "<p class='source-meta'>No sources.</p>"


def details_markdown(result: AskResult | None) -> str:
    if result is None:
        return ""
    t = result.timings
    lines = [
        f"**Models:** {', '.join(f'{k}: `{v}`' for k, v in result.models.items())}",
        f"**Timings:** retrieval {t.retrieval * 1000:.0f} ms · first token {'–' if t.first_token is None else f'{t.first_token:.2f} s'} · total {t.total:.2f} s",
        f"**Question used for retrieval:** {html.escape(result.standalone_question)}",
        "",
        "| # | document | score | dense | BM25 rank | passage |",
        "|---|---|---|---|---|---|",
    ]
    for n, p in enumerate(result.retrieved, start=1):
        snippet = html.escape(p.text[:90]).replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {n} | {html.escape(p.doc_id)} | {p.score:.4f} | {p.dense_score if p.dense_score is not None else '–'} | {p.bm25_rank or '–'} | {snippet}… |")
    return "\n".join(lines)


def friendly_error(exc: Exception) -> str:
    if isinstance(exc, AssistantError):
        return f"⚠️ {html.escape(exc.message)}" + (f" — {html.escape(exc.hint)}" if exc.hint else "")
    log.exception("unexpected error in the UI")
    return "⚠️ Something went wrong on our side; the error was logged. Please try again."


def _library_rows(assistant: Assistant) -> list[list]:
    try:
        return [[d.title or d.doc_id, d.outlet or "", d.date or "", d.lang or "", d.passages, d.doc_id] for d in assistant.documents()]
    except AssistantError:
        return []


def _outlets(assistant: Assistant) -> list[str]:
    try:
        return sorted({d.outlet for d in assistant.documents() if d.outlet})
    except AssistantError:
        return []


def build_ui(assistant: Assistant) -> gr.Blocks:
    with gr.Blocks(title="Newsroom assistant") as demo:
        gr.Markdown("## Newsroom assistant\nAnswers come from the indexed articles only, with numbered citations. Ask in English or French.")
        last_result = gr.State(None)
        with gr.Tab("Ask"):
            with gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(
                        label="Conversation",
                        height=460,
                        elem_id="chat",
                        examples=[{"text": e} for e in EXAMPLES],
                        placeholder="Ask a question about the articles, or pick an example.",
                    )
                    box = gr.Textbox(label="Question", placeholder="Ask about the articles (English or French)", elem_id="question")
                    with gr.Row():
                        send = gr.Button("Ask", variant="primary", elem_id="ask")
                        new = gr.Button("New conversation", elem_id="new-conversation")
                    with gr.Accordion("Answer details", open=False, elem_id="details"):
                        details = gr.Markdown(elem_id="details-body")
                with gr.Column(scale=2):
                    with gr.Accordion("Filters", open=False, elem_id="filters"):
                        outlets = gr.Dropdown(choices=_outlets(assistant), multiselect=True, label="Outlets", elem_id="filter-outlets")
                        with gr.Row():
                            date_from = gr.Textbox(label="From (YYYY[-MM[-DD]])", elem_id="filter-from")
                            date_to = gr.Textbox(label="To (YYYY[-MM[-DD]])", elem_id="filter-to")
                        top_k = gr.Slider(1, 10, value=assistant.settings.top_k, step=1, label="Passages given to the model (top-k)", elem_id="filter-topk")
                    gr.Markdown("### Sources")
                    sources = gr.HTML(sources_html(None, None), elem_id="sources")

        with gr.Tab("Library"):
            library = gr.Dataframe(
                value=lambda: _library_rows(assistant),
                headers=["title", "outlet", "date", "language", "passages", "document id"],
                interactive=False,
                elem_id="library",
                wrap=True,
            )
            upload = gr.File(file_count="multiple", file_types=[".txt", ".md", ".html", ".htm", ".jsonl"], label="Add articles (.txt, .md, .html, .jsonl)", elem_id="upload")
            add = gr.Button("Add to library", variant="primary", elem_id="add-files")
            upload_report = gr.Markdown(elem_id="upload-report")

        def respond(question, messages, outlet_values, d_from, d_to, k):
            messages = list(messages or [])
            question = (question or "").strip()
            history = [Turn(role=m["role"], content=_plain(content_text(m["content"]))) for m in messages if m.get("role") in ("user", "assistant")]
            filters = Filters(outlets=outlet_values or None, date_from=(d_from or "").strip() or None, date_to=(d_to or "").strip() or None)
            messages = messages + [{"role": "user", "content": question}, {"role": "assistant", "content": ""}]
            try:
                stream = assistant.stream(question, history=history, filters=None if filters.is_empty() else filters, top_k=int(k))
                for event in stream:
                    if isinstance(event, TokenEvent):
                        messages[-1]["content"] += event.text
                        yield "", messages, gr.update(), gr.update(), gr.update()
                    elif isinstance(event, ResultEvent):
                        result = event.result
                        messages[-1]["content"] = answer_html(result)
                        yield "", messages, sources_html(result, assistant.article_text), details_markdown(result), result
            except Exception as exc:  # noqa: BLE001 - every failure becomes plain words
                messages[-1]["content"] = friendly_error(exc)
                yield question, messages, gr.update(), gr.update(), gr.update()

        inputs = [box, chatbot, outlets, date_from, date_to, top_k]
        outputs = [box, chatbot, sources, details, last_result]
        send.click(respond, inputs, outputs)
        box.submit(respond, inputs, outputs)
        def pick_example(event: gr.SelectData) -> str:
            return event.value["text"]

        chatbot.example_select(pick_example, None, box).then(respond, inputs, outputs)
        new.click(lambda: ([], sources_html(None, None), "", None, ""), None, [chatbot, sources, details, last_result, box])

        def add_files(files, progress=gr.Progress()):
            if not files:
                return "Choose one or more files first.", gr.update(), gr.update()
            paths = [Path(f if isinstance(f, str) else f.name) for f in files]
            progress(0, desc="Reading files")
            try:
                uploads = [(p.name, p.read_bytes()) for p in paths]
                report = assistant.add_files(uploads, on_progress=lambda done, total: progress(done / max(total, 1), desc=f"Embedding passages {done}/{total}"))
            except Exception as exc:  # noqa: BLE001
                return friendly_error(exc), gr.update(), gr.update()
            lines = [f"**Added** {len(report.added)} · **updated** {len(report.updated)} · **unchanged** {len(report.unchanged)} · **rejected** {len(report.skipped)}"]
            for doc in report.added + report.updated:
                lines.append(f"- ✅ {html.escape(doc)}")
            for item in report.skipped:
                lines.append(f"- ❌ {html.escape(Path(item.path).name)}: {html.escape(item.reason)}")
            return "\n".join(lines), _library_rows(assistant), gr.update(choices=_outlets(assistant))

        add.click(add_files, [upload], [upload_report, library, outlets])
    return demo
