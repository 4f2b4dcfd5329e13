"""Is an inbound text an opt-out (or an opt-in)? Pure rules, no I/O.

US carriers and the CTIA treat these keywords, sent as the message, as an opt-out: STOP,
STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT (and REVOKE, OPT OUT); START and UNSTOP opt back
in. The FCC also counts a revocation "by any reasonable means": "please stop texting me",
"take me off your list", "no más". So:

* A message that is a keyword, alone or with a few polite or filler words ("STOP please",
  "unsubscribe me", "Stop!!"), is an opt-out.
* A message with a revocation phrase anywhere ("don't text me again", "remove my number",
  "bórrame de la lista") is an opt-out, in English, Spanish, French, Portuguese, Chinese
  and Vietnamese.
* A keyword used as an ordinary word is not: "can you stop by at 3?", "the leak won't
  stop", "cancel my Friday appointment" (a scheduling request), "end of the day works".

When in doubt the rules lean to opt-out: texting someone who asked not to be texted is the
costly mistake.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

KEYWORDS_OUT = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke",
                "optout", "stopp", "stpo", "unsubcribe", "unsuscribe",
                "arret", "arrete", "arretez", "pare", "parar", "para", "alto", "basta",
                "baja", "cancelar", "sair", "nomas", "remove", "退订", "停止", "取消订阅",
                "dung", "dunglai", "huy"}
KEYWORDS_IN = {"start", "unstop", "subscribe", "resubscribe"}
# Words that may stand around a keyword without changing its meaning ("STOP please").
_FILLER = {"please", "pls", "plz", "now", "me", "it", "thanks", "thank", "you", "all",
           "texting", "texts", "messages", "messaging", "this", "already", "ok", "okay",
           "por", "favor", "merci", "sil", "vous", "plait", "obrigado", "obrigada", "lai",
           "right", "away", "asap", "immediately", "pleaseee", "thx", "out", "opt"}

_OUT_PHRASES = [
    r"\bstop\s+(?:all\s+)?(?:texting|messaging|sending|contacting|the\s+texts|these|your|"
    r"txt|texts|messages|spamming|calling)\b",
    r"\b(?:don'?t|do\s+not|dont|never|no\s+longer)\s+(?:\w+\s+){0,2}(?:text|message|txt|"
    r"contact|sms)\b(?!\s+(?:me\s+)?(?:back\s+)?(?:until|after|before|when))",
    r"\btake\s+(?:me|my\s+number)\s+off\b", r"\bremove\s+(?:me|my\s+(?:number|name))\b",
    r"\bunsub\w*\b", r"\bopt(?:ing)?[\s-]*out\b", r"\bno\s+more\s+(?:texts|messages|txts|sms)\b",
    r"\bleave\s+me\s+alone\b", r"\bwrong\s+number\b", r"\bnot\s+interested\b",
    r"\bquit\s+(?:texting|messaging|sending)\b", r"\bdo\s+not\s+contact\b",
    r"\bdidn'?t\s+(?:ask|sign\s+up|consent)\b", r"\bspam\b", r"\brevoke\b",
    # Spanish
    r"\bno\s+mas\b", r"\bno\s+me\s+(?:\w+\s+){0,2}(?:envie\w*|manden?\w*|mandes|escrib\w*|"
    r"texte\w*|contact\w*)", r"\bborr[ae]me\b", r"\bsaca(?:me|rme)\b", r"\bdar(?:me)?\s+de\s+baja\b",
    r"\bdej\w*\s+de\s+(?:enviar|mandar|escribir)\w*", r"\bya\s+no\s+(?:me\s+)?(?:envie|manden|"
    r"escriban)", r"\bno\s+quiero\s+(?:recibir\s+)?(?:mas|ningun)",
    # French
    r"\barret(?:ez|er)?\s+(?:de\s+)?(?:m'?envoyer|d'?envoyer|les\s+messages|les\s+sms)",
    r"\bne\s+m'?envoyez\s+plus\b", r"\bdesabonn\w*",
    # Portuguese
    r"\bpar[ae]\s+de\s+(?:enviar|mandar)", r"\bnao\s+(?:me\s+)?(?:envie|mande)\w*",
    r"\bnao\s+(?:quero|desejo)\s+(?:mais\s+)?receber\b",
    # Chinese / Vietnamese
    r"退订", r"取消订阅", r"不要再发", r"别再发", r"dung\s+(?:gui|nhan\s+tin|lai)",
    r"\bhuy\s+(?:dang\s+ky|nhan)",
]
_IN_PHRASES = [
    r"\bunstop\b", r"\bresubscribe\b", r"\b(?:you\s+)?can\s+text\s+me\s+again\b",
    r"\bstart\s+(?:texting|sending)\s+(?:me\s+)?again\b", r"\bopt\s*(?:back\s+)?in\b",
    r"\bvolver\s+a\s+(?:enviar|mandar)\w*",
]
_OUT = [re.compile(p, re.IGNORECASE) for p in _OUT_PHRASES]
_IN = [re.compile(p, re.IGNORECASE) for p in _IN_PHRASES]


@dataclass(frozen=True)
class Classified:
    opt_out: bool
    opt_in: bool
    why: str

    def to_json(self) -> dict:
        return {"opt_out": self.opt_out, "opt_in": self.opt_in}


def normalize(text: str) -> str:
    """Lower case, accents off (no más -> no mas), punctuation to spaces; CJK kept."""
    plain = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    plain = plain.replace("đ", "d").replace("Đ", "d").lower()
    plain = re.sub(r"opt[\s-]+out", "optout", plain)
    return " ".join(re.sub(r"[^\w\u4e00-\u9fff']+", " ", plain).split())


def classify(text: str | None) -> Classified:
    words_text = normalize(text or "")
    words = words_text.split()
    if not words:
        return Classified(False, False, "empty")
    core = [w for w in words if w not in _FILLER]
    joined = "".join(core)
    # A keyword as the message (with polite words around it) is the carriers' rule; so
    # are keywords repeated ("stop stop stop") or split ("no mas", "opt out").
    if len(core) <= 2 and joined in KEYWORDS_OUT:
        return Classified(True, False, f"keyword '{joined}'")
    if core and len(core) <= 4 and all(w in KEYWORDS_OUT for w in core):
        return Classified(True, False, f"keywords '{' '.join(core)}'")
    if len(core) <= 2 and joined in KEYWORDS_IN:
        return Classified(False, True, f"keyword '{joined}'")
    for pattern in _IN:
        if pattern.search(words_text):
            return Classified(False, True, f"phrase '{pattern.search(words_text).group(0)}'")
    for pattern in _OUT:
        found = pattern.search(words_text)
        if found:
            return Classified(True, False, f"phrase '{found.group(0)}'")
    return Classified(False, False, "no opt-out words")
