"""Triage rules: a labelled set of voicemail transcripts scored per class (printed), and the
behaviours a receptionist relies on: negations, past emergencies, jokes and keyword look-
alikes do not alarm; no heat is an emergency only in the cold or with someone vulnerable;
too little to go on is `unknown`, never a guess."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from desktop.adapters.sentiment import sentiment
from desktop.domain.queue import Urgency
from desktop.domain.triage import LOW_CONFIDENCE, Criteria, owner_rule, triage

DATA = Path(__file__).parent.parent / "data"
CLASSES = ("emergency", "urgent", "routine", "unknown")
# Three sets, each written apart from the rules by someone who had not seen them. The rules
# were then tuned on each in turn, so these are development figures. The first, blind
# looks: second set emergency recall 0.70, precision 0.95; third set recall 0.76,
# precision 0.95 (README: expect less than these figures on a shop's real voicemails).
SETS = ("triage_transcripts.json", "triage_holdout.json", "triage_third.json")


def assess(text, **kw):
    return triage(text, sentiment=sentiment(text), **kw)


@pytest.mark.parametrize("name", SETS)
def test_labelled_transcripts_precision_and_recall_per_class(name):
    cases = json.loads((DATA / name).read_text(encoding="utf-8"))
    assert len(cases) >= 80
    confusion: Counter = Counter()
    misses = []
    for case in cases:
        got = str(assess(case["text"], after_hours=case.get("after_hours", False)).urgency)
        confusion[(case["urgency"], got)] += 1
        if got != case["urgency"]:
            misses.append(f"  {case['urgency']:>9} -> {got:<9} {case['text'][:90]}")
    lines, scores = [], {}
    for label in CLASSES:
        tp = confusion[(label, label)]
        predicted = sum(n for (_, got), n in confusion.items() if got == label)
        actual = sum(n for (want, _), n in confusion.items() if want == label)
        precision = tp / predicted if predicted else 1.0
        recall = tp / actual if actual else 1.0
        scores[label] = (precision, recall)
        lines.append(f"  {label:<9} n={actual:<3} precision {precision:.2f} recall {recall:.2f}")
    print(f"\n[triage] {name}: {len(cases)} labelled transcripts\n" + "\n".join(lines)
          + (f"\n  misread ({len(misses)}):\n" + "\n".join(misses) if misses else ""))
    assert scores["emergency"][1] >= 0.95, "emergency recall"
    assert scores["emergency"][0] >= 0.85, "emergency precision"
    # A call too vague to judge is shown to a person, never guessed into "routine" often.
    assert scores["unknown"][1] >= 0.75


@pytest.mark.parametrize("text, expected", [
    ("there's no smell of gas, the pilot light just won't stay lit", Urgency.URGENT),
    ("we had a burst pipe last week, your plumber fixed it, now we need a drywall estimate",
     Urgency.ROUTINE),
    ("looking to install a gas fireplace, can I get a quote", Urgency.ROUTINE),
    ("need a flood light installed over the garage", Urgency.ROUTINE),
    ("do you do emergency service? just asking for the future", Urgency.ROUTINE),
    ("my teenager's room is a disaster, it's flooding with laundry lol", Urgency.ROUTINE),
])
def test_words_that_look_urgent_but_are_not(text, expected):
    result = assess(text)
    assert result.urgency == expected, result.reasons


def test_an_emergency_names_the_phrases_it_matched():
    result = assess("hi um there's water pouring through the kitchen ceiling, please call "
                    "me back at 312 555 0142")
    assert result.urgency == Urgency.EMERGENCY and result.confidence >= 0.8
    assert any("water pouring through" in reason for reason in result.reasons)


def test_no_heat_is_an_emergency_only_in_the_cold_or_with_someone_vulnerable():
    assert assess("our furnace stopped working, can someone come tomorrow").urgency == \
        Urgency.URGENT
    cold = assess("the furnace stopped working and it's 5 degrees outside")
    assert cold.urgency == Urgency.EMERGENCY and "freezing weather" in cold.reasons[0]
    baby = assess("no heat in the house and we have a newborn")
    assert baby.urgency == Urgency.EMERGENCY and "vulnerable" in baby.reasons[0]
    assert assess("the AC stopped working, it's a bit warm").urgency == Urgency.URGENT
    assert assess("the AC died, it's 104 degrees and my grandmother lives with us"
                  ).urgency == Urgency.EMERGENCY


def test_too_little_to_go_on_is_unknown_and_never_an_emergency():
    for text in (None, "", "hi call me back", "[inaudible] ... thanks"):
        result = assess(text)
        assert result.urgency == Urgency.UNKNOWN and result.confidence < LOW_CONFIDENCE
    assert "no voicemail" in assess(None).reasons[0]


def test_repeat_calls_and_after_hours_are_signals():
    text = "the water heater is leaking a little, please call me"
    plain, pressed = assess(text), assess(text, repeat_calls=3, after_hours=True)
    assert plain.urgency == pressed.urgency == Urgency.URGENT
    assert pressed.confidence > plain.confidence
    assert "called 3 times in 30 minutes" in pressed.reasons
    assert "called after hours" in pressed.reasons
    # Three calls in half an hour with nothing said: someone needs calling now.
    assert triage(None, repeat_calls=3).urgency == Urgency.URGENT


def test_an_upset_caller_is_flagged():
    angry = assess("this is the third time I've called about my invoice, it's ridiculous "
                   "and I'm really frustrated")
    assert angry.sentiment == "upset" and angry.urgency == Urgency.ROUTINE
    assert assess("hi, could I book a tune-up next week? thanks so much").sentiment == "calm"


def test_the_owner_can_add_phrases_switch_rules_off_and_pick_trades():
    crawl = "there's water in the crawl space"
    own = Criteria.for_shop(extra=[{"phrase": "water in the crawl space",
                                    "urgency": "emergency"}])
    assert triage(crawl, criteria=own).urgency == Urgency.EMERGENCY
    assert "the owner's rule" in triage(crawl, criteria=own).reasons[0]
    no_sparks = Criteria.for_shop(disabled=["Sparks", "burning smell"])
    assert triage("the outlet sparked", criteria=no_sparks).urgency != Urgency.EMERGENCY
    plumbers = Criteria.for_shop(trades=["plumbing"])
    assert triage("the breaker keeps tripping in the kitchen",
                  criteria=plumbers).urgency != Urgency.URGENT
    with pytest.raises(ValueError, match="urgency must be"):
        owner_rule({"phrase": "x", "urgency": "soon"})
    with pytest.raises(ValueError, match="unknown trade"):
        Criteria.for_shop(trades=["roofing"])
