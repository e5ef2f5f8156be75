"""Session state has one owner (pages/_shared/keys.py): every key a page writes is declared once
with its lifetime; kept settings survive a page change; what belongs to the data is forgotten
when new data is loaded (AppTest, tiny models from PALSTM_UI_DEFAULTS)."""
from __future__ import annotations

import ast

import numpy as np
import pytest

from conftest import ROOT, wait_for_job
from pages._shared import keys
from pages._shared.session import DATA, PAGE, SESSION, UPLOAD_SIZE, Memo

HOME, DATA_PAGE, GROUPS, TRAIN, RESULTS, DOWNLOADS, LEARN = (
    "app.py", "pages/1_Data.py", "pages/2_Sensor_groups.py", "pages/3_Train.py",
    "pages/4_Results.py", "pages/5_Downloads.py", "pages/6_Learn.py")


def checked(at):
    """``at`` after a run: no exception, and every session key it holds is declared."""
    assert not at.exception, [e.value for e in at.exception]
    undeclared = sorted(str(k) for k in at.session_state if keys.declared(k) is None)
    assert undeclared == [], f"session keys written but not declared in keys.py: {undeclared}"
    return at


def train(at, models=("pa_lstm",)):
    at = checked(at.switch_page(GROUPS).run())
    assert at.session_state["grouping"]
    at = checked(at.switch_page(TRAIN).run())
    at.multiselect(key="trainset_models").set_value(list(models)).run()
    at = checked(at.button(key="start_training").click().run())
    return checked(wait_for_job(at))


def walk_results_and_downloads(at):
    """Results (a few of its widgets) and Downloads (an attribution on a click)."""
    at = checked(at.switch_page(RESULTS).run())
    assert not at.error, [e.value for e in at.error]
    at = checked(at.radio(key="res_map").set_value("integrated_gradients").run())
    at = checked(at.button(key="peak_btn").click().run())
    at = checked(at.selectbox(key="res_other").set_value("motorway").run())
    at = checked(at.switch_page(DOWNLOADS).run())
    at = checked(at.button(key="dl_ready_integrated_gradients").click().run())
    assert "Integrated gradients CSV" in [b.proto.label for b in at.get("download_button")]
    return at


# ---------------------------------------------------------------------------- the walk
def test_every_page_writes_only_declared_keys(app, small_ds):
    at = checked(app.run())
    at = checked(at.button(key="start_sample").click().run())          # -> Sensor groups
    # Data: a sample, pasted text, the split sample merged, cleaning on and off
    at = checked(at.switch_page(DATA_PAGE).run())
    at.selectbox(key="sample_name").set_value("motorway")
    at = checked(at.button(key="load_sample").click().run())
    at.text_area(key="paste_text").input("speed,rpm\n1,2\n")
    at = checked(at.button(key="load_paste").click().run())             # a DataError, shown
    at = checked(at.toggle(key="mergeopt_sample").set_value(True).run())
    at = checked(at.button(key="merge_btn").click().run())
    at = checked(at.toggle(key="clean_on").set_value(True).run())
    at = checked(at.toggle(key="clean_on").set_value(False).run())
    # Sensor groups: add, delete; the window
    at.session_state["ds"] = small_ds
    at = checked(at.switch_page(GROUPS).run())
    at.text_input(key="new_group_name").input("spare")
    at = checked(at.button(key="add_group").click().run())
    at = checked(at.button(key=f"gdel_{at.session_state['group_rows'][-1]}").click().run())
    at = checked(at.number_input(key="lookback_in").set_value(8).run())
    # Train a tiny run, then Results and Downloads render fully
    at = train(at)
    at = walk_results_and_downloads(at)
    # Learn
    at = checked(at.switch_page(LEARN).run())
    at = checked(at.slider(key="step").set_value(5).run())
    # a campaign: sample campaign, test drives, train, Results per drive, Downloads
    at = checked(at.switch_page(DATA_PAGE).run())
    at = checked(at.button(key="load_campaign_sample").click().run())
    at.session_state["campaign_test"] = ["trip03_rural", "trip06_rural"]
    at = checked(at.run())
    at = train(at)
    at = walk_results_and_downloads(at)
    assert at.session_state["res_drive"] == "trip03_rural"
    # another drive of the campaign: the warning threshold starts again from that drive
    at = checked(at.switch_page(RESULTS).run())
    at = checked(at.number_input(key="res_threshold").set_value(123.0).run())
    at = checked(at.selectbox(key="res_drive").set_value("trip06_rural").run())
    assert at.number_input(key="res_threshold").value != 123.0
    at = checked(at.switch_page(HOME).run())


