"""A simulated phone line: realistic, deterministic call traffic for a home-service shop.

The model, so the demo and the tests can rely on it:

* Day traffic. Each local calendar date D (in the shop's timezone) has its own calls, drawn
  from `random.Random(f"{seed}:{D}")` and nothing else, so a day looks the same whenever and
  however often it is asked for. Arrival counts and times follow a per-hour rate table: busy
  weekday mornings, a thinner Saturday, a handful of Sunday calls, and a few evening and
  night calls every day.
* Outcomes depend on whether the shop is open: about two thirds of calls in open hours are
  answered; after hours most go to voicemail or ring out. Raw statuses use Twilio's words.
* A caller is either one of ~60 regulars who call again across days, or a one-off number.
  All numbers are in the 555-01xx fiction range, which still validates as a real number.
* Some unanswered callers ring again 5-40 minutes later; about half of the unanswered
  callers get an outbound callback from the shop (the next open morning if it is closed).
* From `live_from` on, "demo pace" calls arrive on top, with gaps of mean
  `live_gap_seconds` (evenly spread between 0.4x and 1.6x, so a demo never goes quiet for
  long), skewed towards unanswered and from numbers that have not called that day, so a
  demo shows a lively queue of new callers.

A call is reported by `list_calls` only once it has ended by `clock()`.

Texts: a customer the line texted (`send_sms`) may reply a few minutes later, chosen by a
digest of the number and the text, so it is the same on every run: thanks, a time to call,
a question, or an opt-out ("STOP", "please stop texting me"). `receive()` adds an inbound
text by hand (tests, the demo). Replies live in this process only, like the sent texts.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import math
import random
import re
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from desktop.adapters.phone.base import (ConnectionCheck, InboundMessage, PhoneProvider,
                                         SentMessage)
from desktop.domain.calls import MISSED_OUTCOMES, Direction, Outcome, ProviderCall
from desktop.domain.clock import as_utc, utcnow

EMERGENCY_TRANSCRIPTS = [
    "Hi, this is {full}, I've got water coming through the kitchen ceiling, it's dripping "
    "right onto the floor and I think it's from the upstairs bathroom. I'm at 2214 West "
    "Belmont. Please call me back as soon as you can.",
    "Yeah hi, my name is {full}, I smell gas in the basement, it's pretty strong near the "
    "water heater. I opened the windows. Is that something you guys handle? Call me back please.",
    "Hello, this is {first}, um, we have no heat and we have a newborn at home, the furnace just "
    "keeps clicking and won't come on and it's getting cold in here. Please call me back, "
    "it's urgent.",
    "Hi it's {full}, we got sewage backing up out of the basement floor drain, it "
    "comes up every time somebody flushes. Need somebody out today if possible. 6142 South "
    "Drexel. Thanks.",
    "This is {full}, a pipe burst in the laundry room, I shut the main off but there's "
    "water everywhere. Please call me back right away.",
    "Hi, uh, my name's {first}, there were sparks coming out of the electrical panel when I "
    "flipped the breaker and now half the house is out and it smells like something burned. Can "
    "somebody come out tonight?",
    "Hi, the carbon monoxide alarm is going off in our hallway, we're all outside now. The fire "
    "department said to get the furnace looked at before we go back in. This is {full}, "
    "please call me back.",
    "Hi, this is {full} calling about my mother's house, the AC is out and she's 84 and "
    "it's supposed to be 100 degrees today. She's at 915 North Harlem in Elmwood Park. Please "
    "call me, I'm really worried about her.",
]

ROUTINE_TRANSCRIPTS = [
    "Hi, this is {full}, I'd like to get an estimate for replacing our water heater, "
    "it's about fifteen years old and it's making a popping noise. Call me back when you get a "
    "chance. Thanks.",
    "Hey, it's {first}, the kitchen faucet has been dripping for a couple weeks now, no rush, I "
    "just want to get somebody out sometime next week.",
    "Hi, I'd like to schedule the annual furnace tune-up, we had you guys out last October. "
    "This is {full}, give us a call back.",
    "Hello, I'm looking for a quote on a new AC unit, ours is about twenty years old. We're in "
    "Naperville. My name is {full}. Thanks.",
    "Hi, the bathroom sink drain is clogged, I tried Drano and it didn't do anything. This is "
    "{first}, call me back please.",
    "Yes, hi, I have a question about an invoice I got, I think I was charged twice for the "
    "service call. This is {full}. My number is 708-555-0111.",
    "Hi, this is {first}, I have an appointment Thursday morning and I need to reschedule, "
    "something came up at work. Anytime Friday would be fine. Thanks.",
    "Hey, the garbage disposal is just humming and not spinning, I hit the reset button and "
    "nothing. It's {first} at 1840 West Cullerton. Give me a call.",
    "hi call me back please",
    "Hey it's {first}, just call me back when you can.",
    "Hi, um, I was calling about the... never mind, I'll call back later.",
    "Hello? Hello? Okay, I'll try again.",
    "Hi, this is {first} from Lakeview Property Management, we have a few units that need their "
    "water heaters flushed. Call me back to set up a time.",
    "Hi, our toilet keeps running all night, it's the upstairs one. This is {full}. No "
    "rush. Thank you.",
    "Hi, I'm calling to see if you guys install tankless water heaters and roughly what that "
    "costs. This is {first}, 847-555-0127.",
    "Hello, the thermostat screen went blank, I changed the batteries and it's still blank. "
    "This is {full}, call me back please.",
    "Hi, we're buying a house in Evanston and we wanted a sewer camera inspection before we "
    "close on the fifteenth. My name is {full}. Thanks.",
    "Hey, this is {first}, the tech that came out Tuesday said he'd order a part for the boiler, "
    "I'm just checking if it's in yet.",
    "Hi, this is {first}, the outlet in the garage stopped working and the GFCI won't reset. "
    "Call me back.",
    "Good morning, this is {full}, the water pressure in the shower is really low, just "
    "the one bathroom. Can someone take a look this week?",
    "Hi, I'd like to get a quote on a whole-house humidifier for the furnace. This is {first}. "
    "Thanks.",
    "Hi, we got the postcard about the spring AC special and I'd like to sign up for that. This "
    "is {full}, 630-555-0171.",
    "Hey, the sump pump is making a grinding noise, it's still pumping but it sounds bad. It's "
    "{full}. Call me back.",
    "Hi, I'm returning your call about the estimate. This is {first}. Call me back.",
    "Hi this is {first}, what size furnace filter do we use? You guys put the system in. Just give "
    "me a call.",
    "Hello, I need someone to hook up a new dishwasher, I already bought it, it's a Bosch. This "
    "is {full}. Thanks.",
    "Hi, it's {full}, the water heater pilot light keeps going out. We still have some "
    "hot water. Call me back today if you can.",
    "Hi, I wanted to see if you could put in a ceiling fan in the bedroom. I'm at 3350 North "
    "Sheffield. My name's {first}.",
    "Hi, I'm calling to pay my bill over the phone, can someone call me back. This is {full}, "
    "the account is under my name.",
    "Hey there, the AC is running but it's not really cooling, the upstairs is like 80. This is "
    "{first}. Not an emergency, just whenever you can.",
    "Hi yes, the outdoor spigot is leaking when I turn it on. This is {full}. Call "
    "me back.",
    "Hi, I'm a property manager, unit 2B has a slow tub drain. The tenant's name is Ashley, "
    "she's home afternoons. Call me back to schedule.",
    "Hi, this is {first}, I'd like a second opinion on a quote I got for a new furnace. Thanks.",
    "Uh yeah, call me back.",
    "Hi, I'm calling about the job posting for a service tech. My name is {full}. Thanks.",
    "Hi, this is {first}, just confirming our appointment tomorrow between eight and ten. Call "
    "me if anything changes.",
]

#: every voicemail transcript; about 18% of them are emergencies. "{full}" and "{first}"
#: stand for the caller's own name, filled in when a voicemail is generated.
TRANSCRIPTS = EMERGENCY_TRANSCRIPTS + ROUTINE_TRANSCRIPTS

#: customers who call again and again over the weeks, so the app has caller history to show
REGULAR_CALLERS = [
    ("Maria Gonzalez", "+17735550142"), ("James O'Connor", "+16305550192"),
    ("Linda Kowalski", "+17085550134"), ("Robert Kim", "+17085550111"),
    ("Patricia Nowak", "+18475550192"), ("Michael Johnson", "+13125550133"),
    ("Jennifer Lopez", "+17735550131"), ("David Novak", "+13125550161"),
    ("Susan Brennan", "+16305550154"), ("Daniel Washington", "+18475550190"),
    ("Karen Murphy", "+16305550131"), ("Thomas Schmidt", "+16305550142"),
    ("Nancy Patel", "+18475550134"), ("Christopher Lee", "+17735550195"),
    ("Lisa Rodriguez", "+17085550104"), ("Mark Sullivan", "+17735550108"),
    ("Betty Jackson", "+13125550149"), ("Steven Wojcik", "+16305550150"),
    ("Sandra Hernandez", "+13125550115"), ("Paul Fitzgerald", "+17085550158"),
    ("Donna Carter", "+17085550128"), ("Andrew Cohen", "+16305550100"),
    ("Carol Anderson", "+16305550122"), ("Joshua Reyes", "+18475550112"),
    ("Michelle Nguyen", "+18475550191"), ("Kevin O'Brien", "+18475550193"),
    ("Emily Zielinski", "+13125550102"), ("Brian Thompson", "+18475550157"),
    ("Dorothy Kaminski", "+16305550129"), ("George Papadopoulos", "+17735550137"),
    ("Ashley Martinez", "+18475550170"), ("Edward Murphy", "+17735550118"),
    ("Kimberly Davis", "+18475550103"), ("Ronald Jablonski", "+17085550184"),
    ("Angela Reyes", "+13125550153"), ("Anthony Russo", "+17085550162"),
    ("Helen Fitzgerald", "+17735550163"), ("Jason Walker", "+13125550116"),
    ("Deborah Singh", "+13125550112"), ("Ryan Kowalczyk", "+13125550114"),
    ("Rebecca Adler", "+18475550133"), ("Gary Lindholm", "+16305550178"),
    ("Sharon Ramirez", "+13125550105"), ("Eric Johansson", "+17085550181"),
    ("Cynthia Moore", "+17085550152"), ("Frank DeLuca", "+17735550196"),
    ("Kathleen Ryan", "+18475550152"), ("Raymond Banks", "+17735550111"),
    ("Amy Chen", "+17085550197"), ("Gregory Hall", "+16305550117"),
    ("Laura Mendoza", "+18475550172"), ("Walter Schmidt", "+16305550171"),
    ("Stephanie Brooks", "+17735550114"), ("Larry Wilson", "+16305550125"),
    ("Diane Kozlowski", "+16305550184"), ("Jamal Carter", "+17735550120"),
    ("Olivia Park", "+17735550177"), ("Carlos Vargas", "+17735550119"),
    ("Ruth Adler", "+18475550147"), ("Dennis Gallagher", "+17735550113"),
]

_FIRST_NAMES = ["John", "Mary", "Luis", "Keisha", "Tom", "Anna", "Raj", "Grace", "Pete", "Rosa",
                "Sam", "Joan", "Victor", "Ellen", "Omar", "Tina", "Hector", "Wendy", "Nick", "Ivy"]
_LAST_NAMES = ["Miller", "Garcia", "Dombrowski", "Williams", "Nguyen", "Flores", "Brown",
               "Kaczmarek", "Okafor", "Lind", "Hoffman", "Ortiz", "Bailey", "Shah", "Moran",
               "Petrov", "Young", "Castillo", "Ward", "Becker"]

_AREA_CODES = ("312", "773", "630", "847", "708")
#: every number a simulated caller can have: +1 AAA 555 0100..0199
_ALL_NUMBERS = tuple(f"+1{area}555{n:04d}" for area in _AREA_CODES for n in range(100, 200))

# Expected inbound calls per local hour (index 0 = midnight). Weekday mornings peak 9-11.
_EVENING = (1.2, 0.8, 0.6, 0.4, 0.25, 0.15)  # 18:00-23:59, every day
_NIGHT = (0.1, 0.05, 0.05, 0.05, 0.05, 0.15)  # 00:00-05:59, every day
HOURLY_RATES = {
    "weekday": _NIGHT + (0.5, 2.3, 4.2, 5.0, 5.0, 4.2, 3.2, 3.7, 3.5, 3.2, 2.8, 2.3) + _EVENING,
    "saturday": _NIGHT + (0.3, 0.6, 2.0, 3.0, 3.0, 2.5, 2.0, 1.5, 1.0, 0.8, 0.6, 0.5) + _EVENING,
    "sunday": _NIGHT + (0.1, 0.1, 0.2, 0.3, 0.4, 0.4, 0.3, 0.3, 0.3, 0.2, 0.2, 0.2) + _EVENING,
}
#: hours the office answers the phone, [open, close) in local time; closed on Sunday
OPEN_HOURS = {"weekday": (7, 18), "saturday": (8, 14), "sunday": None}

# Outcome mixes. After hours an on-call tech picks up now and then; a caller trying again
# soon after getting no answer often gets none again; demo pace skews unanswered.
_OPEN_MIX = {Outcome.ANSWERED: 70, Outcome.MISSED: 12, Outcome.VOICEMAIL: 12,
             Outcome.ABANDONED: 4, Outcome.BUSY: 1, Outcome.FAILED: 1}
_CLOSED_MIX = {Outcome.ANSWERED: 25, Outcome.MISSED: 33, Outcome.VOICEMAIL: 36,
               Outcome.ABANDONED: 4, Outcome.BUSY: 1, Outcome.FAILED: 1}
_RETRY_MIX = {Outcome.ANSWERED: 45, Outcome.MISSED: 25, Outcome.VOICEMAIL: 22,
              Outcome.ABANDONED: 6, Outcome.BUSY: 1, Outcome.FAILED: 1}
_DEMO_MIX = {Outcome.ANSWERED: 40, Outcome.MISSED: 24, Outcome.VOICEMAIL: 28,
             Outcome.ABANDONED: 6, Outcome.BUSY: 1, Outcome.FAILED: 1}

# Twilio's word for each outcome. A voicemail's parent leg "completed": the line picked up
# the call to record it, even though no person answered.
_RAW_STATUS = {Outcome.ANSWERED: "completed", Outcome.VOICEMAIL: "completed",
               Outcome.MISSED: "no-answer", Outcome.ABANDONED: "canceled",
               Outcome.BUSY: "busy", Outcome.FAILED: "failed"}
_DURATION_S = {Outcome.ANSWERED: (60, 720), Outcome.VOICEMAIL: (20, 90),
               Outcome.MISSED: (20, 35), Outcome.ABANDONED: (3, 15),
               Outcome.BUSY: (0, 2), Outcome.FAILED: (0, 2)}

REGULAR_SHARE = 0.35  # share of first calls of the day that come from a regular
REPEAT_CHANCE = 0.15  # an unanswered caller tries again 5-40 minutes later
THIRD_TRY_CHANCE = 0.3  # ...and, still unanswered, once more
CALLBACK_CHANCE = 0.5  # the shop calls back an unanswered caller
CALLBACK_ANSWERED = 0.6
# Calls generated for day D can end up to this many days later (a Saturday-night voicemail is
# called back on Monday morning), so a listing also regenerates that many earlier days.
_SPILL_DAYS = 3
_TRANSCRIPT_DAYS = 14
_PAGE_SIZE = 200
# How customers answer a text from the shop: (share in 100, words), first match wins.
REPLIES = [
    (12, "STOP"),
    (4, "please stop texting me"),
    (18, "Thanks! Please call me after 3pm"),
    (14, "ok"),
    (10, "Can you come out tomorrow morning?"),
    (8, "We already got someone, thanks"),
    (34, None),  # no answer
]
_LIVE_CHUNK = timedelta(minutes=30)
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


@dataclass(frozen=True)
class _Caller:
    number: str
    cnam: str | None  # what caller ID shows
    name: str  # who they are, whatever caller ID shows; what they say on a voicemail


def _cnam(full_name: str, style: int) -> str | None:
    """Caller-ID text: mostly "LAST FIRST" capped at CNAM's 15 characters, else a carrier word."""
    if style % 7 == 3:
        return "WIRELESS CALLER"
    if style % 11 == 5:
        return None
    first, _, last = full_name.partition(" ")
    return f"{last} {first}".upper()[:15]


