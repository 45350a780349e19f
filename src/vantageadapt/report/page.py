"""The report page: one self-contained HTML file (plotly.js inlined once, opens offline)."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from vantageadapt.models import METRIC_NAMES
from vantageadapt.report.significance import hypotheses_text, pbo_text
from vantageadapt.results import IterationResult, PatchRecord, RunResult

_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1200px;color:#222}
h1{margin-bottom:.2rem} h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;font-size:.9rem;margin:.5rem 0}
td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}
th:first-child,td:first-child{text-align:left}
pre{background:#f6f8fa;padding:.6rem;overflow-x:auto;font-size:.8rem}
.kept{color:#1a7f37}.rejected{color:#cf222e}.muted{color:#777}
.met{color:#1a7f37;font-weight:bold}.unmet{color:#cf222e;font-weight:bold}
details{margin:.3rem 0}
"""


def _e(value: object) -> str:
    return html.escape(str(value))


def _num(value: float) -> str:
    return f"{value:.4g}" if isinstance(value, float) else _e(value)


def metrics_table(windows: Mapping[str, Mapping[str, float]]) -> str:
    """Rows: train / validation / test; columns: the metrics."""
    head = "".join(f"<th>{_e(c)}</th>" for c in METRIC_NAMES)
    rows = []
    for label, metrics in windows.items():
        cells = "".join(f"<td>{_num(metrics.get(c, 0.0))}</td>" for c in METRIC_NAMES)
        rows.append(f"<tr><td>{_e(label)}</td>{cells}</tr>")
    return f"<table><tr><th>window</th>{head}</tr>{''.join(rows)}</table>"


def iterations_table(run: RunResult) -> str:
    """One row per iteration: regime, rules, parameters, validation metrics, patches."""
    rows = []
    for it in run.iterations:
        cond = it.rules.get("conditions", {})
        rules = "<br>".join(
            [
                f"entry: {_e(' AND '.join(cond.get('entry', [])))}",
                f"exit: {_e(' OR '.join(cond.get('exit', [])))}",
            ]
        )
        params = ", ".join(f"{_e(k)}={v:.4g}" for k, v in sorted(it.parameters.items()))
        kept = sum(p.status == "kept" for p in it.patches)
        best = " ★" if it.index == run.best_iteration else ""
        oos = it.out_of_sample
        rows.append(
            f"<tr><td>{it.index}{best}</td><td>{_e(it.regime)}</td>"
            f"<td style='text-align:left'>{rules}</td><td style='text-align:left'>{params}</td>"
            f"<td>{_num(oos.get('total_return', 0.0))}</td>"
            f"<td>{_num(oos.get('sortino_ratio', 0.0))}</td>"
            f"<td>{_num(oos.get('win_rate', 0.0))}</td>"
            f"<td>{int(oos.get('total_trades', 0))}</td><td>{it.validation_score:.4g}</td>"
            f"<td>{it.deflated_sharpe:.3f}</td><td>{pbo_text(it.pbo)}</td>"
            f"<td style='text-align:left'>{_e(hypotheses_text(it))}</td>"
            f"<td>{kept}/{len(it.patches)}</td></tr>"
        )
    head = (
        "<tr><th>#</th><th>regime</th><th>rules</th><th>best parameters</th>"
        "<th>val. return</th><th>val. sortino</th><th>val. win rate</th><th>val. trades</th>"
        "<th>fixed score</th><th>deflated Sharpe</th><th>PBO</th><th>hypotheses</th>"
        "<th>patches kept</th></tr>"
    )
    return f"<table>{head}{''.join(rows)}</table>"


def lineage(iterations: Sequence[IterationResult]) -> str:
    """Every patch in order, nested under its parent, each with its diff."""
    patches: list[tuple[int, PatchRecord]] = [
        (it.index, p) for it in iterations for p in it.patches
    ]
    if not patches:
        return "<p class='muted'>No patches were proposed in this run.</p>"
    known = {p.id for _, p in patches}
    children: dict[str | None, list[tuple[int, PatchRecord]]] = {}
    for index, patch in patches:
        parent = patch.parent_id if patch.parent_id in known else None
        children.setdefault(parent, []).append((index, patch))

    def render(parent: str | None) -> str:
        items = []
        for index, p in children.get(parent, []):
            before = "-" if p.score_before is None else f"{p.score_before:.4g}"
            after = "-" if p.score_after is None else f"{p.score_after:.4g}"
            summary = (
                f"<span class='{p.status}'>{p.status}</span> · iteration {index} · "
                f"{_e(p.kind)} {_e(p.op)} <b>{_e(p.target)}</b> · score {before} → {after} · "
                f"{_e(p.reason)}"
            )
            diff = _e(p.diff) if p.diff else "(no diff recorded)"
            items.append(
                f"<li><details><summary>{summary}</summary><pre>{diff}</pre></details>"
                f"{render(p.id)}</li>"
            )
        return f"<ul>{''.join(items)}</ul>" if items else ""

    return render(None)


