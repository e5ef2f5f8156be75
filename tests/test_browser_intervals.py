"""Real-browser test (issue 23): after the Demo button (sample drive, tiny model trained in the
browser session), the Results page draws the
prediction interval band and the early warning's trade-off curve (hit rate against false alarms
as the alarm probability moves). Same server and browser set-up as test_browser.py."""
from __future__ import annotations

import re

import pytest

from test_browser import ARTIFACTS, _browser_page, server  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser


def test_results_draw_the_band_and_the_tradeoff_curve(server):  # noqa: F811
    from playwright.sync_api import expect

    with _browser_page(2000) as page:
        page.goto(server)
        expect(page.get_by_role("heading", name="PA-LSTM Explorer")).to_be_visible()
        page.get_by_role("button", name="Demo").click()           # sample, train, open Results
        expect(page.get_by_role("heading", name="4 · Results")).to_be_visible(timeout=240_000)
        # the band on the predictions plot and its coverage next to the nominal level
        pred_plot = page.locator(".js-plotly-plot", has=page.get_by_text(
            re.compile(r"90% interval"))).first
        expect(pred_plot).to_be_attached(timeout=60_000)
        expect(pred_plot.locator("path.js-fill").first).to_be_attached()
        expect(page.get_by_text(re.compile(r"Coverage on the test span: \d+\.\d%"))).to_be_visible()
        page.get_by_role("heading", name=re.compile("^Predicted vs actual")).evaluate(
            "e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(1000)
        page.screenshot(path=str(ARTIFACTS / "results-band.png"))
        # the warning section: its trade-off curve, one marker per alarm probability
        heading = page.get_by_role("heading", name="High-emission early warning")
        heading.scroll_into_view_if_needed()
        curve = page.locator(".js-plotly-plot", has=page.get_by_text("false alarms (count)"))
        expect(curve).to_be_visible(timeout=60_000)
        expect(curve.get_by_text("hit rate (crossings warned in time)")).to_be_attached()
        expect(curve.locator("g.scatterlayer path.point").nth(18)).to_be_attached()
        expect(page.get_by_text("Mean warning time")).to_be_visible()
        expect(page.get_by_text("Traceback")).to_have_count(0)
        heading.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(1500)                                     # let plots settle
        page.screenshot(path=str(ARTIFACTS / "results-warning.png"))
