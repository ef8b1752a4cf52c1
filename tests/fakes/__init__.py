"""Test stand-ins that speak real protocols (LLM vendors, GitHub) on 127.0.0.1."""
