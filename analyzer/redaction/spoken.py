"""Tokens of written or recognised speech, with spoken numbers turned into digits.

Speech recognisers and people write the same card number many ways: ``4556 7375 8689 9855``,
``4556-7375-8689-9855``, ``4556 73 75 868 99855`` (ASR spacing), ``4, 5, 5, 6``, ``0 .427``,
``four five five six``, ``forty five fifty six``, ``double five``, ``oh`` for zero. Every token
here knows its place in the text and the digits it stands for, so a run of digit tokens can be
read as one number whatever its spelling, and mapped back to the characters to replace.
"""

from __future__ import annotations

import re
from typing import List, Optional, Tuple

UNITS = {
    "zero": 0, "nought": 0, "naught": 0, "nil": 0, "oh": 0, "o": 0,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
}
TEENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
TENS = {"twenty": 2, "thirty": 3, "forty": 4, "fourty": 4, "fifty": 5, "sixty": 6, "seventy": 7, "eighty": 8, "ninety": 9}
SCALES = {"hundred": 2, "thousand": 3}
REPEATS = {"double": 2, "triple": 3}
ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
    "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
    "twentieth": 20, "thirtieth": 30,
}
MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
    "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9,
    "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}
#: Words that may sit inside a spoken number without ending it.
FILLERS = frozenset({"uh", "um", "umm", "er", "erm", "ah", "eh", "hmm", "mm", "dash", "hyphen", "sorry", "wait"})
#: Words a recogniser writes for a spoken digit; read as digits only inside a run of digit words.
HOMOPHONES = {"to": "2", "too": "2", "for": "4", "ate": "8"}
#: After a number, these make it a quantity, an amount or a time, never an identifier.
QUANTITY_WORDS = frozenset(
    """dollars dollar bucks cents cent pounds pound quid pence p euros euro percent per cent % k grand
    yuan rmb rib yen won rupees rupee pesos peso francs franc dirhams rand krona kronor
    seconds second secs minutes minute mins hours hour hrs days day weeks week months month years year yrs
    business working times time items item units unit people persons calls orders packages boxes
    am pm a.m. p.m. o'clock oclock kg kilos miles mile km gb mb gigs gig tb degrees inches feet foot
    meters metres stars star points point lines line accounts""".split()
)
CURRENCY = frozenset({"$", "£", "€", "usd", "gbp", "eur"})

class LazyPattern:
    """A regular expression compiled on first use, so importing this package compiles nothing.

    After the first use its methods are plain attributes (the compiled pattern's own bound
    methods), so it costs nothing more than a compiled pattern.
    """

    def __init__(self, source: str, flags: int = 0):
        self.source = source
        self.flags = flags

    def __getattr__(self, name: str):
        compiled = re.compile(self.source, self.flags)
        for method in ("match", "fullmatch", "search", "finditer", "findall", "sub", "split"):
            setattr(self, method, getattr(compiled, method))
        self.compiled = compiled
        return getattr(compiled, name)


_STRIP = "\"'“”‘’`()[]{}<>,;:!?.…*-–—_"
_AMOUNT = LazyPattern(
    r"[$£€]\s?\d[\d,]*(?:\.\d+)?(?:k|m|bn)?|\d[\d,]*(?:\.\d+)?%|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+[.,]\d{1,2}|\d+(?:k|m|bn)"
)
_TIME = LazyPattern(r"\d{1,2}[:.]\d{2}(?::\d{2})?(?:am|pm|a\.m|p\.m)?\.?|\d{1,2}(?:am|pm|a\.m|p\.m)\.?|\d{1,2}:\d{2}")
_DATE = LazyPattern(r"\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}|\d{1,2}/\d{2,4}|\d{4}[/\-]\d{1,2}[/\-]\d{1,2}")
_RANGE = LazyPattern(r"\d{1,2}-\d{1,2}")
_ORDINAL = LazyPattern(r"(\d{1,2})(?:st|nd|rd|th)")
_DIGITS = LazyPattern(r"[+#]?[(]?\d[\d()\-./,]*")
_ALNUM = LazyPattern(r"(?=[a-z0-9\-/]*\d)(?=[a-z0-9\-/]*[a-z])[a-z0-9][a-z0-9\-/]*")
_GROUP = LazyPattern(r"\d+")
_HAS_DIGIT = LazyPattern(r"\d")
_CHUNK = LazyPattern(r"\S+")
_WORD_PIECE = LazyPattern(r"[^\s\-–—]+")


