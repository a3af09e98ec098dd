"""`assistant` command line: ingest, ask, chat, info.

Errors a user can fix print one line (what went wrong, then what to do) and
exit with status 2; no stack traces for expected failures.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from pydantic import ValidationError  # noqa: E402

from .errors import AssistantError  # noqa: E402
from .schemas import Filters, ResultEvent, TokenEvent  # noqa: E402


def _filters(args) -> Filters | None:
    f = Filters(outlets=args.outlet or None, doc_ids=args.doc or None, date_from=args.date_from, date_to=args.date_to)
    return None if f.is_empty() else f


def _add_query_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--top-k", type=int, default=None, help="passages given to the model")
    p.add_argument("--outlet", action="append", help="restrict to an outlet (repeatable)")
    p.add_argument("--doc", action="append", help="restrict to a document id (repeatable)")
    p.add_argument("--from", dest="date_from", help="earliest article date, YYYY[-MM[-DD]]")
    p.add_argument("--to", dest="date_to", help="latest article date, YYYY[-MM[-DD]]")


def _print_sources(result, out=sys.stdout) -> None:
    for c in result.citations:
        where = ", ".join(x for x in (c.outlet, c.date) if x)
        print(f"  [{c.number}] {c.title or c.doc_id}{f' ({where})' if where else ''} — {c.doc_id} chars {c.char_start}-{c.char_end}", file=out)
    flagged = [s.text for s in result.sentences if not s.supported]
    for text in flagged:
        print(f"  (unsupported by the articles: {text})", file=out)


def _stream_answer(events, out=sys.stdout):
    result = None
    streamed = False
    for event in events:
        if isinstance(event, TokenEvent):
            out.write(event.text)
            out.flush()
            streamed = True
        elif isinstance(event, ResultEvent):
            result = event.result
    if streamed:
        out.write("\n")
    # The verified text can differ from the stream (citations added or removed).
    print(("\n" if streamed else "") + result.text, file=out)
    _print_sources(result, out)
    return result


def cmd_ingest(assistant, args) -> int:
    report = assistant.ingest(args.paths, prune=args.prune, rebuild=args.rebuild, progress=not args.quiet)
    for item in report.skipped:
        print(f"skipped {item.path}: {item.reason}", file=sys.stderr)
    print(
        f"added {len(report.added)}, updated {len(report.updated)}, unchanged {len(report.unchanged)}, "
        f"removed {len(report.removed)}, skipped {len(report.skipped)}; passages embedded: {report.passages_embedded}"
    )
    return 0


def cmd_ask(assistant, args) -> int:
    question = " ".join(args.question)
    if question == "-":
        question = sys.stdin.read()
    if args.json:
        result = assistant.ask(question, filters=_filters(args), top_k=args.top_k)
        print(result.model_dump_json(indent=2))
        return 0
    _stream_answer(assistant.stream(question, filters=_filters(args), top_k=args.top_k))
    return 0


def cmd_chat(assistant, args) -> int:
    conversation = assistant.conversation()
    print("Ask about the articles. Empty line or Ctrl-D to quit; /new starts a new conversation.")
    while True:
        try:
            question = input("> ").strip()
        except EOFError:
            print()
            return 0
        if not question:
            return 0
        if question == "/new":
            conversation.reset()
            continue
        try:
            _stream_answer(conversation.stream(question, filters=_filters(args), top_k=args.top_k))
        except AssistantError as exc:
            print(f"error: {exc}", file=sys.stderr)


def cmd_info(assistant, args) -> int:
    print(json.dumps(assistant.info(), indent=2, ensure_ascii=False))
    return 0


def cmd_eval(assistant, args) -> int:
    from .evaluation import compare_reports, load_questions, run_evaluation

    if args.compare:
        print(compare_reports(*args.compare))
        return 0
    if not args.questions:
        print("error: give a question file (or --compare A/report.json B/report.json)", file=sys.stderr)
        return 2
    try:
        _, errors = load_questions(args.questions)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in errors:
        print(f"skipped {args.questions} {line}", file=sys.stderr)
    report = run_evaluation(assistant, args.questions, args.out, baseline=args.baseline, k=args.k)
    overall = report["summary"]["ours"]["overall"]
    for name in ("hit_at_k", "mrr", "answer_correctness", "citation_precision", "citation_recall", "abstention", "false_abstention"):
        value = overall.get(name)
        base = report["summary"].get("baseline", {}).get("overall", {}).get(name)
        shown = "-" if value is None else f"{value:.2f}"
        print(f"{name:20} {shown:>6}" + (f"   baseline {base:.2f}" if base is not None else ""))
    print(f"report written to {args.out}/report.md")
    return 0


def cmd_serve(assistant, args) -> int:
    from .server import serve

    serve(assistant, host=args.host, port=args.port, with_ui=not args.no_ui)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assistant", description="Local, cited question answering over news articles.")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="index .txt/.md/.html/.jsonl files or folders")
    p.add_argument("paths", nargs="+", type=Path)
    p.add_argument("--prune", action="store_true", help="remove indexed documents whose files are gone")
    p.add_argument("--rebuild", action="store_true", help="drop the index first (e.g. after changing the embedder)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("ask", help="answer one question ('-' reads it from stdin)")
    p.add_argument("question", nargs="+")
    p.add_argument("--json", action="store_true", help="print the full typed result as JSON")
    _add_query_options(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", help="interactive multi-turn chat")
    _add_query_options(p)
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("eval", help="run a question file and write report.json, report.md and plots")
    p.add_argument("questions", nargs="?", type=Path)
    p.add_argument("--out", type=Path, default=Path("eval/out"), help="report directory (default eval/out)")
    p.add_argument("--baseline", action="store_true", help="also run the naive llama-index pipeline on the same questions")
    p.add_argument("-k", type=int, default=None, help="k for hit@k / recall@k (default: top_k)")
    p.add_argument("--compare", nargs=2, type=Path, metavar=("A", "B"), help="print metric deltas between two report.json files")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("serve", help="serve the HTTP API (and the web UI unless --no-ui)")
    p.add_argument("--host", default=None, help="default: ui_host setting (127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="default: ui_port setting (7860)")
    p.add_argument("--no-ui", action="store_true", help="API only (headless)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("info", help="index statistics and models in use")
    p.set_defaults(func=cmd_info)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from .service import Assistant

    try:
        assistant = Assistant.from_settings()
        return args.func(assistant, args)
    except AssistantError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        print(f"error: invalid settings: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
