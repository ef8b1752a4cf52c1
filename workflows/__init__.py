"""Built-in workflows, shipped inside the wheel (see pyproject package-dir)."""
