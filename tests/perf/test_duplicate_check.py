"""Benchmark: a duplicate check against 100,000 contacts (DESIGN: under 5 ms at p99).

Builds 100k synthetic customers (US-style names with a realistic skew -- plenty of Smiths
and Garcias -- real area codes, street addresses with units, ~5% sharing a surname and zip
with another customer, ~3% households sharing a phone), then times `check()` over 2,000
would-be leads: callers already known (written differently), household members, and new
callers. A naive full scan (rapidfuzz over every record's name and address, plus a phone
and email comparison with every record) is timed in the same run on fewer queries.
"""

from __future__ import annotations

import random
import statistics
import time

import pytest
from rapidfuzz import fuzz, process

from desktop.domain.duplicates import Candidate, DuplicateIndex

pytestmark = pytest.mark.slow

CONTACTS = 100_000
QUERIES = 2_000
NAIVE_QUERIES = 40

FIRSTS = ("James Robert John Michael David William Richard Joseph Thomas Charles Christopher "
          "Daniel Matthew Anthony Mark Donald Steven Paul Andrew Joshua Kenneth Kevin Brian "
          "George Timothy Ronald Edward Jason Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan "
          "Stephen Larry Justin Scott Brandon Benjamin Samuel Gregory Frank Raymond Patrick "
          "Jose Luis Carlos Juan Jorge Miguel Tuan Minh Wei Raj Mary Patricia Jennifer Linda "
          "Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty Margaret Sandra Ashley "
          "Kimberly Emily Donna Michelle Carol Amanda Dorothy Melissa Deborah Stephanie Rebecca "
          "Sharon Laura Cynthia Kathleen Amy Angela Shirley Anna Brenda Pamela Emma Nicole "
          "Helen Samantha Katherine Christine Debra Rachel Maria Rosa Guadalupe Ana Linh Priya"
          ).split()
NICKNAMES = {"Robert": "Bob", "William": "Bill", "Elizabeth": "Liz", "Michael": "Mike",
             "James": "Jim", "Richard": "Dick", "Margaret": "Peggy", "Katherine": "Kathy",
             "Thomas": "Tom", "Joseph": "Joe", "Jennifer": "Jenny", "Anthony": "Tony",
             "Patricia": "Patty", "Charles": "Chuck", "Deborah": "Debbie", "Daniel": "Dan"}
SURNAMES = {  # weight ~ frequency per 100k US residents, roughly
    "Smith": 830, "Johnson": 650, "Williams": 550, "Brown": 490, "Jones": 480,
    "Garcia": 470, "Miller": 420, "Davis": 400, "Rodriguez": 390, "Martinez": 380,
    "Hernandez": 370, "Lopez": 310, "Gonzalez": 300, "Wilson": 280, "Anderson": 270,
    "Thomas": 260, "Taylor": 260, "Moore": 250, "Jackson": 240, "Martin": 240, "Lee": 230,
    "Perez": 220, "Thompson": 220, "White": 220, "Harris": 210, "Sanchez": 210,
    "Clark": 190, "Ramirez": 190, "Lewis": 180, "Robinson": 180, "Walker": 170,
    "Young": 170, "Allen": 160, "King": 160, "Wright": 160, "Scott": 150, "Torres": 150,
    "Nguyen": 150, "Hill": 150, "Flores": 150, "Green": 150, "Adams": 140, "Nelson": 140,
    "Baker": 140, "Hall": 140, "Rivera": 130, "Campbell": 130, "Mitchell": 130,
    "Carter": 130, "Roberts": 130, "Smyth": 10, "Snead": 10, "Schmidt": 60, "Kowalski": 30,
    "Novak": 20, "Okafor": 10, "Patel": 90, "Kim": 90, "Chen": 80, "Murphy": 100,
    "Sullivan": 60, "Walsh": 40, "Reilly": 30, "Fischer": 40, "Lindqvist": 5, "Brennan": 30,
    "Delgado": 40, "Castillo": 60, "Morales": 80, "Vega": 40, "Ortiz": 70, "Mendoza": 60,
}
STREETS = ("Main Oak Maple Cedar Pine Elm Washington Lake Hill Park Walnut Ridge Lincoln "
           "Jefferson Madison Franklin Adams Highland Sunset Meadow Forest River Spring Church "
           "Chestnut Willow Jackson Cherry Mill Center Prospect Grove Western Ashland Kedzie "
           "Pulaski Cicero Harlem Irving Belmont Fullerton Addison Lawrence Foster Devon "
           "Peterson Touhy Halsted Racine Damen Clark Broadway Sheridan Wilson Montrose "
           "Diversey Armitage Division Chicago Grand Madison Roosevelt Cermak Archer Pershing"
           ).split()
