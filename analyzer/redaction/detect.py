"""Find sensitive entities in a document of one speaker's utterances.

A *document* is one speaker's utterance texts laid end to end (or a single text). It is cut into
*segments* (one per utterance); consecutive segments close enough in time are *linked*, so a
number or a cue-and-value pair split over two utterances is read as one. Detection works on
tokens (``spoken.py``) in this order, each step claiming its tokens so later steps never see
them twice:

1. regular expressions on the raw text: written emails, then the configured extra patterns;
2. spoken emails ("john dot smith at gmail dot com", "j smith 85 at yahoo dot co dot uk");
3. after a cue (in this speaker's words, or in the other party's utterance just before): dates
   of birth and expiry dates, then account/reference codes (digits and letters);
4. every remaining run of digits (written, spoken, mixed, across linked segments), classified by
   its length, Luhn checksum, written grouping and the cues before it.

Cues only widen what counts (a 3-digit code after "security code"); Luhn-valid card numbers,
SSNs written 123-45-6789, phone numbers in written formats or of 10-11 digits, and any run of
``min_number_digits`` digits are found without one. A cue's window is ``cue_window`` tokens and
ends early where the next cue starts ("SSN 536 22 8761 and zip is 94103": the zip is not an SSN);
expiry, security code, SSN and date-of-birth cues are used up by their first value.

Ordinary numbers are recognised as such before anything is classified: amounts ($45.20, "$45
.20", 1,250, "forty five pounds"), quantities ("3 to 5 business days", "12 items", "20%"), clock
times ("3:30", "at ten thirty"), years ("since 2019", "2017 2017"), counting ("one two three
four") and lists in steps ("19, 21, 23, 25").
"""

from __future__ import annotations

import re
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple

from .options import RedactionOptions
from .spoken import CURRENCY, FILLERS, MONTHS, QUANTITY_WORDS, LazyPattern, Token, luhn_valid, spoken_digits, tokenize

Hit = Tuple[int, int, str]  # (start, end, type) in document offsets

_CUES = [
    ("SSN", r"social\s+security(?:\s+(?:number|no))?|social(?:\s+(?:number|no))?|ssn|tax\s*(?:payer\s+)?id|itin|"
     r"national\s+insurance|ni\s+number|sin\s+number"),
    ("CVV", r"cvv\d?|cvc\d?|cv2|csc|security\s+(?:code|number|digits|pin)|verification\s+(?:code|number|value)|"
     r"(?:digits|code|number)\s+on\s+the\s+back|back\s+of\s+the\s+card|pin(?:\s+(?:number|code))?|pass\s?code|"
     r"one[-\s]time\s+(?:code|passcode|password)"),
    ("EXPIRY", r"expir\w*|exp(?:\.|iry)?\s+date|valid\s+(?:thru|through|until|till|to|from)"),
    ("DOB", r"date\s+of\s+birth|birth\s*date|birthday|d\.?\s?o\.?\s?b|born"),
    ("EMAIL", r"e-?\s?mail(?:\s+address)?"),
    ("ACCOUNT", r"(?:account|acct|a/c|reference|ref|confirmation|conf|member(?:ship)?|policy|customer|client|order|"
     r"case|ticket|claim|booking|tracking|routing|sort|invoice|loyalty|rewards|subscriber|subscription|contract|"
     r"meter|serial|transaction|employee|patient|student|licen[cs]e|passport|vehicle|registration|reg|"
     r"insurance|plan|group|bank|checking|savings|parcel|package|shipment|waybill|reservation|voucher|"
     r"gift\s+card|pnr|folio|l\s?/\s?c)\s*(?:number|no|num|#|id|code|reference|ref)|iban|sort\s+code|"
     r"routing|confirmation\s+code"),
    ("ACCOUNTW", r"account|reference|confirmation|policy|order|booking|tracking|member|membership|ticket|case|claim"),
    ("PHONE", r"phone|telephone|tel|cell|cellphone|mobile|landline|fax|whatsapp|area\s+code|"
     r"(?:contact|callback|call\s+back|home|work|daytime|best|direct)\s+(?:number|line)|"
     r"number\s+to\s+(?:reach|call|contact|text)|(?:reach|call|text|ring|contact)\s+(?:me|you|us|him|her|them)"
     r"(?:\s+back)?\s+(?:on|at)|(?:my|your|his|her|the|our|their)\s+number"),
    ("CARD", r"card|visa|master\s?card|amex|american\s+express|discover|long\s+number|pan"),
    ("GENERIC", r"number|no\.|num|#"),
    # no value of its own, but it ends the window of the cue before it: "SSN ... and zip is 94103"
    ("OTHER", r"zip(?:\s+code)?|post\s?code|postal\s+code|street|apartment|apt|suite|floor|room|gate|flight|"
     r"extension|ext|page|section|step|version|model|size|price|total|balance|amount|bill"),
]
CUE_PATTERN = r"\b(?:" + "|".join(f"(?P<{name}>{p})" for name, p in _CUES) + r")\b"

