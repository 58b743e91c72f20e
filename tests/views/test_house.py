"""The house rules of the web layer, checked on the code and on a running app:
the pages and the API share helpers from neutral modules and never import
each other; repository/ never imports views/; services are registered once
and looked up (views.services), never hung on the registry as attributes."""
import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
VIEWS = ROOT / "views"


def _imports(path):
    """The absolute module names a file imports (relative ones resolved),
    function-level imports included."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[:len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            found.append(base)
            found += [f"{base}.{alias.name}" for alias in node.names]
    return found


def _offending(folder, forbidden):
    return sorted(f"{path.relative_to(ROOT)}: {name}"
                  for path in folder.rglob("*.py")
                  for name in _imports(path)
                  if name == forbidden or name.startswith(forbidden + "."))


@pytest.mark.parametrize("folder, forbidden", [("views/api", "views.pages"), ("views/pages", "views.api"),
                                               ("repository", "views")])
def test_no_import_across(folder, forbidden):
    assert _offending(ROOT / folder, forbidden) == []


def test_the_check_sees_relative_imports():
    """The check resolves `from ..pages import x` inside views/api (so a
    passing test above means something)."""
    sample = VIEWS / "api" / "helpers.py"
    names = _imports(sample)
    assert "views.addresses.api_url" in names          # from ..addresses import api_url


def test_nothing_is_hung_on_the_registry_in_the_code():
    hung = []
    for folder in ("views", "repository", "bench", "tests"):
        for path in (ROOT / folder).rglob("*.py"):
            if path == pathlib.Path(__file__).resolve():
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Attribute) and node.attr.startswith("kho_") and \
                        isinstance(node.value, ast.Attribute) and node.value.attr == "registry":
                    hung.append(f"{path.relative_to(ROOT)}:{node.lineno} registry.{node.attr}")
                elif isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("setattr", "getattr") and \
                        node.args and "registry" in ast.unparse(node.args[0]) and len(node.args) > 1 and \
                        isinstance(node.args[1], ast.Constant) and str(node.args[1].value).startswith("kho_"):
                    hung.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)}")
    assert hung == []


def test_the_app_registers_its_services_and_hangs_nothing(settings):
    from views import main
    from views.services import BACKGROUND, IIndexer, IRetentionJob, ISearchIndex, lookup
    from views.startup import shutdown
    app = main({}, **dict(settings, **{"kho.search.warm": "false"}))
    try:
        registry = app.registry
        assert [name for name in vars(registry) if name.startswith("kho_")] == []
        index = lookup(registry, ISearchIndex)
        assert index is not None and lookup(registry, IIndexer).indexer.index is index
        assert lookup(registry, IRetentionJob) is not None
    finally:
        shutdown(registry)
    assert all(lookup(registry, iface) is None for iface in BACKGROUND)     # stopped, not left behind
    assert [name for name in vars(registry) if name.startswith("kho_")] == []


def test_a_view_finds_a_service(settings):
    """request.find_service (pyramid_services) answers what startup registered."""
    from pyramid.request import Request, apply_request_extensions

    from views import main
    from views.services import ISearchIndex, lookup
    from views.startup import shutdown
    app = main({}, **dict(settings, **{"kho.search.warm": "false"}))
    try:
        request = Request.blank("/")
        request.registry = app.registry
        apply_request_extensions(request)
        index = request.find_service(ISearchIndex)
        assert index is not None and index is lookup(app.registry, ISearchIndex)
    finally:
        shutdown(app.registry)
