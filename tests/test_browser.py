"""Real-browser test: `streamlit run app.py` driven by headless Chromium through the whole flow
sample data → sensor groups → train a tiny model → results with both attention heatmaps; also
the PEMS + OBD merge on the Data page and the Learn page."""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT, TINY

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing")
    pytest.importorskip("playwright.sync_api")
    port = _free_port()
    env = {**os.environ, "PALSTM_LANG": "",       # the browser's language decides
           "PALSTM_CACHE_DIR": str(tmp_path / "cache"), "PALSTM_UI_DEFAULTS": TINY,
           "PALSTM_TORCH_THREADS": "1", "OMP_NUM_THREADS": "1",
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    streamlit = shutil.which("streamlit", path=str(Path(sys.executable).parent)) or "streamlit"
    log_path = tmp_path / "streamlit.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(                      # with the shipped .streamlit/config.toml
        [streamlit, "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        end = time.time() + 60
        while time.time() < end:
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=2)
                break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.3)
        else:
            pytest.fail("streamlit did not start:\n" + log_path.read_text())
        if proc.poll() is not None:
            pytest.fail("streamlit exited:\n" + log_path.read_text())
        yield url
    finally:
        proc.terminate()
        log.flush()                               # shown by pytest when the test fails
        print("streamlit.log (last 40 lines):\n" + "\n".join(
            log_path.read_text(errors="replace").splitlines()[-40:]))
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextlib.contextmanager
def _browser_page(height: int, locale: str = "en-US"):
    """A headless Chromium page (1500 px wide, browser language ``locale``); a full-page
    failure.png and the page's console errors when the test fails."""
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    expect.set_options(timeout=60_000)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": height}, locale=locale)
        page.set_default_timeout(60_000)
        console: list[str] = []
        page.on("pageerror", lambda e: console.append(f"page error: {e}"))
        page.on("console", lambda m: console.append(f"console {m.type}: {m.text}")
                if m.type in ("error", "warning") else None)
        try:
            yield page
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "failure.png"), full_page=True)
            print("browser console:\n" + "\n".join(console[-40:]))
            raise
        finally:
            browser.close()


