"""Trade data: guarded loading, the canonical frame, bars, sample data, time splits.

Names load lazily so `vantageadapt.data.cli_options` can be imported without pandas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vantageadapt.lazy import lazy_exports

if TYPE_CHECKING:
    from vantageadapt.data.bars import to_bars
    from vantageadapt.data.cli_options import load_cli_data
    from vantageadapt.data.loader import load_trade_data
    from vantageadapt.data.sample import make_sample_data, write_sample_data
    from vantageadapt.data.split import DataSplit, data_fingerprint, split_frames
    from vantageadapt.data.summary import SymbolSummary, summarize

_EXPORTS = {
    "load_trade_data": "vantageadapt.data.loader",
    "make_sample_data": "vantageadapt.data.sample",
    "write_sample_data": "vantageadapt.data.sample",
    "split_frames": "vantageadapt.data.split",
    "DataSplit": "vantageadapt.data.split",
    "data_fingerprint": "vantageadapt.data.split",
    "to_bars": "vantageadapt.data.bars",
    "summarize": "vantageadapt.data.summary",
    "SymbolSummary": "vantageadapt.data.summary",
    "load_cli_data": "vantageadapt.data.cli_options",
}

__all__ = [
    "DataSplit",
    "SymbolSummary",
    "data_fingerprint",
    "load_cli_data",
    "load_trade_data",
    "make_sample_data",
    "split_frames",
    "summarize",
    "to_bars",
    "write_sample_data",
]


__getattr__ = lazy_exports(__name__, _EXPORTS)
