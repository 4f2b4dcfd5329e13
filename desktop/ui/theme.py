"""Colours and the application stylesheet (resources/style.qss)."""

from __future__ import annotations

import sys
from pathlib import Path

PALETTE = {"text": "#101828", "muted": "#667085", "accent": "#1d4ed8", "border": "#e4e7ec",
           "ok": "#12b76a", "warn": "#f79009", "error": "#d92d20", "idle": "#98a2b3"}


def resources_dir() -> Path:
    """resources/ beside the package, or inside the PyInstaller bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    base = Path(bundle) if bundle else Path(__file__).resolve().parents[2]
    return base / "resources"


def stylesheet() -> str:
    path = resources_dir() / "style.qss"
    return path.read_text(encoding="utf-8") if path.exists() else ""
