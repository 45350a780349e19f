"""Plotly figures of a run: equity and drawdown, trades on price, landscape, history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from vantageadapt.results import IterationResult

MAX_POINTS = 2_000
MAX_MARKERS = 1_500
_WINDOWS = (
    ("train", "rgba(0,0,0,0)"),
    ("validation", "rgba(255,165,0,0.12)"),
    ("test", "rgba(220,20,60,0.12)"),
)


def thin(series: pd.Series, limit: int = MAX_POINTS) -> pd.Series:
    """At most `limit` evenly spaced points (the last always kept), so the file stays small."""
    if len(series) <= limit:
        return series
    idx = np.unique(np.linspace(0, len(series) - 1, limit).astype(np.int64))
    return series.iloc[idx]


def portfolio_equity(equities: Mapping[str, pd.Series], points: int = MAX_POINTS) -> pd.Series:
    """Equal-weight portfolio on a common axis: the share of each asset's rows (0 to 1).

    Assets cover different spans of calendar time, but every asset is split at the same
    shares of its rows, so on this axis train, validation and test line up exactly.
    """
    grid = np.linspace(0.0, 1.0, points)
    curves = []
    for equity in equities.values():
        values = equity.to_numpy(dtype=float)
        if len(values) == 0:
            continue
        idx = np.rint(grid * (len(values) - 1)).astype(np.int64)
        curves.append(values[idx] / values[0])
    if not curves:
        return pd.Series(dtype=float)
    return pd.Series(np.mean(curves, axis=0), index=pd.Index(grid, name="share of rows"))


def drawdown(equity: pd.Series) -> pd.Series:
    """Fall from the running peak, as a non-positive fraction."""
    peak = equity.cummax()
    return equity / peak - 1.0


def equity_figure(equity: pd.Series, boundaries: Mapping[str, Any], title: str) -> go.Figure:
    """Equity on top, drawdown below, with the validation and sealed test windows shaded."""
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.7, 0.3], vertical_spacing=0.05
    )
    shown = thin(equity)
    fig.add_trace(
        go.Scatter(
            x=shown.index, y=shown.values, name="equity (equal weight)", line={"color": "#1f77b4"}
        ),
        row=1,
        col=1,
    )
    under = thin(drawdown(equity))
    fig.add_trace(
        go.Scatter(
            x=under.index,
            y=under.values,
            name="drawdown",
            fill="tozeroy",
            line={"color": "#d62728"},
        ),
        row=2,
        col=1,
    )
    if len(equity):
        edges = [
            equity.index[0],
            boundaries.get("validation"),
            boundaries.get("test"),
            equity.index[-1],
        ]
        for (label, color), x0, x1 in zip(_WINDOWS, edges[:-1], edges[1:], strict=True):
            if x0 is None or x1 is None:
                continue
            fig.add_vrect(
                x0=x0,
                x1=x1,
                fillcolor=color,
                line_width=0,
                annotation_text=label,
                annotation_position="top left",
                row="all",
                col=1,
            )
    fig.update_layout(
        title=title, height=520, margin={"t": 60, "b": 30}, legend={"orientation": "h"}
    )
    fig.update_xaxes(title_text=equity.index.name or "", row=2, col=1)
    fig.update_yaxes(title_text="equity", row=1, col=1)
    fig.update_yaxes(title_text="drawdown", tickformat=".0%", row=2, col=1)
    return fig


def _markers(trades: pd.DataFrame, side: str, symbol: str, color: Any, **more: Any) -> go.Scatter:
    """One marker per trade at its `side` ("entry" or "exit") time and price."""
    return go.Scatter(
        x=trades[f"{side}_time"],
        y=trades[f"{side}_price"],
        mode="markers",
        name=side,
        marker={"symbol": symbol, "color": color, "size": 8},
        **more,
    )


def trades_figure(
    price: pd.Series, trades: pd.DataFrame, symbol: str, boundaries: Mapping[str, pd.Timestamp]
) -> go.Figure:
    """The price of one asset with each trade's entry and exit marked."""
    fig = go.Figure()
    shown = thin(price)
    fig.add_trace(
        go.Scatter(
            x=shown.index,
            y=shown.values,
            name=f"{symbol} price",
            line={"color": "#555", "width": 1},
        )
    )
    if len(trades):
        picked = trades.iloc[:: max(1, len(trades) // MAX_MARKERS)]
        fig.add_trace(_markers(picked, "entry", "triangle-up", "#2ca02c"))
        closed = picked[picked["exit_reason"] != "open"]
        colors = np.where(closed["pnl"].to_numpy() > 0, "#1f77b4", "#d62728")
        fig.add_trace(
            _markers(
                closed,
                "exit",
                "triangle-down",
                colors,
                text=closed["exit_reason"],
                hovertemplate="%{text}<br>%{y}<extra>exit</extra>",
            )
        )
    for label in ("validation", "test"):
        when = boundaries.get(label)
        if when is not None:
            fig.add_vline(x=when, line_dash="dash", line_color="#888")
            fig.add_annotation(
                x=when, y=1.02, yref="paper", text=f"{label} starts", showarrow=False
            )
    fig.update_layout(
        title=f"Trades of the best strategy on {symbol}",
        height=420,
        margin={"t": 60, "b": 30},
        legend={"orientation": "h"},
    )
    return fig


def pick_axes(landscape: pd.DataFrame) -> tuple[str, str] | None:
    """The two searched parameters with the most distinct values, or None if fewer than two."""
    params = [c for c in landscape.columns if c != "score" and landscape[c].nunique() > 1]
    if len(params) < 2:
        return None
    params.sort(key=lambda c: (-landscape[c].nunique(), c))
    return params[0], params[1]


def landscape_grid(landscape: pd.DataFrame, x: str, y: str, bins: int = 12):
    """Best score per cell of a bins x bins grid over two parameters (NaN where untried)."""
    xb = pd.cut(landscape[x], bins=min(bins, landscape[x].nunique()))
    yb = pd.cut(landscape[y], bins=min(bins, landscape[y].nunique()))
    grid = landscape.groupby([yb, xb], observed=False)["score"].max().unstack()
    xs = [interval.mid for interval in grid.columns]
    ys = [interval.mid for interval in grid.index]
    return xs, ys, grid.to_numpy(dtype=float)


def landscape_figure(rows: Sequence[Mapping[str, float]], title: str) -> go.Figure | None:
    """Heatmap of the optimizer's score over the two most-varied parameters."""
    landscape = pd.DataFrame(list(rows))
    if "score" not in landscape.columns or len(landscape) < 2:
        return None
    axes = pick_axes(landscape)
    if axes is None:
        return None
    x, y = axes
    xs, ys, z = landscape_grid(landscape, x, y)
    z = np.where(np.isfinite(z), z, np.nan)
    fig = go.Figure(
        go.Heatmap(
            x=xs, y=ys, z=z, colorscale="Viridis", colorbar={"title": "score"}, hoverongaps=False
        )
    )
    fig.update_layout(
        title=title, xaxis_title=x, yaxis_title=y, height=440, margin={"t": 60, "b": 40}
    )
    return fig


def history_figure(iterations: Sequence[IterationResult]) -> go.Figure:
    """Validation metrics and the fixed score, iteration by iteration."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    xs = [it.index for it in iterations]
    for name in ("total_return", "sortino_ratio", "win_rate"):
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=[it.out_of_sample.get(name, 0.0) for it in iterations],
                mode="lines+markers",
                name=f"validation {name}",
            )
        )
    fig.add_trace(
        go.Bar(
            x=xs,
            y=[it.out_of_sample.get("total_trades", 0) for it in iterations],
            name="validation trades",
            opacity=0.3,
        ),
        secondary_y=True,
    )
    fig.update_layout(
        title="Iteration history",
        height=380,
        margin={"t": 60, "b": 40},
        xaxis={"dtick": 1, "title": "iteration"},
        legend={"orientation": "h"},
    )
    fig.update_yaxes(title_text="trades", secondary_y=True)
    return fig


def share_boundaries(split: Any) -> dict[str, float]:
    """Where validation and the sealed test begin, as the mean share of each asset's rows."""
    full = split.full
    return {
        "validation": float(np.mean([split.validation_start[s] / len(f) for s, f in full.items()])),
        "test": float(np.mean([split.test_start[s] / len(f) for s, f in full.items()])),
    }


def boundaries_of(frame: pd.DataFrame, validation_start: int, test_start: int) -> dict[str, Any]:
    """Timestamps where validation and the sealed test begin in one asset's frame."""
    index = frame.index
    return {
        "validation": index[validation_start] if validation_start < len(index) else None,
        "test": index[test_start] if test_start < len(index) else None,
    }