TYPES = ("St", "Ave", "Rd", "Dr", "Ln", "Ct", "Blvd", "Pl", "Way", "Pkwy")
LONG = {"St": "Street", "Ave": "Avenue", "Rd": "Road", "Dr": "Drive", "Ln": "Lane",
        "Ct": "Court", "Blvd": "Boulevard", "Pl": "Place", "Way": "Way", "Pkwy": "Parkway",
        "N": "North", "S": "South", "E": "East", "W": "West"}
METROS = [("Chicago", "IL", ("312", "773", "872"), 60601), ("Evanston", "IL", ("847",), 60201),
          ("Naperville", "IL", ("630", "331"), 60540), ("Oak Lawn", "IL", ("708",), 60453),
          ("Dallas", "TX", ("214", "469", "972"), 75201), ("Houston", "TX", ("713", "832"), 77002),
          ("Columbus", "OH", ("614",), 43201), ("Tampa", "FL", ("813",), 33602),
          ("Phoenix", "AZ", ("602", "480"), 85003), ("Atlanta", "GA", ("404", "678"), 30303),
          ("Denver", "CO", ("303", "720"), 80202), ("Minneapolis", "MN", ("612",), 55401)]


def synthetic_contacts(rng: random.Random, count: int) -> list[dict]:
    surnames, weights = list(SURNAMES), list(SURNAMES.values())
    used_phones: set[str] = set()
    out: list[dict] = []

    def phone(area_codes) -> str:
        while True:
            number = (f"+1{rng.choice(area_codes)}{rng.randint(201, 999)}"
                      f"{rng.randint(0, 9999):04d}")
            if number not in used_phones and number[5:7] != "11":
                used_phones.add(number)
                return number

    for _ in range(count):
        city, state, areas, zip_base = rng.choice(METROS)
        first, last = rng.choice(FIRSTS), rng.choices(surnames, weights)[0]
        zip_code = f"{zip_base + rng.randint(0, 40):05d}"
        record = None
        roll = rng.random()
        if out and roll < 0.03:  # household: same phone and address, another first name
            other = rng.choice(out)
            record = dict(other, first=rng.choice(FIRSTS))
        elif out and roll < 0.08:  # relatives nearby: same surname and zip
            other = rng.choice(out)
            last, zip_code, city, state = other["last"], other["zip"], other["city"], other["state"]
        if record is None:
            direction = rng.choice("NSEW") + " " if rng.random() < .5 else ""
            street = (f"{rng.randint(1, 9999)} {direction}"
                      f"{rng.choice(STREETS)} {rng.choice(TYPES)}")
            unit = f"Apt {rng.randint(1, 30)}{rng.choice('ABCD')}" if rng.random() < 0.2 else ""
            record = {"first": first, "last": last, "street": street, "unit": unit,
                      "city": city, "state": state, "zip": zip_code,
                      "phones": [phone(areas)] + ([phone(areas)] if rng.random() < 0.15 else []),
                      "email": (f"{first}.{last}{rng.randint(1, 99)}@gmail.com".lower()
                                if rng.random() < 0.4 else None)}
        out.append(record)
    return out


def address_of(record: dict, long: bool = False) -> str:
    street = record["street"]
    if long:
        street = " ".join(LONG.get(word, word) for word in street.split())
    unit = f" {record['unit']}" if record["unit"] else ""
    return f"{street}{unit}, {record['city']}, {record['state']} {record['zip']}"