class Token:
    """One token: a whitespace-separated piece of text, or one part of a hyphenated number word.

    start, end: offsets of its core (surrounding punctuation excluded) in the document.
    kind: ``num`` (stands for digits: written digits or a number word), ``amount``, ``time``,
        ``date``, ``range`` (3-5), ``ordinal``, ``alnum`` (letters and digits, AB12345), ``word``,
        ``punct`` or ``sep``.
    digits: the digits a ``num`` token stands for (``""`` for "and" inside "hundred and five").
    groups: digit-group lengths of a written number (``123-45-6789`` -> (3, 2, 4)).
    """

    __slots__ = ("start", "end", "raw", "norm", "kind", "digits", "groups", "plus", "spoken", "value", "seg", "lead", "trail")

    def __init__(self, start: int, end: int, raw: str, norm: str, kind: str, seg: int):
        self.start = start
        self.end = end
        self.raw = raw
        self.norm = norm
        self.kind = kind
        self.digits = ""
        self.groups: Tuple[int, ...] = ()
        self.plus = False
        self.spoken = False
        self.value: Optional[int] = None  # ordinal or month value
        self.seg = seg
        self.lead = ""  # punctuation stripped just before the core (".20" after "$45")
        self.trail = ""  # punctuation stripped just after it ("ten thirty," ends a group)

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Token({self.raw!r}, {self.kind}, {self.digits!r})"


def _classify(core: str, start: int, seg: int, out: List[Token]) -> None:
    norm = core.lower()
    if not _HAS_DIGIT.search(norm):
        if "-" in norm or "–" in norm or "—" in norm:
            pieces = list(_WORD_PIECE.finditer(core))
            if len(pieces) > 1 and all(_is_number_word(p.group().lower()) for p in pieces):
                for p in pieces:
                    _classify(p.group(), start + p.start(), seg, out)
                return
        token = Token(start, start + len(core), core, norm, "word", seg)
        if norm in UNITS or norm in TEENS or norm in TENS or norm in SCALES or norm in REPEATS:
            token.kind = "num"
            token.spoken = True
        elif norm in ORDINALS:
            token.kind = "ordinal"
            token.value = ORDINALS[norm]
        elif norm in ("@", "/", "&", "+", "-", "–", "—", "#"):
            token.kind = "punct"
        out.append(token)
        return
    token = Token(start, start + len(core), core, norm, "word", seg)
    if _TIME.fullmatch(norm):
        token.kind = "time"
    elif _AMOUNT.fullmatch(norm):
        token.kind = "amount"
    elif _DATE.fullmatch(norm):
        token.kind = "date"
        token.digits = "".join(_GROUP.findall(norm))
    elif _RANGE.fullmatch(norm):
        token.kind = "range"  # "3-5" days; digits only next to other digits ("0-7 7-8 7-3 ...")
        groups = _GROUP.findall(norm)
        token.digits = "".join(groups)
        token.groups = tuple(len(g) for g in groups)
    elif _ORDINAL.fullmatch(norm):
        token.kind = "ordinal"
        token.value = int(_ORDINAL.fullmatch(norm).group(1))
    elif _DIGITS.fullmatch(norm):
        token.kind = "num"
        groups = _GROUP.findall(norm)
        token.digits = "".join(groups)
        token.groups = tuple(len(g) for g in groups)
        token.plus = norm.startswith("+")
    elif _ALNUM.fullmatch(norm):
        token.kind = "alnum"
        token.digits = "".join(c for c in norm if c.isdigit())
    out.append(token)


def _is_number_word(word: str) -> bool:
    return word in UNITS or word in TEENS or word in TENS or word in SCALES or word in ORDINALS


def tokenize(
    text: str, offset: int = 0, seg: int = 0, out: Optional[List[Token]] = None, resolve: bool = True
) -> List[Token]:
    """Tokens of ``text`` (its offsets shifted by ``offset``), appended to ``out``.

    resolve: give number words their digits now; pass False when more text follows and call
    :func:`spoken_digits` once at the end (a number may run on into the next segment).
    """
    tokens: List[Token] = [] if out is None else out
    first = len(tokens)
    for match in _CHUNK.finditer(text):
        raw = match.group()
        begin = len(raw) - len(raw.lstrip(_STRIP))
        core = raw.strip(_STRIP)
        if not core:
            stripped = raw.strip()
            kind = "punct" if stripped in ("-", "–", "—", "/", "&") else "sep"
            tokens.append(Token(offset + match.start(), offset + match.end(), raw, stripped, kind, seg))
            continue
        before = len(tokens)
        _classify(core, offset + match.start() + begin, seg, tokens)
        if begin:
            tokens[before].lead = raw[begin - 1]
        after = begin + len(core)
        if after < len(raw):
            tokens[-1].trail = raw[after]
        # "$45 .20": the recogniser split an amount at its decimal point
        if (
            tokens[before].kind == "num"
            and tokens[before].lead in ".,"
            and before > first
            and tokens[before - 1].kind == "amount"
            and len(tokens[before].digits) <= 2
        ):
            tokens[before].kind = "amount"
    if resolve:
        spoken_digits(tokens, first)
    return tokens


