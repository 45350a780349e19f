"""The metric names are declared once (the `Metrics` model); the store's record follows it and
the performance table's columns (frozen in migrations) are kept in step by this test."""

from __future__ import annotations

from vantageadapt.models import METRIC_NAMES, AggregateMetrics, Metrics
from vantageadapt.store.records import PerformanceRecord
from vantageadapt.store.schema import PerformanceRow

EXTRAS = tuple(set(AggregateMetrics.model_fields) - set(Metrics.model_fields))


def test_metric_names_are_the_metrics_fields_in_order():
    assert tuple(Metrics.model_fields) == METRIC_NAMES
    assert sorted(EXTRAS) == ["n_assets", "total_return_sum"]


def test_the_performance_record_carries_every_metric_and_aggregate_extra():
    fields = set(PerformanceRecord.model_fields)
    assert fields == {*METRIC_NAMES, *EXTRAS, "window", "asset"}


def test_the_performance_table_has_one_column_per_metric():
    columns = {c.name for c in PerformanceRow.__table__.columns}
    assert columns == {*METRIC_NAMES, *EXTRAS, "id", "strategy_id", "window", "asset"}
    integer = {c.name for c in PerformanceRow.__table__.columns if c.type.python_type is int}
    assert integer == {"id", "strategy_id", "total_trades", "n_assets"}