def formatted(e164: str) -> str:
    return f"({e164[2:5]}) {e164[5:8]}-{e164[8:]}"


def queries(rng: random.Random, people: list[dict], count: int) -> list[dict]:
    out = []
    fresh = synthetic_contacts(random.Random(99), count)
    for n in range(count):
        kind = rng.random()
        if kind < 0.4:  # a known customer, written differently
            p = rng.choice(people)
            first = NICKNAMES.get(p["first"], p["first"]) if rng.random() < 0.5 else p["first"]
            name = f"{p['last'].upper()} {first.upper()}" if rng.random() < 0.2 else \
                f"{first} {p['last']}"
            out.append({"name": name,
                        "phone": formatted(rng.choice(p["phones"])) if rng.random() < .7 else None,
                        "email": p["email"].upper() if p["email"] and rng.random() < .3 else None,
                        "address": address_of(p, long=True) if rng.random() < .5 else None})
        elif kind < 0.5:  # a household member on a known number
            p = rng.choice(people)
            out.append({"name": f"{rng.choice(FIRSTS)} {p['last']}",
                        "phone": formatted(p["phones"][0]), "email": None, "address": None})
        else:  # a new caller: common names, new number and address
            p = fresh[n]
            out.append({"name": f"{p['first']} {p['last']}", "phone": formatted(p["phones"][0]),
                        "email": None, "address": address_of(p) if rng.random() < .5 else None})
    return out


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def test_duplicate_check_against_100k_contacts(capsys):
    rng = random.Random(20261117)
    people = synthetic_contacts(rng, CONTACTS)
    candidates = [Candidate("contact", n + 1, f"{p['first']} {p['last']}", tuple(p["phones"]),
                            p["email"], address_of(p)) for n, p in enumerate(people)]

    started = time.perf_counter()
    index = DuplicateIndex(candidates)
    build_s = time.perf_counter() - started
    assert len(index) == CONTACTS

    asks = queries(rng, people, QUERIES)
    for ask in asks[:50]:  # warm caches (phonenumbers metadata, rapidfuzz)
        index.check(**ask)
    timings, hits = [], 0
    for ask in asks:
        started = time.perf_counter()
        found = index.check(**ask)
        timings.append((time.perf_counter() - started) * 1000)
        hits += any(m.same_person for m in found)

    # Naive baseline: no indexes, every record compared on every check.
    names = [c.name for c in candidates]
    places = [c.address for c in candidates]
    naive = []
    for ask in asks[:NAIVE_QUERIES]:
        started = time.perf_counter()
        digits = "".join(ch for ch in ask["phone"] or "" if ch.isdigit())[-10:]
        email = (ask["email"] or "").casefold()
        found = {n for n, c in enumerate(candidates)
                 if (digits and any(p.endswith(digits) for p in c.phones))
                 or (email and email == (c.email or ""))}
        found |= {n for _, _, n in process.extract(ask["name"], names, scorer=fuzz.token_sort_ratio,
                                                   score_cutoff=85, limit=None)}
        if ask["address"]:
            found |= {n for _, _, n in process.extract(ask["address"], places,
                                                       scorer=fuzz.token_set_ratio,
                                                       score_cutoff=90, limit=None)}
        naive.append((time.perf_counter() - started) * 1000)

    p50, p99 = statistics.median(timings), percentile(timings, 0.99)
    figures = (f"\n[duplicate check] {CONTACTS:,} contacts: index built in {build_s:.1f} s; "
               f"indexed check over {QUERIES:,} queries p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
               f"max {max(timings):.2f} ms ({hits} same-person hits); naive full scan over "
               f"{NAIVE_QUERIES} queries p50 {statistics.median(naive):.1f} ms, "
               f"p99 {percentile(naive, 0.99):.1f} ms")
    with capsys.disabled():
        print(figures)
    assert hits > QUERIES * 0.25  # the known callers are found
    assert p99 < 5.0
