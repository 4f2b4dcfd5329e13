"""Triage: how urgent a missed call is, from what is known about it.

Inputs: the voicemail transcript, how many times the number called in the last half hour,
and whether the shop was closed. Output: an urgency (`emergency`, `urgent`, `routine`,
`unknown`), a confidence, the reasons in plain words (the phrases matched) and whether the
caller sounds upset.

How a transcript is read:
* The text is split into clauses ("..., but ...", sentences). Each rule is a set of
  patterns for one situation (gas smell, water coming in, sparks, ...). A pattern is
  word-bounded and specific: "gas" alone never matches, "smells like gas" does.
* A match does not count when its clause says it is not happening ("there's *no* smell of
  gas"), happened before and was dealt with ("we had a burst pipe *last week*, it's fixed
  now"), is hypothetical ("do you do emergency service, *just asking*"), or is a joke.
* "No heat" and "no cooling" are emergencies only with freezing or extreme heat, or a
  vulnerable person at home (a baby, an elderly parent, someone sick); otherwise urgent.
* Repeat calls and after-hours calls raise the confidence; a third call in half an hour
  makes a routine-sounding call urgent.
* No transcript, or too little in it, gives `unknown` with a low confidence: a person
  looks at it; nothing is ever dispatched on it.

The built-in criteria are per trade; the owner picks the shop's trades, switches a rule
off, or adds phrases of their own (settings `triage.*`). Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from desktop.domain.queue import Urgency

TRADES = ("plumbing", "hvac", "electrical", "general")
LOW_CONFIDENCE = 0.5         # below this, the answer is `unknown`: a person decides
REPEAT_WINDOW_MINUTES = 30
NEAR = 60                    # characters either side of a match that can void it
UPSET_SENTIMENT = -0.45      # VADER compound score at or below which a caller is upset


@dataclass(frozen=True)
class Rule:
    name: str                       # shown as the reason: "smell of gas"
    urgency: Urgency
    trade: str
    patterns: tuple[str, ...]
    # An emergency only with one of these conditions (else it is `urgent`):
    needs: tuple[str, ...] = ()     # names in CONDITIONS
    # Anywhere in the voicemail, these void the rule ("the whole block lost power": the
    # utility's outage, not the shop's job).
    unless: tuple[str, ...] = ()
    # A danger to life stays an emergency even when the caller plays it down.
    always: bool = False

    def compiled(self) -> tuple[re.Pattern, ...]:
        return _compile(self.patterns)


@dataclass(frozen=True)
class Triage:
    urgency: Urgency
    confidence: float
    reasons: tuple[str, ...]
    sentiment: str                  # "upset" or "calm"
    sentiment_score: float = 0.0    # VADER compound, -1 (angry) .. 1 (happy)

    def to_json(self) -> dict:
        return {"urgency": str(self.urgency), "confidence": self.confidence,
                "reasons": list(self.reasons), "sentiment": self.sentiment}


@dataclass(frozen=True)
class Criteria:
    """The rules in force: the built-ins of the shop's trades, less those switched off,
    plus the owner's own phrases."""

    rules: tuple[Rule, ...]

    @classmethod
    def for_shop(cls, trades: Iterable[str] = TRADES, disabled: Iterable[str] = (),
                 extra: Iterable[Mapping[str, str]] = ()) -> Criteria:
        trades, off = set(trades) | {"general"}, {d.strip().lower() for d in disabled}
        unknown = set(trades) - set(TRADES)
        if unknown:
            raise ValueError(f"unknown trade(s) {sorted(unknown)}; use {', '.join(TRADES)}")
        rules = [r for r in BUILT_IN if r.trade in trades and r.name.lower() not in off]
        for n, item in enumerate(extra):
            rules.append(owner_rule(item, n))
        return cls(tuple(rules))


