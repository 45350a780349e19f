"""Test helpers shared between parts (importable as `helpers`)."""