def reasoning(iterations: Sequence[IterationResult]) -> str:
    """The strategist's market read and rationale, per iteration."""
    parts = []
    for it in iterations:
        analysis = it.context.get("analysis", {})
        lines = "".join(f"<li><b>{_e(k)}</b>: {_e(v)}</li>" for k, v in analysis.items())
        rationale = it.insight.get("rationale", "")
        conf = it.context.get("confidence")
        conf_text = f" (confidence {conf:.2f})" if isinstance(conf, float) else ""
        parts.append(
            f"<details{' open' if it.index == 1 else ''}><summary>iteration {it.index}: "
            f"{_e(it.regime)}{conf_text}</summary><ul>{lines}</ul>"
            f"<p><b>rationale</b>: {_e(rationale)}</p></details>"
        )
    return "".join(parts) or "<p class='muted'>No strategist output recorded.</p>"


def render_page(
    run: RunResult,
    figures: Sequence[tuple[str, go.Figure | None]],
    windows: Mapping[str, Mapping[str, float]],
    extra: Mapping[str, Any],
) -> str:
    """The whole page; plotly.js is inlined with the first figure only."""
    blocks = []
    inlined = False
    for heading, fig in figures:
        if fig is None:
            blocks.append(f"<h2>{_e(heading)}</h2><p class='muted'>Not enough data to plot.</p>")
            continue
        div = fig.to_html(
            full_html=False,
            include_plotlyjs=not inlined,
            config={"displaylogo": False, "responsive": True},
        )
        inlined = True
        blocks.append(f"<h2>{_e(heading)}</h2>{div}")
    status = (
        "<span class='met'>thresholds met</span>"
        if run.met
        else "<span class='unmet'>thresholds unmet</span>"
    )
    unmet = "".join(f"<li>{_e(u)}</li>" for u in run.unmet)
    thresholds = ", ".join(f"{_e(k)} ≥ {v:g}" for k, v in run.thresholds.items())
    period = _e(run.engine.get("metrics_period", "row"))
    facts = "".join(f"<li><b>{_e(k)}</b>: {_e(v)}</li>" for k, v in extra.items())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>VantageAdapt run {_e(run.run_id)}</title><style>{_CSS}</style></head>
<body>
<h1>VantageAdapt run {_e(run.run_id)}</h1>
<p>Theme <b>{_e(run.theme)}</b> · data {_e(run.data_path)} · strategist {_e(run.provider)}
{_e(run.model or "")} · status {_e(run.status)} · {status}</p>
<ul>{facts}</ul>
<h2>Best strategy (iteration {_e(run.best_iteration)})</h2>
<p>Thresholds on validation aggregates: {thresholds}</p>
{metrics_table(windows)}
<p class="muted">Sharpe and Sortino are computed on {period} periods of the equity curve
and annualized by the periods per year the data shows. Over several assets they are the mean
of each asset's own ratio (the return is the equal-weight portfolio's): Sortino counts losing
periods only, so a winner with rare small losses can lift the mean Sortino above 0 while the
mean Sharpe and the return are below it.</p>
<p class="muted">Train and validation are what the loop saw; the sealed test window was scored
once, at the end, for this strategy only (fingerprint {_e(run.test_fingerprint[:16])}).
The charts run the strategy once over all rows, so their test segment carries positions in
from validation; the table's test row is the separate scoring from the test window's start.</p>
{f"<p>Unmet:</p><ul>{unmet}</ul>" if unmet else ""}
{"".join(blocks)}
<h2>Iterations</h2>{iterations_table(run)}
<h2>Patch lineage</h2>{lineage(run.iterations)}
<h2>Strategist's reasoning</h2>{reasoning(run.iterations)}
</body></html>
"""