def owner_rule(item: Mapping[str, str], n: int = 0) -> Rule:
    """{"phrase": "water in the crawl space", "urgency": "emergency"} -> a Rule matching
    the phrase as words (case and spacing ignored). Raises ValueError naming the problem."""
    phrase = " ".join(str(item.get("phrase") or "").lower().split())
    if not phrase:
        raise ValueError(f"triage rule {n + 1} has no phrase")
    try:
        urgency = Urgency(str(item.get("urgency") or "emergency").lower())
    except ValueError:
        raise ValueError(f"triage rule '{phrase}': urgency must be emergency, urgent or "
                         f"routine, not {item.get('urgency')!r}") from None
    if urgency == Urgency.UNKNOWN:
        raise ValueError(f"triage rule '{phrase}': urgency must be emergency, urgent or "
                         "routine")
    words = r"\s+".join(re.escape(w) for w in phrase.split())
    return Rule(f"'{phrase}' (the owner's rule)", urgency, "general", (rf"\b{words}\b",))


# -- the built-in criteria ---------------------------------------------------------------------
E, U, R = Urgency.EMERGENCY, Urgency.URGENT, Urgency.ROUTINE
_WATER = r"(?:water|it)"
BUILT_IN: tuple[Rule, ...] = (
    # plumbing
    Rule("burst pipe", E, "plumbing", (
        r"\b(?:pipes?|line|hose|fitting)\b.{0,25}\b(?:burst|busted|broke|exploded|split|blew|"
        r"snapped|popped|came apart|came off|came loose)",
        r"\bspray(?:ing|s)\b(?!\s+(?:foam|paint|nozzle|bottle))",
        r"\b(?:burst|busted|broken|split|frozen and burst)\s+(?:water\s+)?(?:pipes?|line)\b")),
    Rule("water coming in", E, "plumbing", (
        rf"\b{_WATER}\s+(?:is\s+|'s\s+|keeps\s+)?(?:pouring|gushing|spraying|rushing|"
        r"shooting|streaming|flowing|coming)\s+(?:in|out|through|down|from|up|into|everywhere|all over)",
        r"\bwater\s+(?:is\s+)?everywhere\b", r"\bwater all over\b",
        r"\b(?:flood(?:ing|ed)?)\b(?!\s*(?:light|lights|season|insurance|zone|plain))",
        r"\b(?:basement|kitchen|bathroom|floor|garage|house)\s+is\s+(?:filling|full|"
        r"flooding|under water|underwater)",
        r"\b(?:inches|inch|feet|foot)\s+of\s+water\b", r"\btaking on water\b",
        r"\b(?:water|it'?s)\b.{0,25}\band rising\b",
        r"\b(?:pouring|gushing|spraying|rushing)\b\s+(?:\w+\s+){0,3}(?:everywhere|out|in|down|"
        r"all over|through|into)\b",
        r"\bwater\s+(?:is\s+)?coming\s+(?:\w+\s+){0,2}(?:fast|quick|hard)",
        r"\b(?:floor|basement|room)\s+is\s+all\s+water\b",
        r"\b(?:puddle|water|leak)\b.{0,30}\b(?:keeps getting bigger|getting bigger and|keeps "
        r"spreading|still coming|keeps coming)\b", r"\binch(?:es)?\s+deep\b",
        r"\bceiling\b.{0,80}\b(?:bulging|sagging|caving|collapsing|coming down|pouring|"
        r"bubbl(?:e|ing))", r"\bceiling\s+(?:is\s+)?(?:dripping|leaking)",
        r"\b(?:running|pouring|spilling|going|spreading)\s+(?:all\s+)?(?:over|across|onto|"
        r"down through|through|into)\s+the\s+(?:floor|hall|carpet|basement)",
        r"\ball over the (?:floor|place|house)\b",
        r"\bwater\s+(?:is\s+)?(?:coming\s+)?(?:through|from)\s+the\s+ceiling\b",
        r"\bcan'?t\s+(?:shut|turn)\s+(?:the\s+)?water\s+off\b",
        r"\bcan'?t\s+(?:shut|turn)\s+off\s+the\s+water\b",
        r"\bwon'?t\s+stop\s+(?:leaking|running|spraying|pouring)")),
    Rule("sewage backup", E, "plumbing", (
        r"\bsew(?:age|er)\s*backup\b",
        r"\bsew(?:age|er)\b.{0,30}\b(?:back(?:ing|ed)?\s+up|coming\s+up|overflow|"
        r"everywhere|into|in the|on the floor|bubbling)",
        r"\braw sewage\b", r"\b(?:floor )?drain\b.{0,30}\bsewage\b",
        r"\bback(?:ing|ed)\s+up\s+(?:with|into)\s+(?:\w+\s+)?(?:nasty|sewage|poop|waste|dirty|"
        r"black|brown|gross)", r"\b(?:both|all)\s+(?:\w+\s+)?back(?:ing|ed)\s+up\b",
        r"\b(?:toilet|tub|shower|sink)s?\s+and\s+(?:the\s+)?(?:toilet|tub|shower|sink|floor "
        r"drain)s?\b.{0,30}\bback(?:ing|ed)?\s+up",
        r"\btoilets?\b.{0,30}\b(?:overflowing|won'?t stop (?:running|overflowing))\b.{0,40}"
        r"\b(?:floor|everywhere|hall)")),
    Rule("water heater flooding", E, "plumbing", (
        r"\bwater heater\b.{0,40}\b(?:burst|pouring|gushing|flooding|exploded|spraying)",)),
    # hvac and gas
    Rule("smell of gas", E, "hvac", always=True, patterns=(
        r"\bsmell(?:s|ing)?\s+(?:of\s+|like\s+)?(?:natural\s+)?(?:gas|propane|rotten eggs?)\b",
        r"\bgas\s+(?:smell|odou?r|leak)", r"\bleak(?:ing|s)?\s+gas\b",
        r"\brotten eggs?\b", r"\bgas\s+is\s+leaking\b",
        r"\bsmell\w*\b.{0,25}\b(?:skunk|sulfur|sulphur|rotten)\b", r"\bhiss(?:ing)?\b.{0,30}\bgas\b",
        r"\bgas\b.{0,30}\bhiss(?:ing)?\b")),
    Rule("carbon monoxide alarm", E, "hvac", (
        r"\b(?:carbon monoxide|c\.?o\.?2?)\s+(?:alarms?|detectors?|monitors?)\b.{0,25}"
        r"\b(?:going off|went off|goes off|beeping|sounding|screaming|reading|keeps)",
        r"\b(?:carbon monoxide|c\.?o\.?2?)\s+(?:is\s+)?(?:going off|beeping|went off)",
        r"\bcarbon monoxide\b.{0,30}\b(?:going off|went off|beeping|sounding|screaming|"
        r"alarming|blaring|shrieking)",
        r"\bcarbon monoxide\s+(?:poisoning|leak|in the|levels?|reading)",
        r"\b(?:alarm|detector)\b.{0,25}\b(?:says|reads|shows)\b.{0,15}\b(?:co|carbon)\b"),
        always=True),
    Rule("no heat", E, "hvac", (
        r"\bno\s+heat\b", r"\b(?:heat|heater|furnace|boiler|heat pump|heating)"
        r"(?:'s|\s+is|\s+has|'s been|\s+has been)?\s+(?:not\s+working|stopped|died|went out|"
        r"quit|won'?t\s+(?:come|turn|start|kick|light)|isn'?t\s+working|out\b|off\b|dead\b)",
        r"\bnot\s+(?:getting\s+any\s+)?heat(?:ing)?\b",
        r"\b(?:furnace|boiler|heater|heat)\b.{0,30}\b(?:nothing happens|completely dead|is dead|"
        r"won'?t (?:light|fire|ignite)|no fan no)", r"\bwon'?t (?:light|ignite|fire up)\b",
        r"\bthermo ?stat\b.{0,30}\b(?:dropping|keeps dropping|going down)\b",
        r"\b(?:house|home|place)\s+is\s+(?:freezing|ice cold|so cold)",
        r"\bno\s+(?:heating)\b", r"\bfurnace\b.{0,20}\bnot\b.{0,10}\bheat"),
        needs=("freezing", "vulnerable")),
    Rule("no cooling", E, "hvac", (
        r"\bno\s+(?:ac|a/c|a\.c\.|air|cooling|air conditioning)\b",
        r"\b(?:ac|a/c|a\.c\.|air conditioner|air conditioning|air|cooling)\s+(?:is\s+|has\s+)?"
        r"(?:not\s+working|stopped|died|went out|quit|out|isn'?t\s+(?:working|cooling)|"
        r"won'?t\s+(?:come|turn|cool|start)|blowing\s+(?:warm|hot))",
        r"\bnot\s+cooling\b"), needs=("heat", "vulnerable")),
    Rule("smoke from equipment", E, "general", always=True, patterns=(
        r"\bsmoke (?:in|filling) the (?:house|home|basement|room|kitchen|garage|attic|hall)",
        r"\bsmell(?:s|ing)?\s+(?:of\s+|like\s+)?smoke\b",
        r"\bsmoke\b(?!\s*(?:detector|alarm)s?\s+(?:install|replace|battery|batteries|chirp))"
        r".{0,30}\b(?:coming|from|out|pouring|filling)",
        r"\b(?:furnace|unit|panel|outlet|heater|dryer|motor)\b.{0,20}\bsmoking\b",
        r"\b(?:started|is|are|was|it'?s|keeps)\s+smoking\b",
        r"\bon fire\b", r"\bcaught fire\b", r"\bflames?\b")),
    # electrical
    Rule("sparks", E, "electrical", (r"\bspark(?:s|ed|ing)\b", r"\barc(?:ing|ed)\b"),
         always=True),
    Rule("water near electricity", E, "general", (
        r"\bwater\b.{0,70}\b(?:electrical panel|breaker box|panel|outlets?|light fixture|"
        r"fixture|wiring|wires|plugged in)\b",
        r"\b(?:puddle|water|leak\w*)\b.{0,60}\b(?:reaching|touching|getting to|under)\s+"
        r"(?:\w+\s+){0,3}(?:furnace|water heater|freezer|washer|dryer|panel|outlet)",
        r"\b(?:electrical panel|breaker box|outlets?|light fixture|wiring)\b.{0,40}\b(?:wet|"
        r"water|dripping)\b"), always=True),
    Rule("burning smell", E, "electrical", always=True, patterns=(
        r"\bburning\s+(?:smell|odou?r|plastic)", r"\bburnt?\s+(?:smell|odou?r)",
        r"\bhot plastic\b", r"\b(?:panel|breaker box|outlet|switch|plug)\b.{0,20}\bis\s+"
        r"(?:really\s+|very\s+)?hot\b", r"\bsmell(?:s|ing)?\s+(?:like\s+)?"
        r"(?:something\s+)?(?:burning|burnt|melting|electrical)",
        r"\b(?:outlet|switch|panel|wire|wires|plug|cord|breaker)s?\b.{0,25}\b(?:melt(?:ed|ing)|"
        r"scorched|black(?:ened)?|hot to the touch|burning)")),
    Rule("whole-house power loss", E, "electrical", (
        r"\b(?:whole|entire)\s+(?:house|home|place)\b.{0,25}\b(?:no\s+power|lost\s+power|"
        r"without\s+power|went\s+dark|is\s+dark|out)",
        r"\bno\s+(?:power|electricity)\s+(?:in|to|anywhere in)\s+the\s+(?:whole|entire)?\s*"
        r"(?:house|home)", r"\blost\s+(?:all\s+)?(?:power|electricity)\b",
        r"\b(?:power|electricity)(?:'s|\s+is|\s+went)?\s+(?:out|off|gone|dead)\b.{0,30}"
        r"\b(?:whole|entire|all of the|everywhere)\b",
        r"\bneighbou?rs\b.{0,20}\b(?:have|still have|all have)\b.{0,15}\b(?:power|lights)",
        r"\ball (?:the )?(?:power|electricity|lights) in the (?:whole )?(?:house|home)\b.{0,20}"
        r"\b(?:out|off|gone|went)"),
         unless=(r"\b(?:whole|entire)\s+(?:block|street|neighbou?rhood|area|town)\b",
                 r"\beverybody'?s (?:out|without)\b", r"\bit'?s the (?:utility|power company)\b",
                 r"\bstorm\b.{0,30}\boutage\b")),
    Rule("electric shock", E, "electrical", (
        r"\b(?:got|get|getting)\s+(?:a\s+)?shock(?:ed)?\b", r"\belectrocuted\b",
        r"\bshocked\s+(?:me|him|her|my)")),
    # urgent, not dangerous
    Rule("no hot water", U, "plumbing", (
        r"\bno\s+hot\s+water\b", r"\bhot water\b.{0,30}\b(?:out|not working|stopped|gone|"
        r"lukewarm|runs out|cold)", r"\blukewarm\b",
        r"\bwater heater\b.{0,30}\b(?:not working|stopped|died|went out|pilot|leak(?:ing|s)?)")),
    Rule("blocked drain or toilet", U, "plumbing", (
        r"\bclog(?:ged|s)?\b", r"\bbacked up\b", r"\bbacking up\b", r"\bwon'?t\s+(?:drain|flush)",
        r"\bjammed\b", r"\bfull of water\b", r"\bruns all the time\b",
        r"\boverflow(?:ing|ed)?\b")),
    Rule("leak", U, "plumbing", (
        r"\bleak(?:s|ing|y|ed)?\b", r"\bdrip(?:s|ping)?\b", r"\bsump pump\b",
        r"\bwon'?t\s+(?:shut|turn)\s+off\b", r"\bwater pressure\b", r"\bno water\b",
        r"\bseep\w*\b")),
    Rule("heating or cooling problem", U, "hvac", (
        r"\b(?:furnace|boiler|heat pump|thermostat|ac|a/c|air conditioner|air conditioning|"
        r"heater|igniter|ignitor|blower|condenser|heat|cooling)\b.{0,40}"
        r"\b(?:not working|stopped|broken|won'?t|noise|sound|short cycling|blowing cold|"
        r"frozen|iced|screech\w*|squeal\w*|grind\w*|bang\w*|rattl\w*|click\w*|blank|"
        r"is out|'s out|went out|died|dead|quit|buzz\w*|(?:not|isn'?t) spinning|"
        r"blowing\s+(?:\w+\s+){0,2}(?:cool|cold|warm|hot))",
        r"\bpilot(?: light)?\b.{0,25}\b(?:out|won'?t|keeps going out|not lit|goes out)")),
    Rule("electrical fault", U, "electrical", (
        r"\bbreaker\b.{0,20}\b(?:trip|tripping|keeps|won'?t)", r"\btripp(?:ing|ed)\b",
        r"\b(?:outlets?|lights?)\b.{0,40}\b(?:not working|stopped working|dead|flicker(?:ing)?|"
        r"out|dim\w*)\b",
        r"\bhalf (?:the|of the) (?:house|outlets)\b")),
    Rule("asked for today", U, "general", (
        r"\b(?:asap|as soon as possible|right away|today if|today please|urgent(?:ly)?|"
        r"need someone (?:today|tonight|now))\b",)),
)

