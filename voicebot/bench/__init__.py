"""Benchmarks behind ``voicebot bench``: one module per target (frontend, model, engine)."""
