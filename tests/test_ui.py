"""The Gradio app driven in a real headless Chromium (Debian package) by Playwright.

Screenshots of each state go to artifacts/screenshots/ (kept by CI as test artifacts).
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from assistant import Assistant
from assistant.server import BackgroundServer, build_app
from assistant.ui import EXAMPLES
from tests.conftest import CORPUS, ROOT, free_port, make_settings

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
SHOTS = ROOT / "artifacts" / "screenshots"
LONG = 240_000  # ms: an answer on a loaded 2-core machine


@pytest.fixture(scope="module")
def ui_assistant(tmp_path_factory, shared_embed):
    assistant = Assistant(make_settings(tmp_path_factory.mktemp("ui")))
    assistant._embed = shared_embed
    assistant.ingest([CORPUS], progress=False)
    return assistant


class _Served:
    """The production app (API + UI mounted, as `python app.py` serves it) on a loopback port."""

    def __init__(self, assistant):
        self.server = BackgroundServer(build_app(assistant, with_ui=True), "127.0.0.1", free_port()).start()

    def close(self):
        self.server.stop()


def _serve(assistant):
    served = _Served(assistant)
    return served, served.server.url + "/"


@pytest.fixture(scope="module")
def app_url(ui_assistant):
    demo, url = _serve(ui_assistant)
    yield url
    demo.close()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install the Debian package `chromium` (.ci/run does)")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, app_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.goto(app_url)
    pg.wait_for_selector("#question textarea")
    yield pg
    context.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def ask(page, question: str) -> None:
    page.fill("#question textarea", question)
    page.click("#ask")


def last_bot(page):
    return page.locator('#chat [data-testid="bot"]').last


def test_example_answer_with_clickable_citation(page):
    shot(page, "01-empty-chat")
    page.get_by_text(EXAMPLES[0]).first.click()
    page.wait_for_selector("#chat a.cite", timeout=LONG)
    assert page.locator('#chat [data-testid="user"]').first.inner_text().strip() == EXAMPLES[0]
    assert page.locator("#sources .source-card").count() >= 1
    shot(page, "02-answer-with-citations")

    page.locator("#chat a.cite").first.click()
    active = page.locator("#sources .source-card.active")
    active.wait_for(timeout=10_000)
    mark = active.locator("mark")
    assert mark.is_visible()
    assert len(mark.inner_text()) > 40  # the cited passage, highlighted inside its article text
    assert active.locator(".context").inner_text() != mark.inner_text()  # shown with surrounding text
    shot(page, "03-citation-clicked")

    page.click("#details button, #details .label-wrap")
    assert "Timings" in page.locator("#details-body").inner_text(timeout=10_000)


def test_unanswerable_question_shows_abstention(page):
    ask(page, "What is the recipe for a chocolate cake?")
    bot = last_bot(page)
    bot.get_by_text("do not contain").wait_for(timeout=LONG)
    assert "⚠️" not in bot.inner_text()  # an abstention, not an error
    assert page.locator("#chat a.cite").count() == 0
    shot(page, "04-abstention")


def test_upload_lists_the_article_and_rejects_bad_files(page, tmp_path):
    good = tmp_path / "vienne.txt"
    good.write_text("Rencontre diplomatique à Vienne\n\nLes diplomates russes et américains se sont retrouvés à Vienne le 3 mars pour parler de la Syrie.\n")
    bad = tmp_path / "binaire.txt"
    bad.write_bytes(b"\x00\x01\x02binary")
    page.get_by_role("tab", name="Library").click()
    page.set_input_files("#upload input[type=file]", [str(good), str(bad)])
    page.click("#add-files")
    report = page.locator("#upload-report")
    report.get_by_text("Added").wait_for(timeout=LONG)
    text = report.inner_text()
    assert "vienne.txt" in text and "binaire.txt" in text and "binary" in text
    page.locator("#library").get_by_text("Rencontre diplomatique à Vienne").wait_for(timeout=10_000)
    shot(page, "05-library-upload")


def test_script_in_an_article_does_not_run(page, tmp_path):
    evil = tmp_path / "evil.txt"
    evil.write_text(
        "Sommet secret à Oslo\n\nLes ministres se sont réunis à Oslo le 9 avril pour discuter du pétrole syrien. "
        '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> Ils ont signé un protocole sur le pétrole à Oslo.\n'
    )
    page.get_by_role("tab", name="Library").click()
    page.set_input_files("#upload input[type=file]", [str(evil)])
    page.click("#add-files")
    page.locator("#upload-report").get_by_text("evil.txt").wait_for(timeout=LONG)
    page.get_by_role("tab", name="Ask").click()
    ask(page, "Où les ministres se sont-ils réunis le 9 avril pour parler du pétrole ?")
    page.wait_for_function("document.querySelector('#sources') && document.querySelector('#sources').innerText.includes('Oslo')", timeout=LONG)
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#sources script, #sources img").count() == 0
    assert "<script>" in page.locator("#sources").inner_text()  # shown as text
    shot(page, "06-escaped-script")


def test_two_users_keep_separate_conversations(browser, app_url):
    pages = []
    for _ in range(2):
        ctx = browser.new_context()
        pg = ctx.new_page()
        pg.goto(app_url)
        pg.wait_for_selector("#question textarea")
        pages.append(pg)
    questions = ["Combien de citoyens syriens pourraient rentrer dans leur pays ?", "Where was John Kerry when he spoke about military options?"]
    for pg, q in zip(pages, questions):
        ask(pg, q)
    for pg in pages:
        pg.wait_for_function("document.querySelectorAll('#chat [data-testid=\"bot\"]').length >= 1 && !document.querySelector('#chat .pending, #chat .generating')", timeout=LONG)
        pg.wait_for_selector('#chat [data-testid="bot"] a.cite, #chat [data-testid="bot"] em', timeout=LONG)
    for pg, mine, other in ((pages[0], questions[0], questions[1]), (pages[1], questions[1], questions[0])):
        users = [u.strip() for u in pg.locator('#chat [data-testid="user"]').all_inner_texts()]
        assert users == [mine]
        assert other not in pg.locator("#chat").inner_text()
    shot(pages[0], "07-user-a")
    shot(pages[1], "08-user-b")
    for pg in pages:
        pg.context.close()


def test_unreachable_llm_is_plain_words(browser, ui_assistant):
    settings = ui_assistant.settings.model_copy(update={"llm_backend": "ollama", "ollama_host": f"http://127.0.0.1:{free_port()}", "ollama_timeout": 5})
    broken = Assistant(settings)
    broken._embed = ui_assistant.embed_model
    demo, url = _serve(broken)
    try:
        ctx = browser.new_context()
        pg = ctx.new_page()
        pg.goto(url)
        pg.wait_for_selector("#question textarea")
        ask(pg, "Who was accused of leaking the letter?")
        bot = last_bot(pg)
        bot.get_by_text("cannot connect").wait_for(timeout=LONG)
        assert "Traceback" not in pg.content()
        shot(pg, "09-llm-unreachable")
        ctx.close()
    finally:
        demo.close()


def test_login_protects_the_app(ui_assistant):
    settings = ui_assistant.settings.model_copy(update={"ui_user": "editor", "ui_password": SecretStr("s3cret")})
    guarded = Assistant(settings)
    guarded._embed = ui_assistant.embed_model
    demo, url = _serve(guarded)
    try:
        assert httpx.get(url + "config").status_code == 401
        assert httpx.post(url + "login", data={"username": "editor", "password": "wrong"}).status_code >= 400
        with httpx.Client() as client:
            assert client.post(url + "login", data={"username": "editor", "password": "s3cret"}).status_code == 200
            assert client.get(url + "config").status_code == 200
    finally:
        demo.close()
