"""Grids created in the browser when it is idle after the map and the charts, or when scrolled near
(assets/kmzb_map.js `lazyGrid`): the page holds an empty box of the grid's height and the grid's
component as data; a clientside callback puts the grid into the box (callbacks.register_callbacks).

The three grids sit below the map and the charts, and creating them (AG Grid's code, its rows, the
formatters) took ~0.6 s of the browser's one main thread while the charts were being drawn: the
default view's first draw went from ~2.5 s to ~1.9 s without them (issue 13, bench/bench_first_load.py).
Layout only, no I/O."""

from __future__ import annotations

import dash_ag_grid as dag
from dash import dcc, html


def holder_id(grid_id: str) -> str:
    """The box the grid is created in."""
    return grid_id + "-holder"


def spec_id(grid_id: str) -> str:
    """The store holding the grid's component (its columns and texts in the page's language)."""
    return grid_id + "-spec"


def lazy_grid(grid: dag.AgGrid) -> list:
    """The empty box (as tall as the grid, so nothing below it moves when it comes) and the grid's
    component as data."""
    height = (getattr(grid, "style", None) or {}).get("height")
    return [html.Div(id=holder_id(grid.id), className="kmzb-lazy-grid", style={"minHeight": height}),
            dcc.Store(id=spec_id(grid.id), data=grid.to_plotly_json())]