#: cue -> (type it gives, fewest digits accepted, most digits preferred)
_ACCEPT: Dict[str, Tuple[str, int, int]] = {
    "CARD": ("CARD", 8, 19),
    "EXPIRY": ("EXPIRY", 3, 8),
    "CVV": ("CVV", 3, 6),
    "SSN": ("SSN", 4, 11),
    "PHONE": ("PHONE", 7, 15),
    "ACCOUNT": ("ACCOUNT", 4, 40),
    "ACCOUNTW": ("ACCOUNT", 5, 40),
    "DOB": ("DOB", 4, 8),
    "GENERIC": ("NUMBER", 5, 40),
}
#: Cues of a single short value: used up by the first value (a later "212" is a room number).
_ONE_VALUE = frozenset({"EXPIRY", "CVV", "DOB", "SSN"})

TLDS = frozenset(
    """com net org edu gov mil int co uk us ca au nz ie de fr es it nl be ch at se no dk fi pl pt in io
    ai me tv info biz app dev uk eu mx br jp cn ru za sg hk""".split()
)
PROVIDERS = frozenset(
    """gmail googlemail yahoo ymail hotmail outlook live msn aol icloud protonmail proton gmx btinternet
    comcast verizon sbcglobal att bellsouth cox charter virginmedia sky talktalk zoho yandex""".split()
)
_CONNECT = {"dot": ".", "period": ".", "underscore": "_", "dash": "-", "hyphen": "-"}
#: Top-level domains that are also common words count only when written ("gmail.it"), not spoken.
_WORD_TLDS = frozenset("in it me at be no us is to so do go am an as by he if my of on or up we tv ai app dev".split())
_EMAIL_SKIP = frozenset(
    """is it's its it that's thats address uh um er erm so yeah yes sure okay ok my the just oh like
    basically email e-mail mail is: that it'll me at to on send it via under""".split()
)
_DIMENSIONS = LazyPattern(r"\d+x\d+(?:x\d+)?[a-z]*")
#: a number inside a name or path, possibly in groups joined by dashes or dots ("536-22-8761.json")
_EMBEDDED = LazyPattern(r"(?<!\d)\d+(?:[.\-]\d+)*(?!\d)")
#: groupings that are read whole inside a name: SSN, US phone numbers, card numbers; any other
#: grouping (dates, times, versions) is read group by group
_EMBEDDED_GROUPS = {(3, 2, 4): "SSN", (3, 3, 4): "PHONE", (1, 3, 3, 4): "PHONE", (3, 4): "PHONE",
                    (4, 4, 4, 4): "CARD", (4, 6, 5): "CARD", (4, 6, 4): "CARD", (4, 4, 4, 4, 3): "CARD"}
