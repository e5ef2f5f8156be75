"""Real-browser test of Results' exploring sections (`streamlit run` + headless Chromium): a
what-if edit changes the prediction shown by what ``pc.what_if`` says; the report downloads and
opens offline with its figures drawn; the page's link reopens the view in a fresh context."""
from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

import palstm_core as pc
from test_browser import ARTIFACTS, _browser_page, server  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser


def _pick(page, label: str, option: str) -> None:
    page.locator('[data-testid="stSelectbox"]', has_text=label).locator("input").click()
    page.get_by_role("option", name=option, exact=True).click()


def _train_sample(page, server) -> None:           # noqa: F811 - the fixture's value
    from playwright.sync_api import expect
    page.goto(server)
    page.get_by_role("button", name="Start with sample data").click()
    expect(page.get_by_role("heading", name="2 · Sensor groups")).to_be_visible()
    page.get_by_role("button", name="Next: train →").click()
    expect(page.get_by_role("heading", name="3 · Train")).to_be_visible()
    page.get_by_role("button", name="Train", exact=True).click()
    open_results = page.get_by_role("button", name="Open results →")
    expect(open_results).to_be_visible(timeout=180_000)
    open_results.click()
    expect(page.get_by_role("heading", name="4 · Results")).to_be_visible()
    expect(page.get_by_text("Relevance (weight each input really gets)")).to_be_visible(
        timeout=60_000)


def _query(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


def _open_offline(browser, path) -> None:
    """The downloaded report in a context with the network off: every figure drawn as SVG,
    and no request leaves the file."""
    from playwright.sync_api import expect
    ctx = browser.new_context(offline=True, viewport={"width": 1300, "height": 1600})
    ctx.route(re.compile(r"^(https?|wss?)://"), lambda route: route.abort())
    asked = []
    page = ctx.new_page()
    page.on("request", lambda r: asked.append(r.url))
    page.goto(path.as_uri())
    plots = page.locator(".js-plotly-plot")
    expect(plots).to_have_count(5)          # training curve, predictions, deletion, map, what-if
    for k in range(5):
        expect(plots.nth(k).locator("svg.main-svg").first).to_be_attached()
    expect(page.locator(".js-plotly-plot g.hm image, .js-plotly-plot .heatmaplayer image")
           .first).to_be_attached()
    expect(page.get_by_role("heading", name="What-if edits")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "report-offline.png"))
    assert [u for u in asked if not u.startswith(("file:", "data:", "blob:"))] == []
    ctx.close()


def test_whatif_report_offline_and_link(server, tmp_path):      # noqa: F811
    from playwright.sync_api import expect

    with _browser_page(2400) as page:
        t0 = time.time()
        mark = lambda what: print(f"{time.time() - t0:6.1f} s  {what}")  # noqa: E731
        _train_sample(page, server)
        mark("trained")
        # move the window three steps back: the address bar follows
        expect(page).to_have_url(re.compile(r"[?&]run=.*[?&]t="), timeout=60_000)
        first = _query(page.url)
        thumb = page.locator('[data-testid="stSlider"]', has_text="Prediction time"
                             ).get_by_role("slider")
        thumb.focus()
        for _ in range(3):
            thumb.press("ArrowLeft")
            page.wait_for_timeout(400)
        expect(page).not_to_have_url(re.compile(re.escape(f"t={first['t']}")), timeout=30_000)
        page.wait_for_timeout(1500)
        link, end = _query(page.url), time.time() + 30      # until the address bar settles
        while time.time() < end:                            # (it lags a rerun under load)
            page.wait_for_timeout(2000)
            if _query(page.url) == link:
                break
            link = _query(page.url)
        run = pc.ModelCache(tmp_path / "cache").load(link["run"])
        ds = pc.load_sample("urban")
        t = float(link["t"])
        times = run.predict(ds, part="test")["time"].to_numpy(float)
        i = int(np.argmin(np.abs(times - t)))
        top = run.columns[int(run.explain(ds, part="test").relevance[i].sum(axis=0).argmax())]
        want = pc.what_if([run], ds, t, [pc.Edit([top], "mean")]).table.iloc[0]
        window_caption = page.get_by_text(re.compile(r"^Window \d+ of \d+")).inner_text()
        mark(f"window at {t:g} s, most relevant sensor {top}")

        # what-if: the most relevant sensor at its training mean
        heading = page.get_by_role("heading", name="What if this window had been different?")
        heading.scroll_into_view_if_needed()
        _pick(page, "Change", f"sensor: {top}")
        _pick(page, "How", "set to its training mean")
        page.get_by_role("button", name="Add this edit").click()
        delta = f"{want['change']:+.4g} {run.target_unit}"
        metric = page.locator('[data-testid="stMetric"]', has_text=f"pa_lstm · {run.key[:6]}")
        expect(metric).to_contain_text(delta, timeout=60_000)
        expect(metric).to_contain_text(f"{want['edited']:.4g} {run.target_unit}")
        pair = page.locator(".js-plotly-plot", has=page.get_by_text("relevance: edited window"))
        expect(pair.locator("g.hm image, .heatmaplayer image")).to_have_count(2)
        expect(page.get_by_text("Traceback")).to_have_count(0)
        page.wait_for_timeout(1000)
        heading.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.screenshot(path=str(ARTIFACTS / "results-whatif.png"))
        mark(f"edit: {delta}")

        # pin it, prepare the report, download it, open it offline
        page.get_by_role("button", name="Pin this what-if for the report").click()
        expect(page.get_by_text("1 what-if(s) pinned")).to_be_visible()
        page.get_by_role("button", name="Prepare the report").click()
        download_btn = page.get_by_role("button", name=re.compile("Download the report"))
        expect(download_btn).to_be_visible(timeout=120_000)
        with page.expect_download() as got:
            download_btn.click()
        path = tmp_path / "report.html"
        got.value.save_as(path)
        assert path.stat().st_size > 1_000_000                  # plotly.js is inside
        mark("report downloaded")
        _open_offline(page.context.browser, path)
        mark("report drawn offline")

        # the copied link in a fresh context: Results at that window, no warning
        url = page.locator('[data-testid="stCode"]').filter(has_text="run=").inner_text().strip()
        assert _query(url) == link
        ctx = page.context.browser.new_context(viewport={"width": 1500, "height": 1800})
        fresh = ctx.new_page()
        fresh.goto(server + "/Results?" + urlparse(url).query)
        expect(fresh.get_by_role("heading", name="4 · Results")).to_be_visible()
        expect(fresh.get_by_text(window_caption)).to_be_visible(timeout=60_000)
        expect(fresh.get_by_text("This link is")).to_have_count(0)
        expect(fresh.get_by_text("Traceback")).to_have_count(0)
        assert _query(fresh.url)["t"] == link["t"]
        fresh.screenshot(path=str(ARTIFACTS / "results-from-link.png"))
        ctx.close()
        mark("link restored")
