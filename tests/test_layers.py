"""The import graph points one way: portal → complaints → disclosures → villages → sunshine.

Every ``.py`` of the apps is parsed (migrations excepted: they may name other apps' models), and
every import is checked: module-level and inside functions, relative ones resolved, plus the module
names given as strings to ``include(...)`` and to dynamic importers. A lower layer never reaches up,
not even through a dotted string; only the project's URL configuration and settings name every app.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Lower number = lower layer; a module may import its own layer and the layers below it.
LAYERS = {"sunshine": 0, "villages": 1, "disclosures": 2, "complaints": 3, "portal": 4}

# The project's wiring names every app by design.
MAY_NAME_ANY_APP = {"sunshine/urls.py", "sunshine/settings.py", "sunshine/settings_test.py"}

# Callables whose first argument is a module name: a literal naming an app module is refused (import it
# instead), and so is a computed name, except for ``import_string`` of a setting's value (a configured
# backend such as ``COMPLAINTS_SMS_BACKEND``: settings declare it, as Django's own EMAIL_BACKEND).
DYNAMIC_IMPORTERS = {"import_module", "find_spec", "import_string", "__import__"}


def _call_name(node):
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    if isinstance(node.func, ast.Name):
        return node.func.id
    return ""


def _literal(node):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _package_of(relative_path):
    """``disclosures/importer/services.py`` → ``disclosures.importer``; a package's ``__init__`` is itself."""
    parts = list(Path(relative_path).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] != "__init__" else parts[:-1])


def _resolve(module, level, package):
    if not level:
        return module or ""
    base = package.split(".")[: len(package.split(".")) - (level - 1)]
    return ".".join([*base, module] if module else base)


def referenced_modules(source, relative_path):
    """``(line, module name, how)`` for every module this source imports or names as a string to load.

    A dynamic import whose argument is not a literal is returned with the name ``"?"``: it cannot be
    checked, so it is refused.
    """
    package = _package_of(relative_path)
    found = []
    for node in ast.walk(ast.parse(source, filename=relative_path)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, "import") for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.lineno, _resolve(node.module, node.level, package), "import"))
        elif isinstance(node, ast.Call) and node.args:
            name = _call_name(node)
            if name == "include":
                target = _literal(node.args[0])
                if target is not None:
                    found.append((node.lineno, target, "include"))
            elif name in DYNAMIC_IMPORTERS and not (name == "import_string" and _literal(node.args[0]) is None):
                found.append((node.lineno, _literal(node.args[0]) or "?", name))
    return found


def layer_violations(source, relative_path):
    """Messages for every reference in ``source`` (the file at ``relative_path``) that breaks the layers."""
    own = LAYERS[Path(relative_path).parts[0]]
    problems = []
    for line, module, how in referenced_modules(source, relative_path):
        where = f"{relative_path}:{line}"
        if how in DYNAMIC_IMPORTERS and (module == "?" or module.split(".")[0] in LAYERS):
            problems.append(f"{where}: {how}({module!r}) loads an app module by name; import it explicitly")
            continue
        target = module.split(".")[0]
        if target in LAYERS and LAYERS[target] > own and relative_path not in MAY_NAME_ANY_APP:
            problems.append(f"{where}: {how} {module} reaches up from {Path(relative_path).parts[0]} to {target}")
    return problems


def app_sources():
    for app in LAYERS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" not in relative.parts:
                yield relative.as_posix(), path.read_text(encoding="utf-8")


def test_every_app_module_imports_only_its_own_layer_and_below():
    sources = list(app_sources())
    assert len(sources) > 100  # the walk really found the apps
    problems = [problem for relative, source in sources for problem in layer_violations(source, relative)]
    assert problems == []


def test_every_app_has_a_place_in_the_layers():
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")} | {"sunshine"}
    assert apps == set(LAYERS)


def test_the_dotted_string_hooks_are_gone():
    assert not (ROOT / "sunshine" / "hooks.py").exists()
    leftovers = [relative for relative, source in app_sources() if "optional_hook" in source]
    assert leftovers == []


def test_the_project_urls_are_the_only_project_module_naming_domain_apps():
    naming = {
        relative
        for relative, source in app_sources()
        if relative.startswith("sunshine/")
        for _line, module, _how in referenced_modules(source, relative)
        if module.split(".")[0] in LAYERS and module.split(".")[0] != "sunshine"
    }
    assert naming == {"sunshine/urls.py"}


# The checker itself: each of these must be caught, or the tests above prove nothing.
@pytest.mark.parametrize(
    "relative_path, source, expected",
    [
        ("villages/views.py", "import complaints.views\n", "import complaints.views reaches up"),
        ("villages/views.py", "def f():\n    from disclosures import views\n", "import disclosures reaches up"),
        ("disclosures/importer/x.py", "from ...complaints import selectors\n", "import complaints reaches up"),
        ("disclosures/selectors.py", "from complaints.selectors import township_figures\n", "reaches up"),
        ("sunshine/admin_utils.py", "from villages.permissions import can\n", "reaches up from sunshine to villages"),
        ("villages/urls.py", "from django.urls import include, path\ninclude('portal.urls')\n", "include portal.urls"),
        ("portal/x.py", "import importlib\nimportlib.import_module('complaints.services')\n", "import_module("),
        ("sunshine/x.py", "from importlib.util import find_spec\nfind_spec(name)\n", "find_spec('?')"),
        (
            "villages/x.py",
            "from django.utils.module_loading import import_string\nimport_string('complaints.x.Y')\n",
            "import_string(",
        ),
    ],
)
def test_the_checker_catches(relative_path, source, expected):
    problems = layer_violations(source, relative_path)
    assert len(problems) == 1 and expected in problems[0], problems


@pytest.mark.parametrize(
    "relative_path, source",
    [
        (
            "portal/views.py",
            "from complaints import views\nfrom disclosures import views\nfrom villages import models\n",
        ),
        (
            "complaints/x.py",
            "from disclosures.models import Disclosure\nfrom sunshine.audit.services import audit_record\n",
        ),
        ("villages/admin.py", "from . import audit_admin\nfrom .models import Division\n"),
        ("disclosures/importer/x.py", "from ..models import Disclosure\n"),
        ("sunshine/urls.py", "from django.urls import include\ninclude('portal.urls')\n"),
        ("villages/audit_admin.py", "from sunshine.audit.models import AuditEvent\n"),
    ],
)
def test_the_checker_allows(relative_path, source):
    assert layer_violations(source, relative_path) == []