class Words:
    """What the browser test looks for, in the language of the run: whole messages through
    the catalog (``w("1 · Data")``), fragments of longer ones given in both languages."""

    def __init__(self, lang: str):
        self.lang = lang

    def __call__(self, msgid: str, **fields) -> str:
        from palstm_core import i18n
        with i18n.language(self.lang):
            return str(i18n._(msgid, **fields))

    def part(self, en: str, ko: str) -> str:
        return ko if self.lang == "ko" else en

    def shot(self, name: str) -> str:
        return str(ARTIFACTS / (name if self.lang == "en" else name.replace(".png", "-ko.png")))


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_sample_to_trained_pa_lstm_with_heatmaps(server, lang):
    """The whole flow; once in English and once in Korean (a ko-KR browser: the default
    language comes from the browser when PALSTM_LANG is not set)."""
    from playwright.sync_api import expect

    w = Words(lang)
    with _browser_page(2300, locale="ko-KR" if lang == "ko" else "en-US") as page:
        t0 = time.time()
        mark = lambda what: print(f"{time.time() - t0:6.1f} s  {what}")  # noqa: E731
        # a bad upload is explained in plain words, not a traceback
        page.goto(server + "/Data")
        expect(page.get_by_role("heading", name=w("1 · Data"))).to_be_visible()
        page.get_by_role("tab", name=w("Upload CSV")).click()
        page.get_by_label(w("Drive file (CSV, Parquet, xlsx or MF4)"), exact=True).locator('input[type="file"]'
                                                             ).set_input_files(
            files=[{"name": "broken.csv", "mimeType": "text/csv",
                    "buffer": b"speed,rpm\n1,2\n3,4\n"}])
        expect(page.get_by_text(w.part("This file could not be used",
                                       "이 파일은 쓸 수 없습니다"))).to_be_visible()
        expect(page.get_by_text(w.part("at least 60", "60")).first).to_be_visible()
        expect(page.get_by_text("Traceback")).to_have_count(0)
        page.screenshot(path=w.shot("data-bad-upload.png"))
        mark("bad upload")

        # PEMS + OBD from two files: the split sample, merged with its analyzer delay found
        page.get_by_text(w("PEMS + OBD from two files")).click()
        page.get_by_text(w.part("Use the split sample (urban", "분할 샘플 사용")).click()
        page.get_by_role("button", name=w("Merge the two files")).click()
        expect(page.get_by_text(w("Analyzer delay"), exact=True)).to_be_visible()
        expect(page.get_by_text(w("Correlation of PEMS {pems} with OBD {obd}", pems="CO2",
                                  obd="fuel_rate"))).to_be_visible()
        expect(page.get_by_text("Traceback")).to_have_count(0)
        page.wait_for_timeout(800)
        merge = page.locator('[data-testid="stExpander"]',
                             has=page.get_by_text(w.part("Merged drive:", "병합된 주행:"))).first
        merge.screenshot(path=w.shot("data-merge.png"))
        mark("merge")

        page.goto(server)
        expect(page.get_by_role("heading", name=w("PA-LSTM Explorer"))).to_be_visible()
        mark("home")
        page.get_by_role("button", name=w("Start with sample data")).click()

        expect(page.get_by_role("heading", name=w("2 · Sensor groups"))).to_be_visible()
        expect(page.get_by_text(w.part("Ready: predict", "준비 완료"))).to_be_visible()
        expect(page.get_by_text(w.part("simulated sample drive", "시뮬레이션 샘플 주행")).first
               ).to_be_visible()
        mark("groups")
        page.wait_for_timeout(800)
        page.screenshot(path=w.shot("groups.png"))
        page.get_by_role("button", name=w("Next: train →")).click()

        expect(page.get_by_role("heading", name=w("3 · Train"))).to_be_visible()
        page.get_by_role("button", name=w("Train"), exact=True).click()
        open_results = page.get_by_role("button", name=w("Open results →"))
        expect(open_results).to_be_visible(timeout=180_000)
        expect(page.get_by_text("RMSE").first).to_be_visible()
        mark("trained")
        page.screenshot(path=w.shot("train.png"))
        open_results.click()

        expect(page.get_by_role("heading", name=w("4 · Results"))).to_be_visible()
        relevance = w("relevance (weight each input really gets)")
        feature = page.get_by_text(relevance[:1].upper() + relevance[1:])
        temporal = page.get_by_text(w("Temporal attention (which time step)"))
        expect(feature).to_be_visible(timeout=60_000)
        expect(temporal.first).to_be_visible()
        # the heatmap is drawn (plotly renders heatmaps into an <image> layer)
        att_plot = page.locator(".js-plotly-plot", has=feature)
        expect(att_plot.locator("g.hm image, .heatmaplayer image").first).to_be_attached()
        mark("heatmaps")
        expect(page.get_by_text(w.part("Which sensor groups matter", "어느 센서 그룹이 중요한가"))
               ).to_be_visible()
        expect(page.get_by_text("Traceback")).to_have_count(0)
        heading = page.get_by_role("heading", name=w("One prediction and which inputs mattered"))
        heading.scroll_into_view_if_needed()
        page.wait_for_timeout(1500)                                     # let plots settle
        page.screenshot(path=w.shot("results.png"), full_page=True)
        block = page.locator('[data-testid="stHorizontalBlock"]', has=feature).last
        block.screenshot(path=w.shot("results-attention.png"))
        # α is one click away, labelled as what it is
        page.get_by_text(w("feature attention α"), exact=True).click()
        expect(page.get_by_text(w("Feature attention (which sensor, when)"))).to_be_visible()
        expect(page.get_by_text(w.part("not a which-sensor-when map",
                                       "'어떤 센서를 언제' 보여 주는 맵이 아닙니다")).first
               ).to_be_visible()

        # side by side: relevance vs integrated gradients of the same window, agreement
        pair = page.get_by_role("heading", name=w("Two maps of the same window, side by side"))
        pair.scroll_into_view_if_needed()
        expect(page.get_by_text(w("Agreement (Spearman ρ of the cells)"))).to_be_visible(
            timeout=60_000)
        expect(page.get_by_text(re.compile(r"ρ = -?\d\.\d\d"))).to_be_visible()
        pair_plot = page.locator(".js-plotly-plot", has=page.get_by_text(
            "— " + w("integrated gradients")))
        expect(pair_plot.locator("g.hm image, .heatmaplayer image")).to_have_count(2)
        expect(page.get_by_text("Traceback")).to_have_count(0)
        pair.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(1500)
        box = pair.bounding_box()                                       # viewport coords
        page.screenshot(path=w.shot("results-side-by-side.png"),
                        clip={"x": 0, "y": max(0, box["y"] - 10), "width": 1500,
                              "height": 1100})
        # the deletion score of the chosen map
        page.get_by_role("button", name=w("Score this map (deletion curve)")).click()
        expect(page.get_by_text(re.compile(w.part("Area under the curve", "곡선 아래 면적")))
               ).to_be_visible(timeout=120_000)
        expect(page.get_by_text(w.part("random order (area", "무작위 순서 (면적")).first
               ).to_be_attached()
        mark("side by side + deletion score")

        # the Learn page: its little LSTM/GRU train, then every section renders
        page.goto(server + "/Learn")
        expect(page.get_by_role("heading", name=w("1. Inside an LSTM cell"))).to_be_visible()
        expect(page.get_by_text(w("Sample drive (simulated)"))).to_be_visible()
        expect(page.get_by_role("heading", name=re.compile(w.part(
            r"The gate equations at step t = \d+", r"스텝 t = \d+의 게이트 수식")))
               ).to_be_visible(timeout=120_000)
        sections = w.part(("2. LSTM vs GRU", "3. Why gates help", "4. Attention",
                           "5. Why grouped (parallel) attention", "6. Attention vs attribution"),
                          ("2. LSTM과 GRU", "3. 게이트가 왜", "4. 어텐션", "5. 왜 그룹별(병렬)",
                           "6. 어텐션과 귀속"))
        for name in sections:
            expect(page.get_by_role("heading", name=re.compile("^" + re.escape(name)))
                   ).to_be_attached(timeout=120_000)
        expect(page.locator(".js-plotly-plot").first).to_be_visible()
        expect(page.get_by_text("Traceback")).to_have_count(0)
        page.wait_for_timeout(1500)                                     # let plots settle
        page.screenshot(path=w.shot("learn.png"), full_page=True)
        mark("learn")


