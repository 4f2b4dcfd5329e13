"""Slow tests: build the PyInstaller bundle and launch whole programs (marker `slow`)."""
