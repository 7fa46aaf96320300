"""Issue 14: the layers hold. Pages and ui/ call the service's methods and get plain data: no
Redis client, no store or server object, no torch above the service; recsys/ never imports
Streamlit. Checked on the source, so a shortcut fails here before review."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UI_FILES = sorted([*ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py"), ROOT / "streamlit_app.py"])
# What stays behind the facade (recsys.serving.service.RecommenderService).
HIDDEN_ATTRIBUTES = {"client", "users", "restaurants", "searcher", "feedback"}
HIDDEN_MODULES = ("redis", "redisvl", "torch", "recsys.serving.store", "recsys.serving.redis_server",
                  "recsys.serving.profile_store", "recsys.serving.feedback", "recsys.serving.connection.connect")


def imported_modules(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


@pytest.mark.parametrize("path", UI_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_pages_and_ui_use_the_facade_only(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    reach = [f"line {node.lineno}: service.{node.attr}" for node in ast.walk(tree)
             if isinstance(node, ast.Attribute) and node.attr in HIDDEN_ATTRIBUTES
             and isinstance(node.value, ast.Name) and node.value.id in ("service", "_service")]
    # The errors the service raises are part of its contract: a page may name them to catch them.
    hidden = [m for m in imported_modules(tree) if any(m == h or m.startswith(h + ".") for h in HIDDEN_MODULES)
              and not m.endswith("Error")]
    assert not reach and not hidden, (reach, hidden)


def test_the_check_sees_a_reach_through():
    """The check above is not vacuous: a page that reads the client is caught."""
    tree = ast.parse("service.client.info()\nimport redis\n")
    assert any(isinstance(n, ast.Attribute) and n.attr == "client" for n in ast.walk(tree))
    assert "redis" in imported_modules(tree)
    store = ast.parse("from recsys.serving.store import RestaurantStore")
    assert "recsys.serving.store.RestaurantStore" in imported_modules(store)


def test_recsys_never_imports_streamlit():
    offenders = [str(p.relative_to(ROOT)) for p in ROOT.glob("recsys/**/*.py")
                 if any(m.split(".")[0] == "streamlit" for m in imported_modules(ast.parse(p.read_text(encoding="utf-8"))))]
    assert not offenders


def test_one_city_configuration_feeds_the_generator_the_ui_and_the_settings(monkeypatch):
    from recsys.config import Settings
    from recsys.data.city import CITY
    from recsys.data.demo import DemoConfig, generate
    from ui import state

    monkeypatch.delenv("RECSYS_TIMEZONE", raising=False)
    assert Settings().timezone == CITY.timezone
    assert state.HOODS == CITY.places and state.DEFAULT_CENTER == CITY.centre
    assert (state.CITY_LAT, state.CITY_LON) == (CITY.lat_range, CITY.lon_range)
    # The generator's places are inside the area the UI covers, in its neighbourhoods.
    items = generate(DemoConfig(n_restaurants=200, n_users=50, seed=4))[0].items
    assert all(CITY.covers(lat, lon) for lat, lon in zip(items["lat"], items["lon"]))
    assert set(items["locality"]) <= set(CITY.places)


@pytest.mark.parametrize("layer, forbidden", [
    ("ml", ("recsys.serving", "recsys.data.record", "recsys.data.restaurants", "recsys.data.city", "recsys.data.demo",
            "recsys.data.importers", "streamlit")),  # the model knows ids, features and interactions only
    ("data", ("recsys.serving", "recsys.ml", "streamlit", "torch")),
    ("serving", ("streamlit",))])
def test_the_folders_are_layers(layer, forbidden):
    offenders = {str(p.relative_to(ROOT)): [m for m in imported_modules(ast.parse(p.read_text(encoding="utf-8")))
                                            if m.startswith(forbidden)]
                 for p in (ROOT / "recsys" / layer).glob("*.py")}
    assert not {k: v for k, v in offenders.items() if v}
