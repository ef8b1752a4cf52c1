"""lok: run several LLM backends over a code base, merge what they find, report it."""

__version__ = "0.1.0"
