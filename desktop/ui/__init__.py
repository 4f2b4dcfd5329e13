"""The desk window: the only package (with the entry wiring) that imports PySide6."""
