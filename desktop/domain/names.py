"""People's and businesses' names, normalised for duplicate checks.

A name is parsed once into given names, surname and suffix (or a business core), and two
parsed names are compared with the allowances a receptionist would make: nicknames
(Bob/Robert), initials (J. Smith), caller-id order (SMITH JOHN), typos (Jhon, Smtih) and
compound surnames (Garcia Lopez, de la Cruz). A business is never the same as a person.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, Levenshtein

from desktop.domain import nicknames

TITLES = frozenset("mr mrs ms miss mx dr rev fr prof sister".split())
SUFFIXES = {"jr": "jr", "junior": "jr", "sr": "sr", "senior": "sr", "ii": "ii", "iii": "iii",
            "iv": "iv", "2nd": "ii", "3rd": "iii"}
_DEGREES = frozenset("esq md phd dds dvm cpa rn".split())
PARTICLES = frozenset("de del della la le van von der den da di du dos das st san".split())
_LEGAL = frozenset("llc inc incorporated corp corporation co company ltd lp llp pllc pc "
                   "plc the group".split())
_BUSINESS_WORDS = _LEGAL | frozenset("""
holdings enterprises associates partners partnership services service svc svcs solutions
systems management mgmt properties property realty rentals apartments apartment apts condo
condos condominium condominiums association assn assoc hoa ministries ministry
synagogue mosque school academy university college hospital clinic dental dentistry
medical health centre pharmacy credit foundation restaurant pizza baptist lutheran
methodist catholic presbyterian episcopal pizzeria cafe diner bakery deli salon motel
plumbing heating cooling hvac electric electrical roofing construction contractors
contracting builders remodeling landscaping lawn auto automotive motors garage cleaners
cleaning laundry daycare fitness insurance investments sons bros supply drain sewer
township district department dept offices storage logistics
""".split())
# Words that are also surnames (Gary Church, Amy Law): a business only in a longer name
# that does not start with a given name ("St. Mark's Church", "Lakeview Bank & Trust").
_WEAK_BUSINESS_WORDS = frozenset("""
church temple grill parish bank trust union market shop store center law office farm farms club
gym hotel spa studio city county village capital brothers
""".split())
_BUSINESS_ABBREVIATIONS = {"mgmt": "management", "svc": "service", "svcs": "services",
                           "apts": "apartments", "assn": "association", "assoc": "association",
                           "bros": "brothers", "st": "saint", "mt": "mount", "ft": "fort",
                           "&": "and", "intl": "international", "ctr": "center"}
_HOUSEHOLD_WORDS = frozenset("the family household residence res".split())
_GENDERED_ENDINGS = ("a", "e", "le", "ine", "na", "ette", "elle")


@dataclass(frozen=True, slots=True)
class ParsedName:
    text: str                       # as given, trimmed
    business: bool
    firsts: tuple[str, ...] = ()    # given names: several for "Bob & Linda Hastings"
    middles: tuple[str, ...] = ()
    last: str = ""                  # surname with particles joined, hyphens dropped
    lasts: tuple[str, ...] = ()     # every surname the person may file under
    suffix: str = ""                # jr, sr, ii, iii, iv
    core: str = ""                  # normalised text for fuzzy comparison and prefiltering

    def swapped(self) -> ParsedName:
        """Caller-id order read the other way: SMITH JOHN -> John Smith."""
        if self.business or not self.firsts or len(self.firsts) > 1:
            return self
        first, last = self.firsts[0], self.last
        return ParsedName(self.text, False, (last,), self.middles, first, (first,), self.suffix,
                          self.core)

    def initials(self) -> frozenset[str]:
        """First letters the given names may be filed under, nicknames resolved."""
        out: set[str] = set()
        for first in self.firsts:
            out.add(first[0])
            out |= nicknames.formal_initials(first)
        return frozenset(out)


@dataclass(frozen=True, slots=True)
class NameVerdict:
    similarity: float      # 0..1
    compatible: bool       # could be the same person (or the same business)
    how: str               # exact, nickname, initials, typo, swapped order, ... or why not
    first_ok: bool = False
    last_ok: bool = False


def fold(text: str) -> str:
    """Lower case, accents removed (José -> jose)."""
    if not text or text.isascii():
        return (text or "").lower()
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def _tokens(text: str) -> list[str]:
    text = fold(text).replace("'", "").replace("\u2019", "").replace("&", " & ")
    return [t for t in re.split(r"[^a-z0-9&\-]+", text) if t.strip("-")]


def parse_name(text: str | None) -> ParsedName | None:
    """Parse a person's or business's name; None when there is no name at all."""
    raw = original = (text or "").strip()
    if "," in raw:  # "Smith, John" or "Smith, John Jr." -> "John Smith"
        head, _, tail = raw.partition(",")
        tail_tokens = _tokens(tail)
        if tail_tokens and not all(t in SUFFIXES or t in _DEGREES for t in tail_tokens):
            raw = f"{tail} {head}"
    tokens = [t.strip("-") for t in _tokens(raw)]
    if not tokens:
        return None
    if _is_business(tokens):
        core = [_BUSINESS_ABBREVIATIONS.get(t, t) for t in tokens]
        core = [_singular(t) for t in core if t not in _LEGAL and t != "and"]
        return ParsedName(original, True, core=" ".join(core or tokens))
    tokens = [t for t in tokens if t not in _HOUSEHOLD_WORDS] or tokens  # The Smith Family
    while tokens and tokens[0] in TITLES:
        tokens = tokens[1:]
    suffix = ""
    while len(tokens) > 1 and (tokens[-1] in SUFFIXES or tokens[-1] in _DEGREES):
        suffix = suffix or SUFFIXES.get(tokens[-1], "")
        tokens = tokens[:-1]
    if "&" in tokens or "and" in tokens[1:-1]:  # "Bob & Linda Hastings": a couple
        split = tokens.index("&") if "&" in tokens else tokens.index("and", 1)
        left, right = tokens[:split], tokens[split + 1:]
        one = _person(right, suffix)
        if one is None:
            return None
        lefts = tuple(left[:1]) if len(left) else ()
        return replace(one, text=original, firsts=lefts + one.firsts,
                       core=" ".join((*lefts, one.core)))
    person = _person(tokens, suffix)
    return None if person is None else replace(person, text=original)


def _is_business(tokens: list[str]) -> bool:
    if any(t in _BUSINESS_WORDS and t != "the" for t in tokens):
        return True
    return (any(t in _WEAK_BUSINESS_WORDS for t in tokens)
            and (len(tokens) >= 3 or "&" in tokens) and not nicknames.known(tokens[0]))


def _person(tokens: list[str], suffix: str) -> ParsedName | None:
    tokens = [t for t in tokens if t not in ("&", "and")]
    if not tokens:
        return None
    if len(tokens) == 1:
        last = tokens[0].replace("-", "")
        return ParsedName("", False, (), (), last, (last,), suffix, last)
    first, middles, last_tokens = tokens[0], list(tokens[1:-1]), [tokens[-1]]
    while middles and middles[-1] in PARTICLES:
        last_tokens.insert(0, middles.pop())
    last = "".join(last_tokens).replace("-", "")
    lasts = {last}
    if "-" in tokens[-1]:
        lasts |= {part for part in tokens[-1].split("-") if part}
    if middles and len(middles[-1]) > 1:  # Garcia Lopez: either family name may be used
        lasts.add(middles[-1].replace("-", ""))
    first = first.replace("-", "")
    core = " ".join([first, *middles, last])
    return ParsedName("", False, (first,), tuple(middles), last, tuple(sorted(lasts)), suffix,
                      core)


def _singular(token: str) -> str:
    return token[:-1] if len(token) > 3 and token.endswith("s") and not token.endswith("ss") \
        else token


def typo(a: str, b: str, given: bool = False) -> bool:
    """One slip of the keyboard apart (Jhon/John, Smtih/Smith, Reily/Reilly), but not two
    real given names that differ by a letter (Mark/Mary) or a boy/girl pair (Paul/Paula)."""
    if a == b:
        return True
    if given and ((nicknames.known(a) and nicknames.known(b)) or _gendered(a, b)):
        return False
    shorter = min(len(a), len(b))
    osa = OSA.distance(a, b)
    if osa == 1:
        transposed = Levenshtein.distance(a, b) == 2
        h_dropped = len(a) != len(b) and (a.replace("h", "") == b.replace("h", ""))
        doubled = len(a) != len(b) and re.sub(r"(.)\1", r"\1", a) == re.sub(r"(.)\1", r"\1", b)
        return shorter >= 5 or (shorter >= 3 and (transposed or h_dropped or doubled))
    return shorter >= 8 and (osa == 2 or fuzz.ratio(a, b) >= 90)


def _gendered(a: str, b: str) -> bool:
    short, long_ = sorted((a, b), key=len)
    if any(long_ == short + end for end in _GENDERED_ENDINGS):
        return True
    if len(short) > 1 and len(short) == len(long_) and short[:-1] == long_[:-1]:
        return {short[-1], long_[-1]} in ({"a", "o"}, {"a", "e"})
    return False


def _given(a: str, b: str) -> tuple[float, str]:
    if a == b:
        return (0.85, "initials") if len(a) == 1 else (1.0, "exact")
    if len(a) == 1 or len(b) == 1:
        initial, full = (a, b) if len(a) == 1 else (b, a)
        if len(full) > 1 and (full[0] == initial or initial in nicknames.formal_initials(full)):
            return 0.85, "initials"
        return 0.0, "different"
    if nicknames.interchangeable(a, b):
        return 0.95, "nickname"
    if typo(a, b, given=True):
        return 0.9, "typo"
    return fuzz.ratio(a, b) / 100 * 0.7, "different"


def _surname(a: str, b: str) -> tuple[float, str]:
    if a == b:
        return 1.0, "exact"
    if len(a) == 1 or len(b) == 1:
        return (0.8, "initials") if a[0] == b[0] else (0.0, "different")
    if typo(a, b):
        return 0.9, "typo"
    return fuzz.ratio(a, b) / 100 * 0.7, "different"


def _givens(name: ParsedName) -> list[tuple[str, float]]:
    """Given names to try, with a small penalty for going by a middle name."""
    out = [(first, 0.0) for first in name.firsts]
    if len(name.firsts) == 1 and name.middles:
        out += [(middle, 0.05) for middle in name.middles if len(middle) > 1]
        if len(name.firsts[0]) > 1:  # Anne Marie / Annemarie
            out.append((name.firsts[0] + name.middles[0], 0.0))
    return out


def _oriented(a: ParsedName, b: ParsedName) -> tuple[float, float, str, str]:
    last, last_how = max((_surname(x, y) for x in a.lasts for y in b.lasts),
                         key=lambda pair: pair[0])
    if not a.firsts or not b.firsts:  # one word: a surname, or a given name ("Bob")
        word, other = (a.last, b) if not a.firsts else (b.last, a)
        given, given_how = max((_given(word, first) for first in other.firsts),
                               key=lambda pair: pair[0], default=(0.0, "different"))
        if other.firsts and given > last:
            return 0.6, given, "given name only", given_how
        return 0.6, last, "surname only", last_how
    best = (-1.0, "different")
    for x, x_penalty in _givens(a):
        for y, y_penalty in _givens(b):
            sim, how = _given(x, y)
            sim -= x_penalty + y_penalty
            if sim > best[0]:
                best = (sim, how if not (x_penalty or y_penalty) else "middle name")
    return best[0], last, best[1], last_how


def compare(a: ParsedName, b: ParsedName) -> NameVerdict:
    """How alike two parsed names are, and whether they may be the same person."""
    if a.business != b.business:
        return NameVerdict(0.0, False, "business vs person")
    if a.business:
        loose, strict = fuzz.token_set_ratio(a.core, b.core), fuzz.token_sort_ratio(a.core, b.core)
        ok = loose >= 90 and strict >= 60
        return NameVerdict((loose + strict) / 200, ok, "exact" if a.core == b.core else
                           ("similar business name" if ok else "different business"), ok, ok)
    if a.suffix and b.suffix and a.suffix != b.suffix:
        return NameVerdict(0.5, False, f"{a.suffix} vs {b.suffix}")
    results = []
    for swapped, left in ((False, a), (True, a.swapped())):
        if swapped and left is a:
            continue
        first, last, first_how, last_how = _oriented(left, b)
        results.append((first, last, first_how, last_how, swapped))
    first, last, first_how, last_how, swapped = max(
        results, key=lambda r: (r[0] >= 0.8 and r[1] >= 0.8, r[0] + r[1] - 0.02 * r[4]))
    first_ok, last_ok = first >= 0.8, last >= 0.8
    if not (a.firsts and b.firsts):  # one side is a single word: weak either way
        first_ok = last_ok
    sim = max(0.0, 0.5 * first + 0.5 * last - (0.02 if swapped else 0.0))
    hows = [h for h in (first_how, last_how) if h not in ("exact",)]
    how = "exact" if not hows and not swapped else ", ".join(
        dict.fromkeys((["swapped order"] if swapped else []) + hows))
    return NameVerdict(round(sim, 3), first_ok and last_ok, how, first_ok, last_ok)


def soundex(word: str) -> str:
    """American Soundex, so that Smith, Smyth and Smtih share an index key."""
    if not word.isalpha():
        return word
    codes = _SOUNDEX
    out, last = word[0], codes.get(word[0], "")
    for ch in word[1:]:
        code = codes.get(ch, "")
        if code and code != last:
            out += code
        if ch not in "hw":
            last = code
    return (out + "000")[:4]


_SOUNDEX = {**dict.fromkeys("bfpv", "1"), **dict.fromkeys("cgjkqsxz", "2"),
            **dict.fromkeys("dt", "3"), "l": "4", **dict.fromkeys("mn", "5"), "r": "6"}