def spoken_digits(tokens: List[Token], first: int = 0, chains: Optional[List[int]] = None) -> None:
    """Give each number word the digits it contributes when the words are read in order.

    "fifty six" -> 5, 6; "fifty" -> 50; "nineteen eighty five" -> 19, 8, 5; "four hundred and
    twelve" -> 4, "", "", 12; "eight hundred" -> 8, 00; "two thousand and five" -> 2, 00, "", 5;
    "double five" -> 5, 5; "oh" is 0 only next to another number.
    """
    n = len(tokens)
    group = chains if chains is not None else [t.seg for t in tokens]
    for i in range(first, n):
        t = tokens[i]
        if t.kind != "num" or not t.spoken:
            continue
        w = t.norm
        nxt = tokens[i + 1] if i + 1 < n and group[i + 1] == group[i] else None
        nxt_num = nxt is not None and nxt.kind == "num"
        if w in ("oh", "o"):
            prev = tokens[i - 1] if i > first and group[i - 1] == group[i] else None
            if (prev is not None and prev.kind == "num" and prev.norm not in ("oh", "o")) or (
                nxt_num and nxt.norm not in ("oh", "o", "and")
            ) or (nxt_num and nxt.norm in ("oh", "o") and i + 2 < n and tokens[i + 2].kind == "num"):
                t.digits = "0"
            else:
                t.kind = "word"
            continue
        if w in UNITS:
            t.digits = str(UNITS[w])
        elif w in TEENS:
            t.digits = str(TEENS[w])
        elif w in TENS:
            unit_next = nxt_num and nxt.spoken and nxt.norm in UNITS and UNITS[nxt.norm] > 0 and nxt.norm not in ("oh", "o")
            t.digits = str(TENS[w]) + ("" if unit_next else "0")
        elif w in REPEATS:
            if nxt_num and nxt.digits == "" and nxt.spoken:
                _one_word_digits(nxt)
            if nxt_num and nxt.digits:
                t.digits = nxt.digits[0] * (REPEATS[w] - 1)
            else:
                t.kind = "word"
        elif w in SCALES:
            zeros = SCALES[w]
            prev = tokens[i - 1] if i > first and group[i - 1] == group[i] else None
            lead = "" if (prev is not None and prev.kind == "num") else "1"
            after = nxt
            j = i + 1
            if after is not None and after.norm == "and" and j + 1 < n and tokens[j + 1].kind == "num":
                after.kind = "num"
                after.spoken = True
                after.digits = ""
                j += 1
                after = tokens[j]
                joined = True
            else:
                joined = False
            if after is None or after.kind != "num" or group[j] != group[i]:
                t.digits = lead + "0" * zeros
            elif after.norm in TEENS or after.norm in TENS:
                t.digits = lead + "0" * (zeros - 2)
            elif after.norm in UNITS and after.norm not in ("oh", "o", "zero", "nought", "naught", "nil"):
                if zeros == 3 and j + 1 < n and tokens[j + 1].norm == "hundred":
                    t.digits = lead  # "two thousand three hundred"
                elif joined or zeros == 3:
                    t.digits = lead + "0" * (zeros - 1)  # "hundred and five", "two thousand five"
                else:
                    t.digits = lead + "0" * zeros  # "eight hundred five five five": phone style
            else:
                t.digits = lead + "0" * zeros
    _homophones(tokens, first, group)


def _homophones(tokens: List[Token], first: int, group: List[int]) -> None:
    """"four five five to seven": "to" is 2 when digit words surround it, at least four in all."""
    n = len(tokens)

    def digit_word(k: int) -> bool:
        t = tokens[k]
        return t.kind == "num" and t.spoken and len(t.digits) == 1

    for i in range(first, n):
        t = tokens[i]
        if t.kind != "word" or t.norm not in HOMOPHONES:
            continue
        left = i - 1
        while left >= first and group[left] == group[i] and tokens[left].norm in FILLERS:
            left -= 1
        right = i + 1
        while right < n and group[right] == group[i] and tokens[right].norm in FILLERS:
            right += 1
        has_left = left >= first and group[left] == group[i] and (digit_word(left) or tokens[left].norm in HOMOPHONES)
        has_right = right < n and group[right] == group[i] and digit_word(right)
        if not has_left and not has_right:
            continue

        def count_from(k: int, step: int) -> int:
            count = 0
            while first <= k < n and group[k] == group[i] and (
                digit_word(k) or tokens[k].norm in FILLERS or tokens[k].norm in HOMOPHONES
            ):
                count += digit_word(k)
                k += step
            return count

        before, after = count_from(left, -1), count_from(right, 1)
        # inside a run of digit words (four in all), or at the edge of a long one (six)
        if (has_left and has_right and before + after >= 4) or (not has_left and after >= 6) or (not has_right and before >= 6):
            t.kind = "num"
            t.spoken = True
            t.digits = HOMOPHONES[t.norm]


def _one_word_digits(t: Token) -> None:
    w = t.norm
    if w in UNITS:
        t.digits = str(UNITS[w])
    elif w in TEENS:
        t.digits = str(TEENS[w])
    elif w in TENS:
        t.digits = str(TENS[w]) + "0"


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum every payment card number satisfies."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0
