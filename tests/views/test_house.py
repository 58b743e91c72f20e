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


def _settings_read(node):
    """True for `settings.get(...)`, `settings[...]` or `registry.settings.get(...)`."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
        node = node.func.value
    elif isinstance(node, ast.Subscript):
        node = node.value
    else:
        return False
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    return name == "settings"


FLAG_WORDS = {"true", "false", "yes", "no", "on", "off", "1", "0"}


def _flag_words(node):
    """A string or a tuple/list/set of strings that spell a boolean."""
    items = node.elts if isinstance(node, (ast.Tuple, ast.List, ast.Set)) else [node]
    return any(isinstance(item, ast.Constant) and isinstance(item.value, str)
               and item.value.lower() in FLAG_WORDS for item in items)


def _hand_parsed_settings(path):
    """Places where a setting is compared with strings or split by hand, not
    read with asbool/aslist."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Compare):
            sides = [node.left] + list(node.comparators)
            reads = [side for side in sides if _settings_read(side)
                     or (isinstance(side, ast.Call) and isinstance(side.func, ast.Attribute)
                         and side.func.attr in ("lower", "strip") and _settings_read(side.func.value))]
            words = [side for side in sides if _flag_words(side)]
            if reads and words:
                found.append(f"{path.name}:{node.lineno}")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "split"
              and _settings_read(node.func.value)):
            found.append(f"{path.name}:{node.lineno}")
    return found


def test_settings_are_read_with_asbool_and_aslist():
    """A flag or a list in the ini is read by Pyramid's asbool/aslist, so
    'true', 'yes', 'on' and '1' mean the same everywhere."""
    found = [place for folder in ("views", "repository", "ocr", "signing", "search")
             for path in (ROOT / folder).rglob("*.py") for place in _hand_parsed_settings(path)]
    assert found == []


def test_the_settings_rule_catches_a_hand_parsed_flag(tmp_path):
    bad = tmp_path / "probe.py"
    bad.write_text('def f(settings):\n    return settings.get("kho.x", "").lower() in ("true", "1")\n'
                   'def g(registry):\n    return registry.settings["kho.y"].split(",")\n', encoding="utf-8")
    assert _hand_parsed_settings(bad) == ["probe.py:2", "probe.py:4"]