def _voicemail_text(template: str, caller: _Caller) -> str:
    """A transcript template spoken by this caller: their own name, not a stock one."""
    return template.format(full=caller.name, first=caller.name.partition(" ")[0])


def _digest(*parts: object) -> str:
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()


# The line's tracking numbers, like CallRail's: which ad or listing a caller dialled.
# Chosen by a digest of the number (not the day's random stream), so a caller keeps their
# source and adding sources changed no other draw.
TRACKING_SOURCES = (("Google Ads", 30), ("Google Business Profile", 25),
                    ("Local Services Ads", 15), ("Website", 12), ("Yelp", 8),
                    ("Referral", 6), ("Truck / yard sign", 4))


def tracking_source(number: str) -> str:
    pick = int(_digest("source", number)[:8], 16) % sum(w for _s, w in TRACKING_SOURCES)
    for source, weight in TRACKING_SOURCES:
        if pick < weight:
            return source
        pick -= weight
    return TRACKING_SOURCES[-1][0]


def _call_id(seed: int, segment: str, index: int) -> str:
    return "CA" + _digest(seed, segment, index)[:32]


def _weighted(rng: random.Random, mix: dict[Outcome, int]) -> Outcome:
    return rng.choices(list(mix), weights=list(mix.values()))[0]


def _draw_count(rng: random.Random, mean: float) -> int:
    # Tighter than Poisson so no simulated weekday looks implausibly quiet or busy.
    return max(0, round(rng.gauss(mean, 0.5 * math.sqrt(mean))))