# Conditions that make "no heat" / "no cooling" an emergency.
CONDITIONS = {
    "freezing": (r"\bfreez(?:ing|e)\b", r"\bbelow (?:zero|freezing)\b", r"\bsub ?zero\b",
                 r"\b(?:[0-9]|[12][0-9]|3[0-2])\s+degrees\b", r"\bpipes?\b.{0,20}\bfreez",
                 r"\bminus\s+\d+", r"\b(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|"
                 r"eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|"
                 r"twenty|twenty[- ]\w+|thirty|thirty[- ]one|thirty[- ]two)\s+degrees\b", r"-\d+\b", r"\bin the (?:40|30|20)s\b", r"\bwind ?chill\b",
                 r"\bsnow(?:storm|ing)?\b", r"\bice storm\b", r"\bbitter(?:ly)? cold\b",
                 r"\bsee (?:my|our) breath\b"),
    "heat": (r"\b(?:9[5-9]|1[01][0-9])\s+degrees\b", r"\bheat wave\b", r"\bheat ?stroke\b",
             r"\bextreme heat\b", r"\b(?:scorching|sweltering|unbearabl[ey]|so hot|boiling)\b"),
    "vulnerable": (r"\bbab(?:y|ies)\b", r"\bnewborn\b", r"\binfant\b", r"\btoddler\b",
                   r"\b\w+\s+(?:month|week)s?\s+old\b",
                   r"\belderly\b", r"\b(?:8[0-9]|9[0-9]|100)\s*(?:years? old|yo)\b",
                   r"\b(?:grand ?(?:ma|mother|pa|father)|my (?:mom|mother|dad|father))\b",
                   r"\bsick\b", r"\bill\b", r"\bdisabled\b", r"\bwheelchair\b",
                   r"\boxygen\b", r"\bpregnant\b", r"\bdialysis\b", r"\bhospice\b",
                   r"\bchemo\b", r"\bheart condition\b", r"\bcancer\b", r"\bkids?\b",
                   r"\bchildren\b", r"\bmedical\b", r"\bsenior\b"),
}