REAL = ROOT.parent / "shared" / "real-logs"
TRIPS = ["Mazda 3 2016 (July 2019)", "Toyota Corolla 2019 (August 2019)"]
# the Toyota folder holds two recordings 5.6 h apart: two drives (issue 26)
DRIVES = [TRIPS[0], f"{TRIPS[1]} part 1", f"{TRIPS[1]} part 2"]


@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/real-logs/ is not here")
def test_campaign_zip_of_real_trips_test_on_one_trip(server, tmp_path):
    """Upload a zip of the two real trip folders (OBD/ + PEMS/ each) -> both load and merge,
    the Toyota's two recordings as two drives -> tick the Toyota's first part as test drive ->
    CO2 from the other channels -> tiny PA-LSTM -> Results shows that drive's metrics."""
    import zipfile

    from playwright.sync_api import expect

    zpath = tmp_path / "trips.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        for trip in TRIPS:                              # the trip folders only, not processed/
            for f in sorted((REAL / trip).rglob("*")):
                if f.is_file():
                    zf.write(f, f.relative_to(REAL).as_posix())
    with _browser_page(2000) as page:
        page.goto(server + "/Data")
        expect(page.get_by_role("heading", name="1 · Data")).to_be_visible()
        page.get_by_text("Several drives (campaign)").click()
        page.get_by_label("Drive files or a zip").locator('input[type="file"]'
                                                          ).set_input_files(str(zpath))
        expect(page.get_by_text("Campaign: trips.zip (3 drives)")).to_be_visible(
            timeout=120_000)
        expect(page.get_by_text("3 drive(s) loaded from 'trips.zip'").first).to_be_visible()
        table = page.locator('[data-testid="stDataFrame"]').first
        for drive in DRIVES:                        # the drive table: every drive
            expect(table.get_by_text(drive, exact=True)).to_be_attached()
        # tick the Toyota's first part (second row; the checkbox is drawn in the centre of the
        # first column)
        box = table.bounding_box()
        page.mouse.click(box["x"] + 50, box["y"] + 35 + 35 + 17.5)    # its centre
        expect(page.get_by_text(f"Chosen: {DRIVES[1]}.")).to_be_visible()
        expect(page.get_by_text("Traceback")).to_have_count(0)
        page.wait_for_timeout(800)
        section = page.locator('[data-testid="stExpander"]',
                               has=page.get_by_text("Campaign: trips.zip")).first
        section.screenshot(path=str(ARTIFACTS / "campaign-data.png"))

        page.get_by_role("link", name="Sensor groups").click()     # same session
        expect(page.get_by_role("heading", name="2 · Sensor groups")).to_be_visible()
        page.locator('[data-testid="stSelectbox"]',
                     has_text="Target (what to predict)").locator("input").click()
        page.get_by_role("option", name="CO2", exact=True).click()
        expect(page.get_by_text("Ready: predict CO2")).to_be_visible()
        page.get_by_role("button", name="Next: train →").click()

        expect(page.get_by_role("heading", name="3 · Train")).to_be_visible()
        expect(page.get_by_text(f"test drive(s) {DRIVES[1]} are held out")).to_be_visible()
        page.get_by_role("button", name="Train", exact=True).click()
        open_results = page.get_by_role("button", name="Open results →")
        expect(open_results).to_be_visible(timeout=240_000)
        open_results.click()

        expect(page.get_by_role("heading", name="4 · Results")).to_be_visible()
        expect(page.get_by_role("heading", name="Metrics per drive")).to_be_visible()
        expect(page.get_by_text("Each test drive was held out whole")).to_be_visible()
        metrics = page.locator('[data-testid="stDataFrame"]').first
        expect(metrics.get_by_text(DRIVES[1], exact=True)).to_be_attached()
        texts = metrics.locator('[role="gridcell"]').all_inner_texts()
        assert texts[0] == DRIVES[1], texts
        rmse, r2 = float(texts[1]), float(texts[4])
        assert 0 < rmse < 100 and -10 < r2 <= 1, texts       # real numbers, CO2 in %
        expect(page.get_by_text("Relevance (weight each input really gets)")).to_be_visible()
        expect(page.get_by_text("Traceback")).to_have_count(0)
        page.wait_for_timeout(1500)                                     # let plots settle
        page.screenshot(path=str(ARTIFACTS / "campaign-results.png"))
