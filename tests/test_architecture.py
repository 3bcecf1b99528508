"""The house rules of the package, checked on its source: layers import only downwards, no import
cycles, small modules and functions, and fast start-up (no ORM, Alembic or SMTP for --help)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "scheduler"
# Lower layers never import higher ones (README "Design notes").
LAYERS = {"clock": 0, "config": 0, "importer": 1, "store": 1, "engine": 2, "mail": 3, "documents": 3, "app": 4,
          "service": 5, "web": 5, "cli": 6, "__main__": 7}  # fmt: skip
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 300, 50


def modules() -> dict[str, Path]:
    """Return {dotted name: path} for every module of the package but the migrations."""
    out = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        if "migrations" in rel.parts:
            continue
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def imports(path: Path, top_level_only: bool) -> set[str]:
    """Return the scheduler modules `path` imports (at module level only, or anywhere)."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("scheduler"):
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("scheduler"))
    return found & set(modules()) | {m for m in found if m in modules()}


def layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS.get(parts[1], -1) if len(parts) > 1 else -1


def test_every_module_belongs_to_a_layer():
    assert [m for m in modules() if m != "scheduler" and layer(m) < 0] == []


def test_layers_import_only_downwards():
    wrong = []
    for name, path in modules().items():
        for target in imports(path, top_level_only=False):
            if layer(target) > layer(name) and target != "scheduler":
                wrong.append(f"{name} imports {target}")
    assert wrong == []


def test_no_import_cycles():
    graph = {name: imports(path, top_level_only=True) - {name} for name, path in modules().items()}
    state: dict[str, int] = {}
    cycles = []

    def visit(node, stack):
        state[node] = 1
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_modules_and_functions_are_small():
    big = []
    for name, path in modules().items():
        lines = path.read_text().splitlines()
        if len(lines) > MAX_MODULE_LINES:
            big.append(f"{name}: {len(lines)} lines")
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    big.append(f"{name}.{node.name}: {length} lines")
    assert big == []


@pytest.mark.parametrize(
    ("args", "absent"),
    [
        (["--help"], ["sqlalchemy", "sqlmodel", "alembic", "jinja2", "smtplib", "pydantic", "holidays"]),
        (["validate"], ["sqlalchemy", "sqlmodel", "alembic", "jinja2", "smtplib"]),
    ],
)
def test_start_up_imports_only_what_the_command_needs(args, absent, tmp_path):
    probe = (
        "import sys\nfrom scheduler.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in {absent!r} if m in sys.modules))"
    )
    config = PACKAGE.parent / "config"
    env = {"PATH": "/usr/bin:/bin", "REMINDERS_CONFIG_DIR": str(config), "PYTHONPATH": str(PACKAGE.parent)}
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
