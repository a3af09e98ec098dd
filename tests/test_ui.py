"""Smoke test of the Gradio app over its real HTTP API (browser tests: issue 4)."""

from gradio_client import Client

from assistant.ui import _text, build_ui
from tests.conftest import free_port


def test_chat_round_trip_and_follow_up(corpus_assistant):
    demo = build_ui(corpus_assistant)
    port = free_port()
    demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        box, messages, sources = client.predict("Combien de citoyens syriens pourraient rentrer dans leur pays ?", [], api_name="/respond")
        assert box == ""
        assert messages[-1]["role"] == "assistant" and "890" in _text(messages[-1]["content"])
        assert "[1]" in sources or "[2]" in sources or "articles" in sources
        # the history coming back from the browser (content as parts) feeds the follow-up
        _, messages2, _ = client.predict("Et selon quelle agence ?", messages, api_name="/respond")
        assert len(messages2) == 4 and _text(messages2[-1]["content"])
    finally:
        demo.close()
