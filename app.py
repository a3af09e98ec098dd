"""Start the web app; on first run, build the index from the shipped articles.

    python app.py        (settings from ASSISTANT_* variables or assistant.toml)
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from assistant import Assistant, AssistantError, Settings  # noqa: E402
from assistant.errors import IndexMissing  # noqa: E402


def main() -> int:
    settings = Settings()
    assistant = Assistant(settings)
    try:
        try:
            count = assistant.store.count()
        except IndexMissing:
            count = 0
        if count == 0:
            print(f"Building the index from {settings.corpus_dir} (first run)…")
            report = assistant.ingest([settings.corpus_dir])
            print(f"Indexed {len(report.added)} articles, {report.passages_embedded} passages.")
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from assistant.server import serve

    serve(assistant)  # web UI and HTTP API on one port (API docs at /docs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
