"""Export tasks (filled in by the exports work)."""