# What voids a match in its clause.
_NEGATION = re.compile(
    r"\b(?:no|not|never|without|nothing|none|isn'?t|aren'?t|wasn'?t|don'?t|doesn'?t|"
    r"didn'?t|haven'?t|hasn'?t|no sign of|not any|zero)\b", re.IGNORECASE)
_PAST = re.compile(
    r"\b(?:last (?:week|month|year|winter|summer|night's|weekend)|(?:a|two|three|few|couple "
    r"of) (?:days|weeks|months) ago|yesterday's|was fixed|were fixed|got fixed|been fixed|"
    r"already fixed|(?:you|they|he|someone|your (?:guy|tech|plumber)) (?:fixed|repaired|"
    r"replaced)|fixed it|fixed now|repaired|all fixed|taken care of|since the|after the|"
    r"from the (?:flood|leak|fire)|insurance claim|had (?:a|the)|back in|everything'?s (?:fine|"
    r"good|ok|okay) now|came out (?:last|yesterday|on)|for the insurance)\b", re.IGNORECASE)
_HYPOTHETICAL = re.compile(
    r"\b(?:in case|just in case|if (?:ever|we ever|there'?s ever|it ever)|do you (?:do|offer|"
    r"have)|for the future|just asking|before (?:the )?(?:winter|summer|flooding|storm|"
    r"season)|prevent|avoid|to be safe|wondering if|what (?:do|should) (?:i|we) do if|"
    r"install(?:ed|ing|ation)?|quote|estimate|pric(?:e|ing)|replace(?:ment)?|new|upgrade|"
    r"test(?:ed|ing)?|inspect(?:ion|ed)?|check(?:ed)?|detectors? (?:installed|replaced)|"
    r"chirp(?:ing|s)?|add(?:ing)?|sensors?|(?:detector|alarm)s?\b.{0,20}\bbatter(?:y|ies))\b",
    re.IGNORECASE)
