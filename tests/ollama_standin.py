"""A stand-in for an Ollama server, for tests only.

No Ollama binary can be installed on this machine, so this process speaks the
parts of Ollama's HTTP API that the `ollama` client and llama-index use
(`POST /api/chat` streaming as NDJSON or not, `GET /api/tags`, `GET /api/version`)
and answers with a REAL model through llama-cpp-python, not canned text, so a
test through it exercises client → HTTP → model → citations end to end.

    python tests/ollama_standin.py --model PATH.gguf --name qwen-test --port 11500
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--name", default="standin")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=2)
    # Fault injection (tests only): after N streamed chunks, stop sending without closing,
    # like a server that hangs mid-generation.
    parser.add_argument("--stall-after", type=int, default=None)
    args = parser.parse_args()

    from llama_cpp import Llama

    llama = Llama(model_path=args.model, n_ctx=4096, n_threads=args.threads, verbose=False)
    lock = threading.Lock()

    def now() -> str:
        return datetime.now(timezone.utc).isoformat()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):  # keep test output quiet
            pass

        def _json(self, code: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/api/version":
                return self._json(200, {"version": "0.0.0-standin"})
            if self.path == "/api/tags":
                return self._json(200, {"models": [{"name": args.name, "model": args.name, "modified_at": now(), "size": 0, "digest": "0" * 64, "details": {}}]})
            if self.path == "/":
                return self._json(200, {"status": "Ollama is running"})
            return self._json(404, {"error": "not found"})

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            try:
                req = json.loads(self.rfile.read(length) or b"{}")
            except json.JSONDecodeError:
                return self._json(400, {"error": "invalid JSON"})
            if self.path == "/api/show":
                return self._json(200, {"modelfile": "", "parameters": "", "template": "", "details": {}, "model_info": {"general.context_length": 4096}})
            if self.path != "/api/chat":
                return self._json(404, {"error": "not found"})
            if req.get("model") != args.name:
                return self._json(404, {"error": f"model '{req.get('model')}' not found"})
            options = req.get("options") or {}
            messages = [{"role": m["role"], "content": m.get("content") or ""} for m in req.get("messages", [])]
            kwargs = dict(messages=messages, temperature=options.get("temperature", 0.0), max_tokens=options.get("num_predict", 256))
            started = time.time()
            with lock:
                if not req.get("stream", True):
                    out = llama.create_chat_completion(**kwargs)
                    return self._json(200, {
                        "model": args.name, "created_at": now(), "done": True, "done_reason": "stop",
                        "message": {"role": "assistant", "content": out["choices"][0]["message"]["content"] or ""},
                        "total_duration": int((time.time() - started) * 1e9),
                        "prompt_eval_count": out["usage"]["prompt_tokens"], "eval_count": out["usage"]["completion_tokens"],
                    })
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()

                def send(obj: dict) -> None:
                    line = (json.dumps(obj) + "\n").encode()
                    self.wfile.write(f"{len(line):X}\r\n".encode() + line + b"\r\n")
                    self.wfile.flush()

                sent = 0
                for chunk in llama.create_chat_completion(stream=True, **kwargs):
                    delta = chunk["choices"][0]["delta"].get("content")
                    if delta and args.stall_after is not None and sent >= args.stall_after:
                        time.sleep(3600)
                    if delta:
                        sent += 1
                        send({"model": args.name, "created_at": now(), "message": {"role": "assistant", "content": delta}, "done": False})
                send({"model": args.name, "created_at": now(), "message": {"role": "assistant", "content": ""}, "done": True,
                      "done_reason": "stop", "total_duration": int((time.time() - started) * 1e9)})
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