def test_declarations_are_unique_and_have_a_lifetime():
    every = keys.all_keys()
    assert len({k.name for k in every}) == len(every)
    assert {k.life for k in every} == {PAGE, SESSION, DATA}
    assert keys.declared("gname_12").name == "gname_" and keys.declared("nope") is None
    # what the issue named: Tune settings kept, the threshold and the groups tied to the data
    assert keys.Train.tuneset_trials.life == keys.Train.tuneset_seconds.life == SESSION
    assert keys.Results.res_threshold.life == DATA
    assert keys.Groups.gname_.life == keys.Groups.gcols_.life == DATA


def _page_files():
    return [ROOT / "app.py", *sorted((ROOT / "pages").rglob("*.py"))]


def test_pages_touch_session_state_only_through_the_keys():
    """Only session.py and keys.py use st.session_state; a widget key in a page is a declared
    key (``key=K.name``), not a string; literal keys are only element keys of charts/tables."""
    owners = {ROOT / "pages" / "_shared" / "session.py", ROOT / "pages" / "_shared" / "keys.py"}
    problems = []
    for path in _page_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr == "session_state"
                    and path not in owners):
                problems.append(f"{path.name}:{node.lineno} uses st.session_state")
            if not isinstance(node, ast.Call):
                continue
            func = node.func.attr if isinstance(node.func, ast.Attribute) else ""
            for kw in node.keywords:
                if kw.arg == "key" and isinstance(kw.value, (ast.Constant, ast.JoinedStr)) \
                        and func not in ("plotly_chart", "dataframe"):
                    problems.append(f"{path.name}:{node.lineno} {func}(key=<literal>)")
    assert problems == []


# ---------------------------------------------------------------------------- lifetimes
def test_tune_and_train_settings_survive_a_page_change(app, small_ds):
    at = app.run()
    at.session_state["ds"] = small_ds
    at = checked(at.switch_page(GROUPS).run())
    at = checked(at.switch_page(TRAIN).run())
    at.number_input(key="trainset_hidden").set_value(12)
    at = checked(at.radio(key="trainset_mode").set_value("Tune").run())
    at.number_input(key="tuneset_trials").set_value(3)
    at = checked(at.number_input(key="tuneset_seconds").set_value(45).run())
    for other in (RESULTS, LEARN, DATA_PAGE):
        at = checked(at.switch_page(other).run())
        at = checked(at.switch_page(TRAIN).run())
        assert at.radio(key="trainset_mode").value == "Tune", other
        assert at.number_input(key="tuneset_trials").value == 3, other
        assert at.number_input(key="tuneset_seconds").value == 45, other
        assert at.number_input(key="trainset_hidden").value == 12, other


def test_threshold_kept_across_pages_and_reset_for_new_data(app, small_ds):
    at = app.run()
    at.session_state["ds"] = small_ds
    at = train(at)
    at = checked(at.switch_page(RESULTS).run())
    at = checked(at.number_input(key="res_threshold").set_value(1.0).run())
    at = checked(at.switch_page(TRAIN).run())
    at = checked(at.switch_page(RESULTS).run())
    assert at.number_input(key="res_threshold").value == 1.0          # same data: kept
    # new data through the Data page (same columns, so the run still fits)
    at = checked(at.switch_page(DATA_PAGE).run())
    at.selectbox(key="sample_name").set_value("motorway")
    at = checked(at.button(key="load_sample").click().run())
    assert "res_threshold" not in at.session_state                    # forget_data dropped it
    at = checked(at.switch_page(RESULTS).run())
    run = next(iter(at.session_state["runs"].values()))
    actual = run.predict(at.session_state["ds"], part="test")["actual"].to_numpy(dtype=float)
    want = float(np.round(np.nanpercentile(actual, 90), 3))
    assert at.number_input(key="res_threshold").value == pytest.approx(want)
    assert want != 1.0


def test_uploads_and_memo_share_one_bounded_lru():
    """parse_upload keeps at most UPLOAD_SIZE parsed files (it grew without bound before)."""
    from streamlit.testing.v1 import AppTest

    def script():
        import io as _io

        import numpy as _np

        from pages import _shared as ui

        class Upload(_io.BytesIO):
            def __init__(self, i):
                rows = "\n".join(f"{t},{_np.sin(t / 7 + i):.6f},{t % 13}" for t in range(80))
                super().__init__(("time,speed,NOx\n" + rows).encode())
                self.file_id, self.name = f"f{i}", f"drive{i}.csv"

        for i in range(20):
            assert ui.parse_upload(Upload(i), "PEMS") is not None
    at = AppTest.from_function(script, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    store = at.session_state["_parsed_uploads"]
    assert isinstance(store, Memo) and len(store) == UPLOAD_SIZE
    assert list(store)[-1] == ("PEMS", "f19", None)                     # newest kept