_SCOPE_BREAK = re.compile(r"\b(?:it'?s|it is|and|so|now|then|like)\b", re.IGNORECASE)
_JOKE = re.compile(r"\b(?:lol|haha|ha ha|ha|just kidding|kidding|jk|figuratively|joking)\b",
                   re.IGNORECASE)
_NOT_EMERGENCY = re.compile(r"\bnot (?:an? )?(?:emergency|urgent|rush|big deal)\b|"
                            r"\bno (?:rush|hurry)\b|\bwhenever\b|\bno emergency\b",
                            re.IGNORECASE)
_ROUTINE = re.compile(
    r"\b(?:quote|estimate|schedul\w*|appointment|reschedul\w*|invoice|bill(?:ing)?|payment|"
    r"maintenance|tune[ -]?up|check[ -]?up|inspection|install\w*|replace\w*|upgrade|"
    r"question|price|pricing|cost|warranty|follow(?:ing)? up|consult\w*|remodel\w*|"
    r"renovat\w*|service plan|membership|receipt|review|paperwork|permit|next week|"
    r"sometime|whenever|availability|available|book|emergency services?|just asking|"
    r"wondering|do you (?:do|offer|have|service)|open on)\b", re.IGNORECASE)
_CLAUSES = re.compile(r"[.!?;,]+|\bbut\b|\bhowever\b|\balthough\b|\bthough\b|\s-\s",
                      re.IGNORECASE)