_CODE = LazyPattern(r"[a-z]{0,4}\d+[a-z]{0,4}")
#: yyyymmdd (and yyyymmddhhmmss...) in file names are dates, not identifiers
_TIMESTAMP = LazyPattern(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:[01]\d|2[0-3])?(?:[0-5]\d){0,2}$")
_YEAR_WORDS = frozenset("since in from until till of back before after around year".split())
_LOCAL_STOP = frozenset(
    """me us you him her them it is was are were be been am i we they he she here there that this home work
    look go online site website visit log sign reach call email mail send write contact find available
    based back out up in on it's that's":""".split()
)
NATO = frozenset(
    """alpha alfa bravo charlie delta echo foxtrot golf hotel india juliet juliett kilo lima mike november
    oscar papa quebec romeo sierra tango uniform victor whiskey whisky xray x-ray yankee zulu""".split()
)
_WRITTEN_EMAIL = LazyPattern(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_NUMBER_WORDS = (
    "zero|oh|o|nought|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    "fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    "hundred|thousand|double|triple"
)
#: Words worth tokenising a text for (besides digits and "@").
_SPOTTERS = frozenset(_NUMBER_WORDS.split("|")) | PROVIDERS | TLDS | {"dot"}
#: At least one of these words is in every cue match: the cue regex runs only on texts with one.
_CUE_ANCHORS = frozenset(
    """social security ssn tax taxpayer itin national ni sin cvv cvc cv csc verification digits code number
    back pin passcode pass password expiry expiration expires expire expired expiring exp valid date birth
    birthdate birthday dob b born email e mail account acct reference ref confirmation conf member membership
    policy customer client order case ticket claim booking tracking routing sort invoice loyalty rewards
    subscriber subscription contract meter serial transaction employee patient student licence license
    passport vehicle registration reg insurance plan group bank checking savings parcel package shipment
    waybill reservation voucher gift pnr folio l iban phone telephone tel cell cellphone mobile landline fax
    whatsapp area contact callback call home work daytime best direct reach text ring card visa mastercard
    master amex american discover long pan no num zip post postcode postal street apartment apt suite floor
    room gate flight extension ext page section step version model size price total balance amount bill""".split()
)
_WORDS = LazyPattern(r"[a-z]+")
_DIGIT = LazyPattern(r"\d")


class _Cue:
    __slots__ = ("name", "type", "lo", "hi", "at", "chain", "used", "until")

    def __init__(self, name: str, at: int, chain: int):
        self.name = name
        self.type, self.lo, self.hi = _ACCEPT.get(name, (name, 0, 0))
        self.at = at  # index of the first token after the cue
        self.chain = chain
        self.used = False
        self.until = at  # the window's end (set once every cue is known)


class Detector:
    """Compiled patterns and the detection steps; built once per :class:`Redactor`."""

    def __init__(self, options: RedactionOptions):
        self.options = options
        self.window = options.cue_window
        self.cue_re = re.compile(CUE_PATTERN)
        self.extra = [(name, re.compile(p)) for name, p in options.extra_patterns.items()]

    # -- cues ------------------------------------------------------------------------------------
    def cue_names(self, text: str) -> FrozenSet[str]:
        """The cues said in ``text`` (to carry over to the other party's reply)."""
        return frozenset(name for name, _ in self._cues(text.lower()))

    def _cues(self, lowered: str, words: Optional[FrozenSet[str]] = None) -> List[Tuple[str, int]]:
        """(cue name, end offset) of every cue in a lower-cased text."""
        if words is None:
            words = frozenset(_WORDS.findall(lowered))
        if not (words & _CUE_ANCHORS) and "#" not in lowered:
            return []
        found = []
        for m in self.cue_re.finditer(lowered):
            found.append((m.lastgroup, m.end()))
            if m.lastgroup == "PHONE" and m.group().endswith("number"):
                found.append(("GENERIC", m.end()))  # "the number is 184796": some number
        return found

    # -- the document ----------------------------------------------------------------------------
    def detect(self, doc: str, segments: Sequence[Tuple[int, int, bool, FrozenSet[str]]]) -> List[Hit]:
        """Entities in ``doc``. segments: (start, end, linked to the previous one, carried cues)."""
        hits: List[Hit] = []
        claimed: List[Tuple[int, int]] = []
        for start, end, _, _ in segments:
            text = doc[start:end]
            if "@" in text:
                for m in _WRITTEN_EMAIL.finditer(text):
                    hits.append((start + m.start(), start + m.end(), "EMAIL"))
                    claimed.append((start + m.start(), start + m.end()))
            for name, pattern in self.extra:
                for m in pattern.finditer(text):
                    if m.end() > m.start():
                        hits.append((start + m.start(), start + m.end(), name))
                        claimed.append((start + m.start(), start + m.end()))

        tokens: List[Token] = []
        chains: List[int] = []
        cues: List[_Cue] = []
        chain = -1
        for seg_index, (start, end, linked, carried) in enumerate(segments):
            text = doc[start:end]
            lowered = text.lower()
            words = frozenset(_WORDS.findall(lowered))
            found = self._cues(lowered, words)
            if not carried and not found and not (words & _SPOTTERS) and "@" not in text and not _DIGIT.search(text):
                chain += 1  # nothing to find here; a stream cannot run through it
                continue
            # a new question from the other party (a carried cue) starts a new stream too
            if not linked or carried or seg_index == 0 or not tokens or tokens[-1].seg != seg_index - 1:
                chain += 1
            first = len(tokens)
            tokenize(text, start, seg_index, tokens, resolve=False)
            chains.extend([chain] * (len(tokens) - first))
            for name in sorted(carried):
                cues.append(_Cue(name, first, chain))
            for name, cue_end in found:
                at = first
                while at < len(tokens) and tokens[at].start < start + cue_end:
                    at += 1
                cues.append(_Cue(name, at, chain))
        if not tokens:
            return _merge(hits)
        spoken_digits(tokens, 0, chains)
        cues.sort(key=lambda c: c.at)
        for k, cue in enumerate(cues):  # a window ends where the next cue starts
            cue.until = cue.at + self.window
            for later in cues[k + 1 :]:
                if later.chain == cue.chain and later.at > cue.at and later.name != "GENERIC":
                    cue.until = min(cue.until, later.at)
                    break
        taken = [False] * len(tokens)
        if claimed:
            for i, t in enumerate(tokens):
                for a, b in claimed:
                    if t.start < b and a < t.end:
                        taken[i] = True
                        break
        state = _State(tokens, chains, taken, cues)
        hits.extend(state.spoken_emails())
        hits.extend(state.cued_dates())
        hits.extend(state.cued_codes())
        hits.extend(state.digit_runs(self.options))
        return _merge(hits)


def _merge(hits: List[Hit]) -> List[Hit]:
    """Sorted, overlapping hits merged (the earlier-found type wins)."""
    if not hits:
        return []
    order = sorted(range(len(hits)), key=lambda i: (hits[i][0], -hits[i][1], i))
    merged: List[List] = []
    for i in order:
        start, end, kind = hits[i]
        if merged and start < merged[-1][1]:
            last = merged[-1]
            if end > last[1]:
                last[1] = end
            continue
        merged.append([start, end, kind])
    return [tuple(h) for h in merged]  # type: ignore[misc]


class _State:
    """One document's tokens, their streams (chains), which are taken, and its cues."""

    def __init__(self, tokens: List[Token], chains: List[int], taken: List[bool], cues: List[_Cue]):
        self.t = tokens
        self.chain = chains
        self.taken = taken
        self.cues = cues
        self.n = len(tokens)

    def _hit(self, i: int, j: int, kind: str) -> Hit:
        for k in range(i, j + 1):
            self.taken[k] = True
        start = self.t[i].start
        if self.t[i].lead in ("(", "+", "#"):
            start -= 1
        return (start, self.t[j].end, kind)

    def _in_window(self, cue: _Cue, i: int) -> bool:
        return cue.at <= i < cue.until and i < self.n and self.chain[i] == cue.chain

    def _quantity_after(self, j: int) -> bool:
        k = j + 1
        if k < self.n and self.t[k].seg == self.t[j].seg:
            nxt = self.t[k]
            return nxt.norm in QUANTITY_WORDS or nxt.raw.startswith("%")
        return False

    def _currency_before(self, i: int) -> bool:
        k = i - 1
        return k >= 0 and self.t[k].seg == self.t[i].seg and (self.t[k].norm in CURRENCY or self.t[k].raw in ("$", "£", "€"))

    # -- 2. spoken emails ------------------------------------------------------------------------
    def _nameish(self, i: int) -> bool:
        t = self.t[i]
        return not self.taken[i] and t.kind in ("word", "alnum", "num") and t.norm not in _CONNECT and (
            any(c.isalnum() for c in t.norm)
        )

    def _domain_end(self, d: int) -> Optional[int]:
        """Index of the last token of a domain starting at ``d`` ("gmail dot com", "yahoo.co.uk")."""
        chain = self.chain[d]
        labels: List[Tuple[int, str, bool]] = []
        j = d
        while j < self.n and self.chain[j] == chain and not self.taken[j]:
            t = self.t[j]
            if t.kind not in ("word", "alnum") and not (t.kind == "num" and not t.spoken):
                break
            if t.norm in _CONNECT or not any(c.isalnum() for c in t.norm):
                break
            if j > d and t.lead != "." and self.t[j - 1].norm not in ("dot", "period"):
                break
            written = "." in t.norm or t.lead == "."
            labels.extend((j, label, written) for label in t.norm.split(".") if label)
            j += 1
            if j < self.n and self.chain[j] == chain and self.t[j].norm in ("dot", "period"):
                j += 1
        best = None
        for k in range(1, len(labels)):
            if labels[k][1] in TLDS and (labels[k][2] or labels[k][1] not in _WORD_TLDS):
                best = labels[k][0]
        if best is None and labels and labels[0][1] in PROVIDERS:
            best = labels[0][0]
        return best

    def _spelled(self, i: int) -> bool:
        t = self.t[i]
        return not self.taken[i] and ((len(t.norm) == 1 and t.norm.isalnum()) or t.kind == "num")

    def spoken_emails(self) -> List[Hit]:
        hits = []
        for a in range(1, self.n - 1):
            if self.taken[a] or self.t[a].norm not in ("at", "@"):
                continue
            if self.chain[a + 1] != self.chain[a] or self.chain[a - 1] != self.chain[a]:
                continue
            end = self._domain_end(a + 1)
            if end is None:
                continue
            k = a - 1
            if not self._nameish(k) or self.t[k].norm in _LOCAL_STOP:
                continue
            chain = self.chain[a]
            while k > 0 and self.chain[k - 1] == chain and not self.taken[k - 1]:
                prev, cur = self.t[k - 1], self.t[k]
                if prev.norm in _CONNECT and k >= 2 and self.chain[k - 2] == chain and self._nameish(k - 2):
                    k -= 2
                elif cur.lead and cur.lead in "._-" and self._nameish(k - 1):
                    k -= 1
                elif self._spelled(k - 1) and self._spelled(k):
                    k -= 1  # spelled out: "j o h n eighty five"
                elif len(prev.norm) == 1 and prev.norm.isalpha() and prev.norm not in ("a", "i") and self._nameish(k - 1):
                    k -= 1  # an initial: "p garcia"
                elif self._nameish(k - 1) and prev.norm not in _LOCAL_STOP and (
                    cur.kind == "num" or (prev.kind == "num" and not prev.spoken)
                ):
                    k -= 1  # "john 85", "garcia seventy seven", "85 john"
                else:
                    break
            for cue in self.cues:
                if cue.name == "EMAIL" and not cue.used and cue.chain == chain and cue.at <= k and k - cue.at <= 6:
                    # after its cue, the local part may be several words: "my email is john smith at..."
                    while k - 1 >= cue.at and self._nameish(k - 1) and self.t[k - 1].trail not in (".", "?", "!") and (
                        self.t[k - 1].norm not in _EMAIL_SKIP and self.t[k - 1].norm not in _LOCAL_STOP
                    ):
                        k -= 1
                    cue.used = True
                    break
            if any(self.taken[k : end + 1]):
                continue
            hits.append(self._hit(k, end, "EMAIL"))
        # an email after its cue whose "at" the recogniser lost: "john .smith .mail .com"
        for cue in self.cues:
            if cue.name != "EMAIL" or cue.used:
                continue
            s = cue.at
            while s < self.n and self._in_window(cue, s) and self.t[s].norm in _EMAIL_SKIP:
                s += 1
            if s >= self.n or not self._in_window(cue, s):
                continue
            for e in range(s, min(s + 8, self.n)):
                if self.chain[e] != cue.chain or self.taken[e]:
                    break
                t = self.t[e]
                last = t.norm.rsplit(".", 1)[-1]
                dotted = "." in t.norm or t.lead == "." or (e > s and self.t[e - 1].norm in ("dot", "period"))
                if last in TLDS and dotted and e > s or (last in TLDS and "." in t.norm):
                    cue.used = True
                    hits.append(self._hit(s, e, "EMAIL"))
                    break
        return hits

    # -- 3a. dates after DOB / expiry cues --------------------------------------------------------
    def _date_part(self, i: int) -> int:
        """2: a date value (month, ordinal, number, date); 1: a connector; 0: neither."""
        if self.taken[i]:
            return 0
        t = self.t[i]
        if t.kind in ("num", "ordinal", "date") or (t.kind == "word" and t.norm in MONTHS):
            return 2
        if t.norm in ("of", "the", "slash", "dash", "/", "-", "on", "in") or t.kind in ("punct", "sep"):
            return 1
        return 0

    def cued_dates(self) -> List[Hit]:
        hits = []
        for cue in self.cues:
            if cue.used or cue.name not in ("DOB", "EXPIRY"):
                continue
            i = cue.at
            while i < self.n and self._in_window(cue, i):
                if self._date_part(i) != 2 or (self.t[i].norm == "may" and not self._date_follows(i)):
                    i += 1
                    continue
                j = i
                last = i
                while j + 1 < self.n and self.chain[j + 1] == cue.chain and j - i < 10:
                    part = self._date_part(j + 1)
                    if part == 0:
                        break
                    j += 1
                    if part == 2:
                        last = j
                found = self._valid_date(i, last)
                if found:
                    cue.used = True
                    hits.append(self._hit(i, last, cue.type))
                    break
                i = last + 1
        return hits

    def _date_follows(self, i: int) -> bool:
        return i + 1 < self.n and self._date_part(i + 1) == 2 and self.t[i + 1].kind != "word"

    def _valid_date(self, i: int, j: int) -> bool:
        digits = 0
        parts = 0
        month = date = False
        for k in range(i, j + 1):
            t = self.t[k]
            if t.kind == "num":
                digits += len(t.digits)
                parts += 1
            elif t.kind == "date":
                digits += len(t.digits)
                date = True
                parts += 1
            elif t.kind == "ordinal":
                parts += 1
            elif t.norm in MONTHS:
                month = True
                parts += 1
        if digits > 8 or self._quantity_after(j):
            return False
        return date or (month and parts >= 2) or digits >= 3

    # -- 3b. account / reference codes after their cues -----------------------------------------
    def _code(self, i: int) -> int:
        """2: a code character token (digits, AB123); 1: a letter or glue; 0: neither."""
        if self.taken[i]:
            return 0
        t = self.t[i]
        if t.kind in ("num", "alnum"):
            return 2
        if t.kind == "word" and (
            (len(t.norm) == 1 and t.norm.isalpha()) or t.norm in NATO or t.norm in FILLERS or self._letters(i)
        ):
            return 1
        if t.kind in ("punct", "sep"):
            return 1
        return 0

    def _letters(self, i: int) -> bool:
        """Spelled letters of a code: "A", "AB", "PX", "bravo" (not "a" or "I" on their own)."""
        t = self.t[i]
        if self.taken[i] or t.kind != "word" or (len(t.norm) > 1 and t.norm in QUANTITY_WORDS):
            return False
        if t.norm in NATO:
            return True
        return t.raw.isalpha() and t.raw.isupper() and len(t.raw) <= 3 and t.raw not in ("I", "A", "OK")

    def cued_codes(self) -> List[Hit]:
        hits = []
        for cue in self.cues:
            if cue.used or cue.name not in ("ACCOUNT", "ACCOUNTW", "SSN"):
                continue
            i = cue.at
            while i < self.n and self._in_window(cue, i):
                if self._code(i) != 2:
                    i += 1
                    continue
                first = i
                # letters just before the digits belong to the code: "A B 1 2 3 4"
                while first - 1 >= cue.at and self.chain[first - 1] == cue.chain and (
                    self._letters(first - 1)
                    or (self.t[first - 1].raw in ("A", "I") and first - 2 >= cue.at and self._letters(first - 2))
                ):
                    first -= 1  # "S A 6 8 8 3": an A after another letter is a letter too
                j = last = i
                while j + 1 < self.n and self.chain[j + 1] == cue.chain:
                    c = self._code(j + 1)
                    if c == 0:
                        break
                    j += 1
                    t = self.t[j]
                    if c == 2 or (t.kind == "word" and (len(t.norm) == 1 or self._letters(j)) and t.norm not in ("a", "i")):
                        last = j
                    elif t.kind == "word" and t.norm in ("a", "i") and j + 1 < self.n and self._code(j + 1) == 2:
                        last = j
                kind = self._accept_code(cue, first, last)
                if kind:
                    hits.append(self._hit(first, last, kind))
                    if cue.name in _ONE_VALUE:
                        cue.used = True
                        break
                i = last + 1
        return hits

    def _accept_code(self, cue: _Cue, i: int, j: int) -> Optional[str]:
        digits = letters = 0
        pure = []
        for k in range(i, j + 1):
            t = self.t[k]
            if t.kind == "num":
                digits += len(t.digits)
                pure.append(t.digits)
            elif t.kind == "alnum":
                digits += len(t.digits)
                letters += len(t.norm) - len(t.digits)
            elif t.kind == "word" and (len(t.norm) == 1 or self._letters(k)):
                letters += 1 if t.norm in NATO else len(t.norm)
        if digits <= 6 and (self._quantity_after(j) or self._currency_before(i)):
            return None
        number = "".join(pure)
        if not letters and len(pure) == 1 and len(number) == 4 and number[:2] in ("19", "20"):
            return None  # a year: "since 2015", "for the 2019 model"
        if not letters and 13 <= len(number) <= 19 and luhn_valid(number):
            return "CARD"
        if digits >= cue.lo:
            return cue.type
        if letters and digits >= 2 and letters + digits >= cue.lo + 1:
            return cue.type
        return None

    # -- 4. runs of digits ----------------------------------------------------------------------
    def _runs(self) -> List[Tuple[int, int]]:
        # a range ("3-5") is digits only next to other digits: "0-7 7-8 7-3 6-7"
        for k, t in enumerate(self.t):
            if t.kind == "range" and not self.taken[k]:
                near = [m for m in (k - 1, k + 1) if 0 <= m < self.n and self.chain[m] == self.chain[k]]
                if any(self.t[m].kind in ("num", "range") and self.t[m].digits and not self.t[m].spoken for m in near):
                    t.kind = "num"
        runs = []
        i = 0
        while i < self.n:
            t = self.t[i]
            if self.taken[i] or t.kind != "num" or (not t.digits and t.norm not in ("double", "triple")):
                i += 1
                continue
            j = last = i
            while j + 1 < self.n and self.chain[j + 1] == self.chain[i] and not self.taken[j + 1]:
                nxt = self.t[j + 1]
                if nxt.kind == "num":
                    j += 1
                    last = j
                elif nxt.norm in FILLERS or nxt.kind in ("punct", "sep"):
                    j += 1
                else:
                    break
            runs.append((i, last))
            i = last + 1
        return runs

    def digit_runs(self, options: RedactionOptions) -> List[Hit]:
        hits = []
        for k, t in enumerate(self.t):
            if self.taken[k]:
                continue
            if t.kind == "alnum" and _CODE.fullmatch(t.norm) and len(t.digits) >= options.min_number_digits:
                hits.append(self._hit(k, k, "NUMBER"))  # JD185649000023: a code with a long number in it
            elif t.kind in ("word", "alnum") and len(t.raw) > options.min_number_digits and _DIGIT.search(t.raw):
                # a long number inside a name or path: "call_4155550132.wav", "ref:4556737586899855"
                for m in _EMBEDDED.finditer(t.raw):
                    pieces = re.split(r"[.\-]", m.group())
                    grouped = _EMBEDDED_GROUPS.get(tuple(len(g) for g in pieces)) if len(pieces) > 1 else None
                    if grouped:
                        spans = [(m.start(), m.end(), grouped)]
                    else:
                        spans = [(g.start(), g.end(), None) for g in re.finditer(r"\d+", t.raw[: m.end()]) if g.start() >= m.start()]
                    for a, b, grouped in spans:
                        digits = re.sub(r"\D", "", t.raw[a:b])
                        if grouped not in ("SSN", "PHONE") and (len(digits) < options.min_number_digits or _TIMESTAMP.match(digits)):
                            continue
                        if 13 <= len(digits) <= 19 and luhn_valid(digits):
                            kind = "CARD"
                        elif grouped in ("SSN", "PHONE"):
                            kind = grouped
                        elif len(digits) in (10, 11):
                            kind = "PHONE"
                        else:
                            kind = "NUMBER"
                        hits.append((t.start + a, t.start + b, kind))
        for i, j in self._runs():
            toks = [self.t[k] for k in range(i, j + 1) if self.t[k].kind == "num"]
            digits = "".join(t.digits for t in toks)
            n = len(digits)
            if n == 0:
                continue
            start = i
            plus = toks[0].plus
            if i > 0 and self.chain[i - 1] == self.chain[i] and self.t[i - 1].norm == "plus" and not self.taken[i - 1]:
                plus = True
                start = i - 1
            if n < 13 and (self._quantity_after(j) or self._currency_before(i)):
                continue
            if self._years(i, toks) or self._times(i, j) or self._counting(i, toks):
                continue
            kind = self._classify(i, j, toks, digits, plus, options)
            if kind:
                hits.append(self._hit(start, j, kind))
        return hits

    def _years(self, i: int, toks: List[Token]) -> bool:
        """Years, not an identifier: "since 2019", "2017 2017" (a repeat), "2019 or 2020".

        Only written 4-digit years between 1900 and 2099, at most three of them, and only where
        no cue asks for a number (a card is still found by its checksum first).
        """
        if len(toks) > 3 or any(t.spoken or len(t.digits) != 4 or t.digits[:2] not in ("19", "20") for t in toks):
            return False
        active = [c for c in self.cues if not c.used and c.lo and self._in_window(c, i)]
        if any(c.name in ("CVV", "EXPIRY", "DOB") for c in active):
            k = i - 1  # a 4-digit security code can look like a year
            return len(toks) == 1 and k >= 0 and self.chain[k] == self.chain[i] and self.t[k].norm in _YEAR_WORDS
        return len(toks) > 1 or not active or (len(toks) == 1 and len(toks[0].digits) == 4)

    def _counting(self, i: int, toks: List[Token]) -> bool:
        """Counting, not a number: "one two three four five six", "3, 4, 5, 6, 7, 8, 9"."""
        if len(toks) < 4 or any(c.lo and not c.used and self._in_window(c, i) for c in self.cues):
            return False
        values = [int(t.digits) if t.digits and len(t.digits) <= 3 else None for t in toks]
        best = run = 1
        for a, b, c in zip(values, values[1:], values[2:] + [None]):
            step = None if a is None or b is None else b - a
            if step is not None and 1 <= abs(step) <= 10:
                run += 1
                if c is None or c - b != step:
                    best = max(best, run)
                    run = 1
            else:
                run = 1
        return best >= len(toks) - 1 and best >= 4

    def _times(self, i: int, j: int) -> bool:
        """Clock times said as words, not one long number: "at ten thirty, twelve twenty".

        True when every comma-separated group of the run is an hour (1-12) followed by minutes
        (10-59, or "oh five"), and there are at least two groups or a time word before it.
        """
        if any(c.lo and not c.used and self._in_window(c, i) and c.name != "GENERIC" for c in self.cues):
            return False
        groups: List[List[Token]] = [[]]
        for k in range(i, j + 1):
            t = self.t[k]
            if t.kind == "num":
                groups[-1].append(t)
            if t.trail == "," or t.kind in ("punct", "sep"):
                groups.append([])
        groups = [g for g in groups if g]
        for g in groups:
            if len(g) < 2 or len(g) > 3 or not g[1].spoken:
                return False
            hour = g[0].digits
            if not hour.isdigit() or not 1 <= int(hour) <= 12:
                return False
            minutes = "".join(t.digits for t in g[1:])
            if len(minutes) != 2 or not 0 <= int(minutes) <= 59 or (minutes[0] == "0" and g[1].norm not in ("oh", "o")):
                return False
        before = self.t[i - 1].norm if i > 0 and self.chain[i - 1] == self.chain[i] else ""
        return len(groups) >= 2 or before in ("at", "around", "about", "by", "until", "till", "from", "before", "after")

    def _classify(self, i: int, j: int, toks: List[Token], digits: str, plus: bool, options: RedactionOptions) -> Optional[str]:
        n = len(digits)
        active = [c for c in self.cues if not c.used and c.lo and self._in_window(c, i)]
        if plus and 8 <= n <= 15:
            return "PHONE"  # a card number never starts with "+"
        if n >= 13 and self._luhn_somewhere(toks):
            names = {c.name for c in active}
            if not ("PHONE" in names and "CARD" not in names and n <= 15):
                for c in active:
                    if c.name == "CARD":
                        c.used = True
                return "CARD"
        written = all(not t.spoken for t in toks)
        groups = tuple(g for t in toks for g in t.groups) if written else ()
        separated = written and (len(toks) > 1 or any(c in toks[0].raw for c in "-.()"))
        if separated and not any(c.name in ("SSN", "ACCOUNT", "ACCOUNTW") for c in active):
            # an unmistakable written shape wins over a nearby cue of another kind
            if n == 9 and groups == (3, 2, 4) and _ssn_shaped(digits) and "-" in "".join(t.raw for t in toks):
                return "SSN"
            if (n == 10 and groups in ((3, 3, 4), (3, 7))) or (n == 7 and groups == (3, 4)):
                return "PHONE"
        if active:
            fits = [c for c in active if c.lo <= n <= c.hi] or [c for c in active if n >= c.lo]
            if not options.card_cue_skips_luhn:
                fits = [c for c in fits if c.type != "CARD"]
            if fits:
                cue = max(fits, key=lambda c: (c.name != "GENERIC", c.at))
                if cue.name in _ONE_VALUE or cue.name == "CARD":
                    cue.used = True
                return cue.type
        if n == 9 and groups == (3, 2, 4) and _ssn_shaped(digits):
            return "SSN"
        if n == 10 or (n == 11 and digits[0] in "01"):
            return "PHONE"
        if n == 7 and written and groups == (3, 4) and any("-" in t.raw or "." in t.raw for t in toks):
            return "PHONE"
        if n >= options.min_number_digits:
            return "NUMBER"
        return None

    @staticmethod
    def _luhn_somewhere(toks: List[Token]) -> bool:
        digits = "".join(t.digits for t in toks)
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            return True
        bounds = [0]
        for t in toks:
            bounds.append(bounds[-1] + len(t.digits))
        for a in bounds:
            for b in bounds:
                if 13 <= b - a <= 19 and (a, b) != (0, len(digits)) and luhn_valid(digits[a:b]):
                    return True
        return False


def _ssn_shaped(digits: str) -> bool:
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"
