"""One process serving the HTTP API and (optionally) the Gradio UI on the same port."""

from __future__ import annotations

import threading
import time

from fastapi import FastAPI

from .api import check_exposure, create_api
from .service import Assistant


def build_app(assistant: Assistant, with_ui: bool = True) -> FastAPI:
    app = create_api(assistant)
    if with_ui:
        import gradio as gr

        from .ui import CSS, HEAD, build_ui

        s = assistant.settings
        auth = (s.ui_user, s.ui_password.get_secret_value()) if s.ui_user and s.ui_password else None
        demo = build_ui(assistant)
        demo.queue(default_concurrency_limit=4)
        app = gr.mount_gradio_app(app, demo, path="/", head=HEAD, css=CSS, auth=auth, max_file_size=f"{s.max_upload_mb}mb")
    return app


def serve(assistant: Assistant, host: str | None = None, port: int | None = None, with_ui: bool = True) -> None:
    import uvicorn

    host = host or assistant.settings.ui_host
    port = port or assistant.settings.ui_port
    check_exposure(host, assistant.settings.api_keys)
    print(f"Serving {'UI and ' if with_ui else ''}API on http://{host}:{port}/  (API docs: /docs)")
    uvicorn.run(build_app(assistant, with_ui), host=host, port=port, log_level="warning")


class BackgroundServer:
    """Run the app with uvicorn in a thread (tests, notebooks); ``stop()`` shuts it down."""

    def __init__(self, app: FastAPI, host: str, port: int):
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://{host}:{port}"

    def start(self, timeout: float = 30) -> "BackgroundServer":
        self.thread.start()
        deadline = time.time() + timeout
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