_WORDS = re.compile(r"[a-z']+")
_FILLER = {"um", "uh", "hi", "hello", "hey", "yeah", "so", "this", "is", "it's", "its", "the",
           "a", "me", "my", "call", "back", "please", "thanks", "thank", "you", "bye", "at",
           "number", "name", "inaudible", "and", "i", "i'm", "to", "on", "it", "was", "just",
           "calling", "give", "ring", "when", "can", "get", "chance", "about", "know", "what",
           "oh", "okay", "ok"}


@lru_cache(maxsize=None)
def _compile(patterns: tuple[str, ...]) -> tuple[re.Pattern, ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


@dataclass(frozen=True)
class _Hit:
    rule: Rule
    phrase: str
    clause: str


def _clauses(text: str) -> list[str]:
    return [c.strip() for c in _CLAUSES.split(text) if c and c.strip()]


def _voided(rule: Rule, clause: str, phrase: str) -> str | None:
    """Why a match in this clause does not count, or None."""
    before = clause[:clause.lower().find(phrase.lower())] if phrase else clause
    # A negation reaches to the next subject: "there's no gas smell" is denied, "it's not
    # a drip, it's like pouring out" is not.
    scope = _SCOPE_BREAK.split(before[-40:])[-1]
    own_no = phrase.lower().startswith(("no ", "not "))
    if not own_no and _NEGATION.search(scope):
        return "negated"
    # Long run-on transcripts make one "clause" of several thoughts: look near the match.
    at = clause.lower().find(phrase.lower())
    near = clause[max(0, at - NEAR):at + len(phrase) + NEAR] if at >= 0 else clause
    if _PAST.search(near):
        return "already dealt with"
    if _JOKE.search(near):
        return "a joke"
    if _HYPOTHETICAL.search(near):
        return "not happening now"
    return None


def _has(condition: str, text: str) -> bool:
    """The condition holds somewhere in the voicemail, and is not denied ("nobody's sick",
    "chilly but not freezing")."""
    for clause in _clauses(text):
        for pattern in _compile(CONDITIONS[condition]):
            found = pattern.search(clause)
            if found and not _NEGATION.search(clause[:found.start()][-30:]):
                return True
    return False


def triage(transcript: str | None, *, criteria: Criteria | None = None,
           repeat_calls: int = 1, after_hours: bool = False,
           sentiment: float | None = None) -> Triage:
    """How urgent a call is. `repeat_calls` is how many calls this number made within
    REPEAT_WINDOW_MINUTES (this one included); `sentiment` a VADER compound score of the
    transcript (the service computes it; None = not known)."""
    criteria = criteria or DEFAULT_CRITERIA
    text = " ".join((transcript or "").split())
    mood = "upset" if sentiment is not None and sentiment <= UPSET_SENTIMENT else "calm"
    score = round(sentiment, 3) if sentiment is not None else 0.0
    signals = []
    if repeat_calls >= 2:
        signals.append(f"called {repeat_calls} times in {REPEAT_WINDOW_MINUTES} minutes")
    if after_hours:
        signals.append("called after hours")
    words = [w for w in _WORDS.findall(text.lower()) if w not in _FILLER and not w.isdigit()]
    if len(words) < 3:
        reasons = ["no voicemail to go on" if not text else "too little in the voicemail"]
        if repeat_calls >= 3:
            return Triage(U, 0.55, tuple(reasons + signals), mood, score)
        return Triage(Urgency.UNKNOWN, 0.2, tuple(reasons + signals), mood, score)

    hits: list[_Hit] = []
    voided: list[str] = []
    rules = [r for r in criteria.rules
             if not any(p.search(text) for p in _compile(r.unless))]
    for clause in _clauses(text):
        for rule in rules:
            for pattern in rule.compiled():
                found = pattern.search(clause)
                if not found:
                    continue
                why = _voided(rule, clause, found.group(0))
                if why:
                    voided.append(f"'{found.group(0)}' ({why})")
                else:
                    hits.append(_Hit(rule, found.group(0), clause))
                break

    emergencies, urgents = [], []
    for hit in hits:
        if hit.rule.urgency == E:
            if hit.rule.needs and not any(_has(c, text) for c in hit.rule.needs):
                urgents.append(f"{hit.rule.name}: '{hit.phrase}'")
                continue
            condition = next((c for c in hit.rule.needs if _has(c, text)), None)
            extra = f" with {_CONDITION_WORDS[condition]}" if condition else ""
            emergencies.append(f"{hit.rule.name}{extra}: '{hit.phrase}'")
        elif hit.rule.urgency == U:
            urgents.append(f"{hit.rule.name}: '{hit.phrase}'")
    owner_routine = [h for h in hits if h.rule.urgency == R]
    calm_down = bool(_NOT_EMERGENCY.search(text))

    dangerous = any(h.rule.always for h in hits if h.rule.urgency == E)
    if emergencies and (not calm_down or dangerous):
        confidence = min(0.98, 0.8 + 0.06 * (len(set(emergencies)) - 1)
                         + 0.04 * (repeat_calls >= 2) + 0.03 * after_hours
                         + 0.03 * (mood == "upset"))
        return Triage(E, round(confidence, 2), tuple(dict.fromkeys(emergencies)) +
                      tuple(signals), mood, score)
    if emergencies:  # "not an emergency, but water is dripping from the ceiling"
        urgents = emergencies + urgents
    routine_words = [m.group(0) for m in _ROUTINE.finditer(text)]
    if urgents and calm_down and routine_words:
        urgents = []  # "the faucet drips a little, replace it whenever": a routine job
    if urgents or (repeat_calls >= 3):
        reasons = list(dict.fromkeys(urgents)) or ["repeated calls"]
        if calm_down:
            reasons.append("the caller says it is not an emergency")
        confidence = min(0.95, 0.65 + 0.05 * (len(urgents) > 1) + 0.05 * (repeat_calls >= 2)
                         + 0.03 * after_hours)
        return Triage(U, round(confidence, 2), tuple(reasons + signals), mood, score)
    reasons = []
    if owner_routine:
        reasons += [f"{h.rule.name}: '{h.phrase}'" for h in owner_routine]
    if routine_words:
        reasons.append("routine request: " + ", ".join(
            f"'{w.lower()}'" for w in dict.fromkeys(w.lower() for w in routine_words[:3])))
    if voided:
        reasons.append("not an emergency: " + "; ".join(dict.fromkeys(voided)))
    if calm_down:
        reasons.append("the caller says it is not an emergency")
    if not reasons:
        reasons = ["nothing urgent in the voicemail"]
    confidence = 0.8 if (routine_words or owner_routine or calm_down) else (
        0.6 if voided else 0.55 if len(words) >= 8 else 0.4)
    urgency = R if confidence >= LOW_CONFIDENCE else Urgency.UNKNOWN
    return Triage(urgency, confidence, tuple(reasons + signals), mood, score)


_CONDITION_WORDS = {"freezing": "freezing weather", "heat": "extreme heat",
                    "vulnerable": "a vulnerable person at home"}
DEFAULT_CRITERIA = Criteria.for_shop()
