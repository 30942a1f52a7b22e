"""Pure policy rules: no Flask, no database session."""
