"""Real-browser test (issue 22): the seq2seq, transformer and rnn models train from the Train
page, and the seq2seq and transformer runs show their own temporal attention on the Results
page; a 3-step run set on the Sensor groups page trains and opens with its fan of forecasts.
Same server and browser set-up as test_browser.py."""
from __future__ import annotations

import re

import pytest

import palstm_core as pc
from test_browser import ARTIFACTS, _browser_page, server  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser
NEW = ("seq2seq", "transformer", "rnn")


def test_new_models_train_from_the_browser_and_show_their_attention(server):  # noqa: F811
    from playwright.sync_api import expect

    with _browser_page(2000) as page:
        page.goto(server)
        expect(page.get_by_role("heading", name="PA-LSTM Explorer")).to_be_visible()
        page.get_by_role("button", name="Start with sample data").click()
        expect(page.get_by_role("heading", name="2 · Sensor groups")).to_be_visible()
        page.get_by_role("button", name="Next: train →").click()
        expect(page.get_by_role("heading", name="3 · Train")).to_be_visible()
        models = page.locator('[data-testid="stMultiSelect"]').first
        for name in NEW:                          # the Models list comes from pc.MODELS
            models.locator("input").click()
            page.keyboard.type(f"{name} — {pc.MODELS[name].description[:12]}")   # one option
            page.keyboard.press("Enter")
            expect(models.get_by_text(re.compile("^" + name + " — "))).to_be_visible()
        page.keyboard.press("Escape")
        page.get_by_role("button", name="Train", exact=True).click()
        expect(page.get_by_role("button", name="Open results →")).to_be_visible(timeout=300_000)
        for name in NEW:
            expect(page.get_by_text(re.compile("^" + name + r" trained in"))).to_be_visible()
        expect(page.get_by_text("Traceback")).to_have_count(0)
        page.screenshot(path=str(ARTIFACTS / "train-new-models.png"), full_page=True)
        page.get_by_role("button", name="Open results →").click()
        expect(page.get_by_role("heading", name="4 · Results")).to_be_visible()
        for name in ("seq2seq", "transformer"):
            box = page.locator('[data-testid="stSelectbox"]',
                               has=page.get_by_text("Run to explain")).first
            box.locator("input").click()
            page.keyboard.type(name + " (")
            page.keyboard.press("Enter")
            expect(page.get_by_text(re.compile("^" + name + r" has temporal attention only"))
                   ).to_be_visible(timeout=120_000)
            # the map of the window: the attribution heatmap with the model's own temporal
            # attention under it (plots.map_window_figure)
            expect(page.get_by_text("Temporal attention (which time step)").first).to_be_attached(
                timeout=120_000)
            expect(page.get_by_text("Traceback")).to_have_count(0)
            page.screenshot(path=str(ARTIFACTS / f"results-{name}.png"), full_page=True)


def test_multi_step_run_trains_from_the_browser_and_shows_its_fan(server):  # noqa: F811
    """Forecast steps 3 on the Sensor groups page, a seq2seq trained from the Train page, and
    its Results: the fan from the chosen window, the error by step, the decoder × encoder map."""
    from playwright.sync_api import expect

    with _browser_page(2000) as page:
        page.goto(server)
        page.get_by_role("button", name="Start with sample data").click()
        expect(page.get_by_role("heading", name="2 · Sensor groups")).to_be_visible()
        steps = page.get_by_role("spinbutton",
                                 name="Forecast steps (values predicted from one window)")
        steps.fill("3")
        steps.press("Enter")
        expect(page.get_by_text(re.compile(r"3 forecast steps\."))).to_be_visible()
        page.get_by_role("button", name="Next: train →").click()
        # the Train page's own sentence (the Groups page's "… 3 forecast steps." can still be
        # on the screen while the Train page draws, so it proves nothing here)
        expect(page.get_by_text(re.compile(r"3 forecast steps from every window"))).to_be_visible()
        models = page.locator('[data-testid="stMultiSelect"]').first
        models.locator("input").click()
        page.keyboard.type(f"seq2seq — {pc.MODELS['seq2seq'].description[:12]}")
        page.keyboard.press("Enter")
        page.keyboard.press("Escape")
        page.get_by_role("button", name="Train", exact=True).click()
        expect(page.get_by_role("button", name="Open results →")).to_be_visible(timeout=300_000)
        expect(page.get_by_text(re.compile(r"^seq2seq trained in"))).to_be_visible()
        page.get_by_role("button", name="Open results →").click()
        expect(page.get_by_role("heading", name="4 · Results")).to_be_visible()
        box = page.locator('[data-testid="stSelectbox"]', has=page.get_by_text("Run to explain"))
        box.first.locator("input").click()
        page.keyboard.type("seq2seq (")
        page.keyboard.press("Enter")
        for heading in ("Forecast of the next 3 steps from the chosen window",
                        "Error by forecast step", "The model's own attention in this window"):
            expect(page.get_by_role("heading", name=heading)).to_be_visible(timeout=120_000)
        expect(page.get_by_text(re.compile("which encoder step each decoder step reads")).first
               ).to_be_attached(timeout=120_000)
        expect(page.get_by_text("Traceback")).to_have_count(0)
        page.screenshot(path=str(ARTIFACTS / "results-multi-step.png"), full_page=True)
