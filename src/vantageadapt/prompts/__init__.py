"""Prompt templates shipped with the package, with an override folder and versions."""

from vantageadapt.prompts.manager import CATEGORIES, PromptManager, PromptVersion, placeholders

__all__ = ["CATEGORIES", "PromptManager", "PromptVersion", "placeholders"]
