"""The README's Python examples run as written (with a tiny model so the test is quick)."""
from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest

import palstm_core as pc

ROOT = Path(__file__).resolve().parent.parent


def _snippet(heading: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(heading, 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


class _TinyPc:
    """``palstm_core`` with TrainConfig defaulting to a tiny model; everything else as is."""

    def __init__(self, cache_dir: Path):
        self.TrainConfig = functools.partial(pc.TrainConfig, hidden_size=8, epochs=1)
        self.ModelCache = functools.partial(pc.ModelCache, cache_dir)

    def __getattr__(self, name):
        return getattr(pc, name)


@pytest.mark.parametrize("heading, replace", [
    ("## The API in ten lines", {'"my_drive.csv"': repr(str(pc.data.SAMPLE_DIR / "urban.csv"))}),
    ("## Campaigns: many drives, one model",
     {'"campaign/"': repr(str(pc.data.SAMPLE_DIR / "campaign"))}),
    ("## Several seconds ahead, and the seq2seq / transformer / RNN models", {}),
    ("## How sure: prediction intervals and the early warning", {}),
])
def test_readme_example_runs(heading, replace, tmp_path):
    code = _snippet(heading).replace("import palstm_core as pc\n", "")
    for old, new in replace.items():
        assert old in code, f"the README example under {heading!r} changed: update this test"
        code = code.replace(old, new)
    env = {"pc": _TinyPc(tmp_path)}
    exec(compile(code, f"README {heading}", "exec"), env)
    run = env["run"]
    assert run.metrics and all(k in run.metrics for k in ("rmse", "mae", "mape", "r2"))
