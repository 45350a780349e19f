"""VantageAdapt: find, tune and check trading strategies, with a self-improving agent."""

__version__ = "0.1.0"
