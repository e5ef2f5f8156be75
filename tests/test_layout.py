"""Layout rules of ``palstm_core`` (design.md, Layout): no streamlit, small modules and
functions, and no import cycle between its modules."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "palstm_core"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80


def _modules() -> dict[str, Path]:
    """Dotted module name -> file, for every .py file under palstm_core/."""
    out = {}
    for path in sorted(PKG.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


# ---------------------------------------------------------------------------- (a) no streamlit
def test_core_never_imports_streamlit():
    code = (
        "import importlib, json, pkgutil, sys\n"
        "import palstm_core\n"
        "names = [m.name for m in pkgutil.walk_packages(palstm_core.__path__, 'palstm_core.')]\n"
        "for name in names:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps({'modules': names, 'streamlit': sorted(m for m in sys.modules\n"
        "                  if m == 'streamlit' or m.startswith('streamlit.'))}))\n")
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert "palstm_core.training.loop" in out["modules"]      # the walk really went through
    assert out["streamlit"] == []


# ---------------------------------------------------------------------------- (b) sizes
def _oversized() -> list[str]:
    problems = []
    for path in _modules().values():
        rel = _rel(path)
        text = path.read_text(encoding="utf-8")
        n = len(text.splitlines())
        if n > MAX_MODULE_LINES:
            problems.append(f"{rel}: {n} lines (max {MAX_MODULE_LINES})")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    problems.append(f"{rel}:{node.lineno} {node.name}(): {length} lines "
                                    f"(max {MAX_FUNCTION_LINES})")
    return problems


def test_modules_and_functions_are_small():
    assert _oversized() == []


# ---------------------------------------------------------------------------- (c) no cycle
def _import_time_nodes(tree: ast.Module):
    """Import statements run at import time: module level, incl. class bodies, if/try blocks;
    not inside functions, and not under ``if TYPE_CHECKING:``."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
            continue
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def _all_import_nodes(tree: ast.Module):
    """Every import statement, also those inside functions (run when the function is called)."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node


def import_graph(nodes=_import_time_nodes) -> dict[str, set[str]]:
    """Module -> palstm_core modules it imports at import time (``nodes``: which import
    statements count; ``_all_import_nodes`` adds those inside functions).

    ``from .x import name`` is an edge to ``x`` (a package: its ``__init__``), or to ``x.name``
    when that is a module. Importing ``a.b.c`` from outside package ``a.b`` also runs
    ``a.b/__init__``, so that is an edge too; a package's own parents are not (they are already
    being imported when one of their modules runs).
    """
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: list[str] = []
        for node in nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets += [a.name for a in node.names]
                continue
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(base + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                targets.append(sub if sub in modules else base)
        for target in targets:
            while target and target not in modules:          # a name inside a module
                target = target.rpartition(".")[0]
            if not target or target == name:
                continue
            graph[name].add(target)
            parts = target.split(".")
            for i in range(1, len(parts)):                   # parent packages run first
                parent = ".".join(parts[:i])
                if not (name == parent or name.startswith(parent + ".")):
                    graph[name].add(parent)
    return graph


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}                               # 1 = on the stack, 2 = done
    path: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        path.append(n)
        for m in sorted(graph[n]):
            if state.get(m) == 1:
                return path[path.index(m):] + [m]
            if m not in state and (cycle := visit(m)):
                return cycle
        path.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state and (cycle := visit(n)):
            return cycle
    return None


def test_import_graph_sees_the_known_edges():
    g = import_graph()
    assert "palstm_core.training.run" in g["palstm_core.cache"]
    assert "palstm_core.training" in g["palstm_core.cache"]          # its package __init__ runs
    assert "palstm_core.training.attention" in g["palstm_core.training.run"]
    assert "palstm_core.training.attention" in g["palstm_core.explain.attention"]
    assert "palstm_core.explain" in g["palstm_core.leaderboard"]     # from . import explain
    assert "palstm_core.cache" not in g["palstm_core.training"]
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_import_cycle():
    assert _find_cycle(import_graph()) is None


def test_no_import_cycle_through_function_level_imports():
    """A cycle hidden in a function-level import (a module that imports, inside a function, one
    that imports it back) is a cycle too: the two modules cannot be understood apart."""
    assert _find_cycle(import_graph(_all_import_nodes)) is None


def test_function_level_imports_are_seen(tmp_path, monkeypatch):
    pkg = tmp_path / "palstm_core"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\n")
    (pkg / "b.py").write_text("def f():\n    from .a import g\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    monkeypatch.setattr(sys.modules[__name__], "PKG", pkg)
    assert _find_cycle(import_graph()) is None                 # at import time: no cycle
    assert _find_cycle(import_graph(_all_import_nodes)) == ["palstm_core.a", "palstm_core.b",
                                                            "palstm_core.a"]


def test_training_never_imports_explain():
    """explain builds on training (``TrainedRun.inputs``/``explain``), never the other way."""
    g = import_graph(_all_import_nodes)
    for name, deps in g.items():
        if name == "palstm_core.training" or name.startswith("palstm_core.training."):
            assert not any(d == "palstm_core.explain" or d.startswith("palstm_core.explain.")
                           for d in deps), name


def test_explain_uses_no_private_member_of_a_run():
    """No ``run._windows`` (or any other private member of a run) outside training/run.py."""
    bad = []
    for path in _modules().values():
        if path == PKG / "training" / "run.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id == "run" and node.attr.startswith("_")):
                bad.append(f"{_rel(path)}:{node.lineno} run.{node.attr}")
    assert bad == []


def test_training_never_imports_the_cache():
    g = import_graph()
    for name, deps in g.items():
        if name == "palstm_core.training" or name.startswith("palstm_core.training."):
            assert "palstm_core.cache" not in deps, name


# ---------------------------------------------------------------------------- (d) public API only
PUBLIC_MODULES = {"palstm_core", "palstm_core.plots", "palstm_core.teach"}   # design.md; + bench for the CLI


def _ui_files() -> list[Path]:
    return [ROOT / "app.py", *sorted((ROOT / "pages").rglob("*.py"))]


def _private_uses(path: Path, public_modules: set[str]) -> list[str]:
    """Imports of palstm_core modules outside ``public_modules``, names imported from the package
    that it does not export, and ``pc.X`` / ``pc.explain.Y`` attributes that are not exported."""
    import palstm_core as pc
    exported = {"palstm_core": set(pc.__all__), "palstm_core.explain": set(pc.explain.__all__)}
    tree = ast.parse(path.read_text(encoding="utf-8"))
    rel, bad, alias = path.name, [], {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("palstm_core"):
                    if a.name not in public_modules:
                        bad.append(f"{rel}:{node.lineno} import {a.name}")
                    alias[a.asname or a.name] = a.name
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level and path.parent.name == "palstm_core":      # the CLI, inside the package
                module = "palstm_core" + (f".{module}" if module else "")
            if not module.startswith("palstm_core"):
                continue
            if module not in public_modules:
                bad.append(f"{rel}:{node.lineno} from {module} import …")
            elif module == "palstm_core":
                bad += [f"{rel}:{node.lineno} palstm_core.{a.name} is not exported"
                        for a in node.names
                        if a.name not in exported["palstm_core"] | {"plots", "teach", "bench"}]
    for node in ast.walk(tree):                 # pc.X and pc.explain.Y must be exported names
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            owner = alias.get(node.value.id)
            if owner == "palstm_core" and node.attr not in exported[owner] | {"plots", "teach"}:
                bad.append(f"{rel}:{node.lineno} pc.{node.attr} is not exported")
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute)
                and isinstance(node.value.value, ast.Name)
                and alias.get(node.value.value.id) == "palstm_core"
                and node.value.attr == "explain"
                and node.attr not in exported["palstm_core.explain"]):
            bad.append(f"{rel}:{node.lineno} pc.explain.{node.attr} is not exported")
    return bad


def test_pages_and_cli_use_only_public_names():
    problems = [p for f in _ui_files() for p in _private_uses(f, PUBLIC_MODULES)]
    for cli in (PKG / "__main__.py", *sorted(PKG.glob("cli_*.py"))):       # the command line
        problems += _private_uses(cli, PUBLIC_MODULES | {"palstm_core.bench",
                                                         "palstm_core.cli_common",
                                                         "palstm_core.cli_tools"})
    assert problems == []


def test_public_name_check_catches_a_private_import(tmp_path):
    page = tmp_path / "page.py"
    page.write_text("import palstm_core as pc\nfrom palstm_core.explain import maps\n"
                    "from palstm_core import simulate\npc.cache.DEFAULT_DIR\npc.explain.maps.SHORT\n")
    got = _private_uses(page, PUBLIC_MODULES)
    assert len(got) == 4, got


# ---------------------------------------------------------------------------- (e) one list of samples
def test_sample_names_have_one_source():
    """``pc.SAMPLES`` (data/load.py) is the one list of the shipped sample drives: no other core
    module spells out two of them as a list; the generator has a plan for each."""
    import palstm_core as pc
    from palstm_core import simulate
    assert set(simulate.DRIVES) == set(pc.SAMPLES)
    names = set(pc.SAMPLES) | set(pc.SPLIT_SAMPLE)
    copies = []
    for path in _modules().values():
        if path == PKG / "data" / "load.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
                words = {e.value for e in node.elts if isinstance(e, ast.Constant)
                         and isinstance(e.value, str)}
                found = words & names
                if len(found) >= 2 and found == words:      # (phase kinds include 'rural')
                    copies.append(f"{_rel(path)}:{node.lineno} {sorted(found)}")
    assert copies == []
