"""Small functions: no function in app code is over about 80 lines (engineering standards, issue 10)."""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
APPS = ("sunshine", "villages", "disclosures", "complaints", "portal")
MAX_LINES = 80


def long_functions(source, limit=MAX_LINES):
    """``(name, lines)`` of every function in ``source`` longer than ``limit`` lines."""
    tree = ast.parse(source)
    return [
        (node.name, node.end_lineno - node.lineno + 1)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno - node.lineno + 1 > limit
    ]


def test_the_checker_sees_a_long_function():
    body = "\n".join(f"    x{i} = {i}" for i in range(90))
    assert long_functions(f"def big():\n{body}\n") == [("big", 91)]
    assert long_functions("def small():\n    return 1\n") == []


def test_no_function_in_app_code_is_over_80_lines():
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            where = path.relative_to(ROOT)
            found += [f"{where}:{name} ({lines} lines)" for name, lines in long_functions(path.read_text())]
    assert found == []
