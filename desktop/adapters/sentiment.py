"""How upset a caller sounds: VADER (vaderSentiment), a rule-based sentiment model made for
short informal text, with its lexicon loaded once. Returns the compound score, -1 (very
negative) to 1 (very positive)."""

from __future__ import annotations

import threading

_lock = threading.Lock()
_analyzer = None


def sentiment(text: str) -> float:
    global _analyzer
    if not text or not text.strip():
        return 0.0
    with _lock:  # the lexicon loads once; the analyzer itself keeps no state between calls
        if _analyzer is None:
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
            _analyzer = SentimentIntensityAnalyzer()
    return float(_analyzer.polarity_scores(text)["compound"])