class SimulatedLine(PhoneProvider):
    name = "simulator"
    label = "Simulator"

    def __init__(self, *, seed: int = 7, timezone: str = "America/Chicago",
                 shop_number: str = "+13125550100", start: datetime | None = None,
                 live_from: datetime | None = None, live_gap_seconds: float = 20.0,
                 clock: Callable[[], datetime] = utcnow):
        self.seed = seed
        self.shop_number = shop_number
        self.sent_messages: list[SentMessage] = []
        self.inbox: list[InboundMessage] = []
        self._tz = ZoneInfo(timezone)
        self._start = None if start is None else as_utc(start)
        self._clock = clock
        # The shop never calls itself, whatever number it was given.
        self._regulars = [_Caller(number, _cnam(person, i), person)
                          for i, (person, number) in enumerate(REGULAR_CALLERS)
                          if number != shop_number]
        taken = {c.number for c in self._regulars} | {shop_number}
        self._strangers = [n for n in _ALL_NUMBERS if n not in taken]
        self._days: dict[date, list[ProviderCall]] = {}
        self._transcripts: dict[str, str] = {}
        self._live = None if live_from is None else _LiveStream(self, as_utc(live_from),
                                                                live_gap_seconds)

    # --- the port -------------------------------------------------------------------------

    def list_calls(self, since: datetime, until: datetime) -> Iterator[list[ProviderCall]]:
        since, until = as_utc(since), as_utc(until)
        if since > until:
            raise ValueError(f"since ({since}) is after until ({until})")
        # A call still ringing "now" has not finished, so it is not reported yet.
        horizon = min(until, as_utc(self._clock()))
        calls = [c for c in self._calls_ending_between(since, horizon)
                 if since <= c.ended_at < until and c.ended_at <= horizon
                 and (self._start is None or c.started_at >= self._start)]
        calls.sort(key=lambda c: (c.ended_at, c.provider_call_id))
        return iter([calls[i:i + _PAGE_SIZE] for i in range(0, len(calls), _PAGE_SIZE)])

    def fetch_transcript(self, provider_call_id: str) -> str | None:
        if provider_call_id not in self._transcripts:
            # Not seen yet in this process: regenerate the recent past, which indexes it.
            now = as_utc(self._clock())
            list(self._calls_ending_between(now - timedelta(days=_TRANSCRIPT_DAYS), now))
        return self._transcripts.get(provider_call_id)

    def list_messages(self, since: datetime, until: datetime) -> Iterator[list[InboundMessage]]:
        since, until = as_utc(since), as_utc(until)
        horizon = min(until, as_utc(self._clock()))
        texts = sorted((m for m in self.inbox if since <= m.received_at < horizon),
                       key=lambda m: (m.received_at, m.provider_message_id))
        return iter([texts[i:i + _PAGE_SIZE] for i in range(0, len(texts), _PAGE_SIZE)])

    def receive(self, from_number: str, body: str, at: datetime) -> InboundMessage:
        """A customer texts the shop's number."""
        message = InboundMessage("SM" + _digest(self.seed, "in", from_number, body, at)[:32],
                                 from_number, self.shop_number, body, as_utc(at))
        self.inbox.append(message)
        return message

    def send_sms(self, to_number: str, body: str) -> SentMessage:
        if not _E164.match(to_number or ""):
            raise ValueError(f"{to_number!r} is not an E.164 phone number like +13125550142")
        message_id = "SM" + _digest(self.seed, len(self.sent_messages), to_number, body)[:32]
        message = SentMessage(message_id, to_number, body, as_utc(self._clock()))
        self.sent_messages.append(message)
        self._maybe_reply(message)
        return message

    def _maybe_reply(self, sent: SentMessage) -> None:
        """Some customers answer a text from the shop, 1-6 minutes later."""
        roll = int(_digest(self.seed, "reply", sent.to_number, sent.body)[:8], 16)
        pick, after = roll % 100, timedelta(seconds=60 + roll % 300)
        for share, words in REPLIES:
            if pick < share:
                if words is not None:
                    self.receive(sent.to_number, words, sent.sent_at + after)
                return
            pick -= share

    def test_connection(self) -> ConnectionCheck:
        return ConnectionCheck(ok=True, message=f"Simulator line {self.shop_number} is running "
                                                f"(seed {self.seed}).")

    # --- assembling a window ----------------------------------------------------------------

    def _calls_ending_between(self, since: datetime, until: datetime) -> Iterator[ProviderCall]:
        """Every generated call that may end in [since, until]; the caller filters exactly."""
        if until < since:
            return
        first = since.astimezone(self._tz).date() - timedelta(days=_SPILL_DAYS)
        last = until.astimezone(self._tz).date()
        for offset in range((last - first).days + 1):
            yield from self._day(first + timedelta(days=offset))
        if self._live is not None:
            yield from self._live.ending_between(since, until)

    def _day(self, day: date) -> list[ProviderCall]:
        if day not in self._days:
            self._days[day] = self._generate_day(day)
        return self._days[day]

    def _remember(self, call: ProviderCall) -> ProviderCall:
        if call.transcript:
            self._transcripts[call.provider_call_id] = call.transcript
        return call

    # --- one day of traffic -----------------------------------------------------------------

    def _generate_day(self, day: date) -> list[ProviderCall]:
        rng = random.Random(f"{self.seed}:{day.isoformat()}")
        counter = itertools.count()

        def new_id() -> str:
            return _call_id(self.seed, day.isoformat(), next(counter))

        calls: list[ProviderCall] = []
        seen: set[str] = set()  # one first call per number a day; repeats are explicit
        for started in self._arrivals(rng, day):
            caller = self._pick_caller(rng, seen)
            seen.add(caller.number)
            chain = self._inbound_chain(rng, caller, started, new_id, same_day=day)
            calls += chain
            if all(c.outcome in MISSED_OUTCOMES for c in chain) and rng.random() < CALLBACK_CHANCE:
                calls.append(self._callback(rng, caller, chain[-1].ended_at, new_id()))
        return [self._remember(c) for c in calls]

    def _arrivals(self, rng: random.Random, day: date) -> list[datetime]:
        """Start times of the day's first calls, drawn from the hourly rate table."""
        kind = _day_kind(day)
        rates, hours = HOURLY_RATES[kind], OPEN_HOURS[kind] or (0, 0)
        open_hours = range(*hours)
        closed_hours = [h for h in range(24) if h not in open_hours]
        local_hours: list[int] = []
        # Draw open and closed hours separately so every day has a few after-hours calls.
        for group, floor in ((open_hours, 0), (closed_hours, 2)):
            weights = [rates[h] for h in group]
            if sum(weights):
                count = max(floor, _draw_count(rng, sum(weights)))
                local_hours += rng.choices(list(group), weights=weights, k=count)
        midnight = datetime.combine(day, time(), self._tz)
        starts = [(midnight + timedelta(hours=h, seconds=rng.randrange(3600))).astimezone(
            timezone.utc) for h in local_hours]
        return sorted(starts)

    def _is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self._tz)
        hours = OPEN_HOURS[_day_kind(local.date())]
        return hours is not None and hours[0] <= local.hour < hours[1]

    def _next_open(self, moment: datetime) -> datetime:
        """The next moment at or after `moment` when the office answers the phone."""
        if self._is_open(moment):
            return moment
        local = moment.astimezone(self._tz)
        for offset in range(8):
            day = local.date() + timedelta(days=offset)
            hours = OPEN_HOURS[_day_kind(day)]
            opening = datetime.combine(day, time(hours[0]), self._tz) if hours else None
            if opening is not None and opening >= local:
                return opening.astimezone(timezone.utc)
        raise AssertionError("the shop is open at least once a week")

    # --- callers and calls ------------------------------------------------------------------

    def _pick_caller(self, rng: random.Random, avoid) -> _Caller:
        for _ in range(20):
            if rng.random() < REGULAR_SHARE:
                caller = rng.choice(self._regulars)
            else:
                caller = self._stranger(rng.choice(self._strangers))
            if caller.number not in avoid:
                break
        return caller

    def _stranger(self, number: str) -> _Caller:
        # A one-off caller keeps the same name every time that number shows up.
        h = int(_digest(self.seed, "stranger", number)[:8], 16)
        person = f"{_FIRST_NAMES[h % 20]} {_LAST_NAMES[h // 20 % 20]}"
        return _Caller(number, _cnam(person, h // 400), person)

    def _mix(self, moment: datetime, retry: bool, demo: bool) -> dict[Outcome, int]:
        if demo:
            return _DEMO_MIX
        if not self._is_open(moment):
            return _CLOSED_MIX
        return _RETRY_MIX if retry else _OPEN_MIX

    def _inbound_chain(self, rng, caller, started, new_id, same_day=None, demo=False):
        """A first call plus the caller's quick retries while nobody picks up."""
        chain = [self._inbound(rng, caller, started, self._mix(started, False, demo), new_id())]
        for chance in (REPEAT_CHANCE, THIRD_TRY_CHANCE):
            if chain[-1].outcome not in MISSED_OUTCOMES or rng.random() >= chance:
                break
            again = chain[-1].ended_at + timedelta(seconds=rng.randint(5 * 60, 40 * 60))
            if same_day is not None and again.astimezone(self._tz).date() != same_day:
                break  # a retry belongs to the same day; tomorrow they start afresh
            chain.append(self._inbound(rng, caller, again, self._mix(again, True, demo), new_id()))
        return chain

    def _inbound(self, rng, caller: _Caller, started: datetime, mix, call_id: str) -> ProviderCall:
        outcome = _weighted(rng, mix)
        duration = rng.randint(*_DURATION_S[outcome])
        transcript = None
        if outcome == Outcome.VOICEMAIL:
            transcript = _voicemail_text(rng.choice(TRANSCRIPTS), caller)
        return ProviderCall(
            provider_call_id=call_id, direction=Direction.INBOUND, from_number=caller.number,
            to_number=self.shop_number, started_at=started, outcome=outcome,
            raw_status=_RAW_STATUS[outcome], ended_at=started + timedelta(seconds=duration),
            duration_s=duration, caller_name=caller.cnam, transcript=transcript,
            source=tracking_source(caller.number))

    def _callback(self, rng, caller: _Caller, after: datetime, call_id: str) -> ProviderCall:
        started = after + timedelta(seconds=rng.randint(10 * 60, 90 * 60))
        if not self._is_open(started):
            # Nobody is in the office to call back: it happens early in the next open hour.
            started = self._next_open(started) + timedelta(seconds=rng.randrange(3600))
        outcome = Outcome.ANSWERED if rng.random() < CALLBACK_ANSWERED else Outcome.MISSED
        duration = rng.randint(*_DURATION_S[outcome])
        return ProviderCall(
            provider_call_id=call_id, direction=Direction.OUTBOUND, from_number=self.shop_number,
            to_number=caller.number, started_at=started, outcome=outcome,
            raw_status=_RAW_STATUS[outcome], ended_at=started + timedelta(seconds=duration),
            duration_s=duration, caller_name=None)


class _LiveStream:
    """Demo-pace calls from `live_from` on, generated in order and cached as time moves."""

    def __init__(self, line: SimulatedLine, live_from: datetime, gap_seconds: float):
        self._line = line
        self._segment = f"live:{live_from.isoformat()}"
        self._rng = random.Random(f"{line.seed}:{self._segment}")
        self._gap = gap_seconds
        self._counter = itertools.count()
        self._recent: deque[str] = deque(maxlen=40)  # don't let strangers collide by chance
        self._live_from = live_from
        self._called_today: set[str] | None = None  # numbers in the day's own traffic
        self._next_arrival = live_from + self._next_gap()
        self._generated_to = live_from
        self._calls: list[ProviderCall] = []  # sorted by ended_at
        self._ends: list[datetime] = []

    def _next_gap(self) -> timedelta:
        return timedelta(seconds=self._rng.uniform(0.4, 1.6) * self._gap)

    def _avoid(self) -> set[str]:
        if self._called_today is None:
            day = self._live_from.astimezone(self._line._tz).date()
            self._called_today = {c.from_number for c in self._line._day(day)
                                  if c.direction == Direction.INBOUND}
        return self._called_today | set(self._recent)

    def ending_between(self, since: datetime, until: datetime) -> list[ProviderCall]:
        self._extend_to(until)
        lo = bisect.bisect_left(self._ends, since)
        hi = bisect.bisect_right(self._ends, until)
        return self._calls[lo:hi]

    def _extend_to(self, moment: datetime) -> None:
        """Generate every arrival up to `moment`, rounded up to a whole chunk."""
        if moment <= self._generated_to:
            return
        line = self._line

        def new_id() -> str:
            return _call_id(line.seed, self._segment, next(self._counter))

        target = moment + _LIVE_CHUNK
        fresh: list[ProviderCall] = []
        # Retries only start after their first call, so once arrivals pass `target` every
        # call starting (and so every call ending) by `target` exists.
        while self._next_arrival <= target:
            caller = line._pick_caller(self._rng, self._avoid())
            self._recent.append(caller.number)
            fresh += line._inbound_chain(self._rng, caller, self._next_arrival, new_id, demo=True)
            self._next_arrival += self._next_gap()
        self._generated_to = target
        self._calls = sorted(self._calls + [line._remember(c) for c in fresh],
                             key=lambda c: (c.ended_at, c.provider_call_id))
        self._ends = [c.ended_at for c in self._calls]


def _day_kind(day: date) -> str:
    return {5: "saturday", 6: "sunday"}.get(day.weekday(), "weekday")
