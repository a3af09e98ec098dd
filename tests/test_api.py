"""HTTP API over real HTTP (uvicorn on loopback), API + UI in one app, real models."""

from __future__ import annotations

import json

import httpx
import pytest

from assistant import Assistant
from assistant.api import check_exposure
from assistant.server import BackgroundServer, build_app
from tests.conftest import CORPUS, free_port, make_settings

KEY = "test-key-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def api(tmp_path_factory, shared_embed):
    tmp = tmp_path_factory.mktemp("api")
    assistant = Assistant(make_settings(tmp, api_keys=[KEY], uploads_dir=tmp / "uploads", max_request_kb=64, max_upload_mb=1))
    assistant._embed = shared_embed
    assistant.ingest([CORPUS], progress=False)
    server = BackgroundServer(build_app(assistant, with_ui=True), "127.0.0.1", free_port()).start()
    client = httpx.Client(base_url=server.url, headers=AUTH, timeout=600)
    yield client, assistant
    client.close()
    server.stop()


def test_ask_json_has_the_python_result_fields(api):
    client, _ = api
    r = client.post("/api/ask", json={"question": "Combien de citoyens syriens pourraient rentrer dans leur pays selon la Russie ?"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert {"text", "language", "abstained", "citations", "timings", "sentences", "retrieved"} <= body.keys()
    assert body["language"] == "fr"
    assert "890" in body["text"]
    assert body["citations"] and body["citations"][0]["doc_id"] == "000_55f2b78b0a1d9555.txt"


def _sse_events(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        events.append((lines.get("event"), json.loads(lines["data"])))
    return events


def test_ask_stream_sends_tokens_then_result(api):
    client, _ = api
    with client.stream("POST", "/api/ask", json={"question": "Where was John Kerry when he spoke about military options?", "stream": True}) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        text = "".join(r.iter_text())
    events = _sse_events(text)
    kinds = [k for k, _ in events]
    assert kinds.count("result") == 1 and kinds[-1] == "result"
    assert kinds.count("token") >= 2
    assert "timings" in events[-1][1] and "citations" in events[-1][1]


def test_openai_compatible_endpoint(api):
    client, _ = api
    payload = {"model": "x", "messages": [{"role": "system", "content": "ignored"}, {"role": "user", "content": "Combien de citoyens syriens pourraient rentrer ?"}]}
    r = client.post("/v1/chat/completions", json=payload)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["object"] == "chat.completion"
    assert "890" in body["choices"][0]["message"]["content"]
    assert isinstance(body["citations"], list)

    with client.stream("POST", "/v1/chat/completions", json={**payload, "stream": True}) as s:
        lines = [line for line in s.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line[6:]) for line in lines[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop" and "citations" in chunks[-1]
    streamed = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert "890" in streamed


def test_openai_python_client_shape_works_with_plain_httpx(api):
    client, _ = api
    r = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": [{"type": "text", "text": "Qui a envoyé la lettre ?"}]}]})
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"]


@pytest.mark.parametrize(
    "body,code",
    [
        ({"question": ""}, "invalid_question"),
        ({"question": "   \n "}, "invalid_question"),
        ({"question": "x" * 5000}, "invalid_question"),
        ({"question": 42}, "invalid_request"),
        ({"question": "ok", "top_k": 0}, "invalid_request"),
        ({"nope": 1}, "invalid_request"),
    ],
)
def test_bad_requests_are_4xx_json(api, body, code):
    client, assistant = api
    before = assistant.store.count()
    r = client.post("/api/ask", json=body)
    assert 400 <= r.status_code < 500
    assert r.json()["error"]["code"] == code
    assert assistant.store.count() == before


def test_invalid_json_and_oversize(api):
    client, _ = api
    r = client.post("/api/ask", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"
    r = client.post("/api/ask", json={"question": "x" * 100_000})
    assert r.status_code == 413 and r.json()["error"]["code"] == "request_too_large"


def test_auth_is_required(api):
    client, _ = api
    url = str(client.base_url)
    assert httpx.post(url + "/api/ask", json={"question": "hi"}).status_code == 401
    assert httpx.get(url + "/api/documents", headers={"Authorization": "Bearer wrong"}).json()["error"]["code"] == "unauthorized"
    # the UI is served by the same process
    assert httpx.get(url + "/").status_code == 200


def test_documents_upload_list_delete(api):
    client, assistant = api
    files = [
        ("files", ("geneve.txt", "Réunion à Genève\n\nLes ministres se sont vus à Genève le 4 mai.\n".encode(), "text/plain")),
        ("files", ("../../evil.txt", b"Texte", "text/plain")),
        ("files", ("bin.txt", b"\x00\x01\x02", "text/plain")),
        ("files", ("latin.txt", "Le ministre a déclaré".encode("latin-1"), "text/plain")),
    ]
    r = client.post("/api/documents", files=files)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["added"] == ["geneve.txt"]
    reasons = {s["path"]: s["reason"] for s in report["skipped"]}
    assert reasons["../../evil.txt"] == "invalid file name"
    assert "binary" in reasons["bin.txt"] and "UTF-8" in reasons["latin.txt"]
    assert (assistant.settings.uploads_dir / "geneve.txt").is_file()
    assert not list(assistant.settings.uploads_dir.parent.glob("evil.txt"))

    r = client.post("/api/documents", json={"articles": [{"id": "wire-1", "text": "Les deux délégations se sont rencontrées à Oslo.", "outlet": "AFP", "date": "2020-01-02"}]})
    assert r.json()["added"] == ["wire-1"]
    docs = {d["doc_id"]: d for d in client.get("/api/documents").json()}
    assert docs["wire-1"]["outlet"] == "AFP" and "geneve.txt" in docs

    assert client.delete("/api/documents/geneve.txt").json() == {"deleted": "geneve.txt"}
    assert client.delete("/api/documents/geneve.txt").status_code == 404
    assert not (assistant.settings.uploads_dir / "geneve.txt").exists()
    assert "geneve.txt" not in {d["doc_id"] for d in client.get("/api/documents").json()}


def test_oversize_upload_is_refused(api):
    client, assistant = api
    before = assistant.store.count()
    r = client.post("/api/documents", files=[("files", ("big.txt", b"a" * (2 * 1024 * 1024), "text/plain"))])
    assert r.status_code == 413
    assert assistant.store.count() == before


def test_health_and_openapi(api):
    client, _ = api
    h = client.get("/api/health")
    assert h.status_code == 200 and h.json()["status"] == "ok"
    assert h.json()["index"]["documents"] >= 5
    spec = client.get("/openapi.json").json()
    assert "/api/ask" in spec["paths"] and "/v1/chat/completions" in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_health_reports_unreachable_llm(tmp_path, shared_embed):
    settings = make_settings(tmp_path, llm_backend="ollama", ollama_host=f"http://127.0.0.1:{free_port()}")
    assistant = Assistant(settings)
    assistant._embed = shared_embed
    server = BackgroundServer(build_app(assistant, with_ui=False), "127.0.0.1", free_port()).start()
    try:
        r = httpx.get(server.url + "/api/health")
        assert r.status_code == 503
        body = r.json()
        assert body["status"] == "degraded" and not body["llm"]["ok"] and not body["index"]["ok"]
        assert body["index"]["error"]["code"] == "index_missing"
    finally:
        server.stop()


def test_exposed_address_requires_keys():
    with pytest.raises(SystemExit):
        check_exposure("0.0.0.0", [])
    check_exposure("0.0.0.0", ["k"])
    check_exposure("127.0.0.1", [])
