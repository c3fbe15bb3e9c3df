#!/usr/bin/env python
"""Evaluate PCI/PII redaction on a generated set of contact-center phrasings.

Every entity type is said many ways: written digits (spaces, dashes, dots, parentheses),
recogniser spacing (``4556 73 75 868 99855``), digits as words ("four five five six", "oh" for
zero, "double five", "triple two"), pairs ("forty five fifty six"), a mix, with or without its
cue, the cue asked by the other party, and the value split over two utterances of the same
speaker (with a backchannel from the other party between them). Sentences full of ordinary
numbers (amounts, delivery windows, times, counts, years, percentages, quantities, dates that are
not birthdays) must survive. Each example is a list of :class:`analyzer.records.Utterance` with
word timings, redacted with ``Redactor.redact_utterances`` as the pipeline will.

Reported:

* recall per type: entities whose every value word was redacted (any placeholder), and with the
  right placeholder; partial = some but not all of its words;
* precision: of the redacted words, the share that were entity words (cue words such as
  "card number" that get swallowed count against it);
* ordinary numbers wrongly removed: the share of ordinary-number mentions with any word redacted;
* real conversation text (DailyDialog test utterances, ``../shared/data``, when present): the
  share of utterances and of number-bearing utterances that lost anything, with the redactions
  listed by ``--show-real`` to be read by a person;
* ``--presidio``: the same examples through presidio-analyzer's pattern recognizers (no NLP
  engine: CreditCard, UsSsn, Email, Phone, Date, UsBank), for comparison.

    python scripts/evaluate_redaction.py [--n 40] [--seed 0] [--presidio] [--show-misses]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.records import Utterance, Word  # noqa: E402
from analyzer.redaction import ENTITY_TYPES, RedactionOptions, Redactor  # noqa: E402

WORD_S = 0.35  # seconds per generated word
UNIT = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
TEEN = ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
ORD = ["", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh",
       "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth",
       "twentieth", "twenty first", "twenty second", "twenty third", "twenty fourth", "twenty fifth", "twenty sixth",
       "twenty seventh", "twenty eighth"]
FIRST = ["john", "maria", "sam", "priya", "david", "chen", "fatima", "liam", "olga", "kwame", "sarah", "tom"]
LAST = ["smith", "garcia", "patel", "nguyen", "okafor", "jones", "kowalski", "brown", "li", "murphy"]
DOMAINS = [["gmail", "com"], ["yahoo", "com"], ["hotmail", "co", "uk"], ["outlook", "com"], ["aol", "com"],
           ["icloud", "com"], ["brightline", "net"], ["btinternet", "com"], ["comcast", "net"]]


# -- number renderings -------------------------------------------------------------------------

def two_words(n: int) -> str:
    if n < 10:
        return UNIT[n]
    if n < 20:
        return TEEN[n - 10]
    return TENS[n // 10] + ("" if n % 10 == 0 else " " + UNIT[n % 10])


def digit_words(digits: str, rng: random.Random, repeats: bool = True) -> List[str]:
    """"four five five six", with "oh"/"o" for zero and "double"/"triple" for repeats."""
    out: List[str] = []
    i = 0
    while i < len(digits):
        d = digits[i]
        run = 1
        while i + run < len(digits) and digits[i + run] == d and run < 3:
            run += 1
        word = UNIT[int(d)] if d != "0" else rng.choice(["oh", "oh", "zero", "o"])
        if repeats and run >= 2 and rng.random() < 0.6:
            out += ["triple" if run == 3 else "double", word]
            i += run
            continue
        out.append(word)
        i += 1
    return out


def pair_words(digits: str, rng: random.Random) -> List[str]:
    """"forty five fifty six": digit pairs as numbers (a leading zero said as "oh")."""
    out: List[str] = []
    for k in range(0, len(digits) - 1, 2):
        pair = digits[k : k + 2]
        out += (["oh", UNIT[int(pair[1])]] if pair[0] == "0" else two_words(int(pair)).split())
    if len(digits) % 2:
        out.append(UNIT[int(digits[-1])])
    return out


def asr_groups(digits: str, rng: random.Random) -> List[str]:
    """Recogniser spacing: random groups of 1-5 digits, sometimes with a leading . or -."""
    out = []
    i = 0
    while i < len(digits):
        size = rng.choice([1, 2, 2, 3, 3, 4, 4, 5])
        piece = digits[i : i + size]
        if out and rng.random() < 0.15:
            piece = rng.choice([".", "-"]) + piece
        out.append(piece)
        i += size
    return out


def grouped(digits: str, sizes: Sequence[int], sep: str) -> List[str]:
    parts = []
    i = 0
    for s in sizes:
        if digits[i : i + s]:
            parts.append(digits[i : i + s])
        i += s
    if i < len(digits):
        parts.append(digits[i:])
    return sep.join(parts).split(" ") if sep == " " else [sep.join(parts)]


def mixed(digits: str, sizes: Sequence[int], rng: random.Random) -> List[str]:
    """Some groups in digits, some in words, some as pairs."""
    out: List[str] = []
    i = 0
    for s in sizes:
        g = digits[i : i + s]
        i += s
        if not g:
            continue
        style = rng.choice(["digits", "words", "pairs"])
        out += [g] if style == "digits" else digit_words(g, rng) if style == "words" else pair_words(g, rng)
    if i < len(digits):
        out += digit_words(digits[i:], rng)
    return out


def commas(digits: str) -> List[str]:
    return [d + "," for d in digits[:-1]] + [digits[-1] + "."]


HOMOPHONES = {"two": ["to", "too"], "four": ["for"], "eight": ["ate"]}


def asr_noisy(digits: str, rng: random.Random) -> List[str]:
    """Digits as words with recogniser damage: one digit lost, a filler, sometimes a homophone."""
    words = digit_words(digits, rng, repeats=False)
    del words[rng.randrange(len(words))]
    words.insert(rng.randrange(1, len(words)), rng.choice(["uh", "um", "sorry"]))
    if rng.random() < 0.5:
        spots = [k for k, w in enumerate(words) if w in HOMOPHONES]
        if spots:
            k = rng.choice(spots)
            words[k] = rng.choice(HOMOPHONES[words[k]])
    return words


def render_digits(digits: str, sizes: Sequence[int], style: str, rng: random.Random) -> List[str]:
    if style == "noisy":
        return asr_noisy(digits, rng)
    if style == "digits":
        return grouped(digits, sizes, " ")
    if style == "dashes":
        return grouped(digits, sizes, "-")
    if style == "solid":
        return [digits]
    if style == "asr":
        return asr_groups(digits, rng)
    if style == "words":
        return digit_words(digits, rng)
    if style == "pairs":
        return pair_words(digits, rng)
    if style == "mixed":
        return mixed(digits, sizes, rng)
    if style == "commas":
        return commas(digits)
    raise ValueError(style)


# -- values ------------------------------------------------------------------------------------

def luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    for check in "0123456789":
        digits = body + check
        total = 0
        for i, ch in enumerate(reversed(digits)):
            d = int(ch) * (2 if i % 2 else 1)
            total += d - 9 if d > 9 else d
        if total % 10 == 0:
            return digits
    raise AssertionError


def card_number(rng: random.Random) -> Tuple[str, Tuple[int, ...]]:
    kind = rng.choice(["visa", "visa", "mc", "mc", "amex", "discover"])
    if kind == "amex":
        return luhn_complete(rng.choice(["34", "37"]), 15, rng), (4, 6, 5)
    prefix = {"visa": "4", "mc": str(rng.randint(51, 55)), "discover": "6011"}[kind]
    return luhn_complete(prefix, 16, rng), (4, 4, 4, 4)


def ssn(rng: random.Random) -> str:
    area = rng.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"


# -- examples ----------------------------------------------------------------------------------

@dataclass
class Example:
    """Utterances as word lists, with the (utterance, word) positions of what must go / stay."""

    kind: str  # an entity type, or "ORDINARY"
    style: str
    turns: List[Tuple[str, List[str]]] = field(default_factory=list)
    target: List[Tuple[int, int]] = field(default_factory=list)  # the entity's words
    mentions: List[List[Tuple[int, int]]] = field(default_factory=list)  # ordinary numbers, one list each

    def say(self, speaker: str, *pieces) -> None:
        """pieces: str (plain words), or ("V", words) for the value, ("O", words) for an ordinary number."""
        words: List[str] = []
        u = len(self.turns)
        for piece in pieces:
            if isinstance(piece, str):
                words += piece.split()
                continue
            tag, ws = piece
            idx = [(u, len(words) + k) for k in range(len(ws))]
            words += ws
            if tag == "V":
                self.target += idx
            else:
                self.mentions.append(idx)
        if words:
            self.turns.append((speaker, words))

    def utterances(self) -> List[Utterance]:
        out = []
        t = 0.0
        for speaker, words in self.turns:
            ws = []
            for w in words:
                ws.append(Word(round(t, 3), round(t + WORD_S - 0.05, 3), w, 0.9))
                t += WORD_S
            out.append(Utterance(speaker, ws[0].start_s, ws[-1].end_s, " ".join(words), tuple(ws), 0.9))
            t += 0.6
        return out


AGENT, CUST = "agent", "customer"


def place(ex: Example, value: List[str], cue_forms: Sequence[str], question: str, rng: random.Random,
          placement: str, trailing: Sequence[str] = ("", "thanks", "okay", "is that right?"), lead: str = "") -> None:
    """Say ``value`` with a cue ("own"), after the other party's question ("asked"), with no cue
    ("bare"), or split over two utterances of the same speaker ("split")."""
    # sometimes an ordinary number follows in the same breath; it must survive
    tail = rng.choice(list(trailing) + ["ORDINARY"] * 3)
    if tail == "ORDINARY":
        tail = rng.choice([
            ("and I paid", ("O", [f"${rng.randint(2, 300)}.{rng.randint(0, 99):02d}"])),
            ("it's been", ("O", [rng.choice(["three", "five", "2", "10"])]), "days"),
            ("I called at", ("O", [f"{rng.randint(1, 12)}:{rng.choice(['00', '15', '30', '45'])}"])),
            ("for the", ("O", [str(rng.choice([2019, 2021, 2023]))]), "model"),
        ])
    else:
        tail = (tail,)
    if placement == "split" and len(value) < 2:
        placement = "own"
    if placement == "asked":
        ex.say(AGENT, question)
        ex.say(CUST, rng.choice(["", "yes it's", "sure,", "yeah it's", "um it's"]), lead, ("V", value), *tail)
    elif placement == "bare":
        ex.say(CUST, rng.choice(["", "okay so", "right,"]), lead, ("V", value), *tail)
    elif placement == "split":
        cut = max(1, len(value) // 2)
        ex.say(AGENT, rng.choice(["Go ahead.", "Ready when you are.", question]))
        ex.say(CUST, rng.choice(cue_forms), lead, ("V", value[:cut]))
        ex.say(AGENT, rng.choice(["Mm-hmm.", "Okay.", "Yep."]))
        ex.say(CUST, ("V", value[cut:]), *tail)
    else:
        ex.say(AGENT, rng.choice(["Okay.", "Go ahead.", "Sure."]))
        ex.say(CUST, rng.choice(cue_forms), lead, ("V", value), *tail)


def gen_card(rng):
    digits, sizes = card_number(rng)
    style = rng.choice(["digits", "dashes", "solid", "asr", "words", "pairs", "mixed", "commas", "noisy"])
    placement = rng.choice(["own", "asked", "bare", "split"])
    ex = Example("CARD", f"{style}/{placement}")
    value = render_digits(digits, sizes, style, rng)
    place(ex, value, ["my card number is", "the card number is", "it's a visa,", "the long number is",
                      "card number", "my credit card is"],
          rng.choice(["Can I take the long card number please?", "What's the card number?",
                      "Could you read me the number on the front of the card?"]), rng, placement)
    return ex


def gen_expiry(rng):
    month, year = rng.randint(1, 12), rng.randint(24, 33)
    style = rng.choice(["slash", "solid", "spaced", "words", "monthname", "monthwords", "fullyear"])
    value = {
        "slash": [f"{month:02d}/{year}"],
        "solid": [f"{month:02d}{year}"],
        "spaced": [f"{month:02d}", str(year)],
        "words": (["oh"] if month < 10 else []) + two_words(month).split() + two_words(year).split(),
        "monthname": [MONTHS[month - 1], f"20{year}"],
        "monthwords": [MONTHS[month - 1], "twenty"] + two_words(year).split(),
        "fullyear": [f"{month:02d}/20{year}"],
    }[style]
    placement = rng.choice(["own", "asked", "split"]) if len(value) > 1 else rng.choice(["own", "asked"])
    ex = Example("EXPIRY", f"{style}/{placement}")
    place(ex, value, ["the expiry date is", "it expires", "expiration", "expiry", "valid thru", "the expiration date is"],
          rng.choice(["And the expiry date?", "What's the expiration date on the card?"]), rng, placement)
    return ex


def gen_cvv(rng):
    digits = "".join(rng.choice("0123456789") for _ in range(rng.choice([3, 3, 3, 4])))
    style = rng.choice(["digits", "solid", "words", "commas"])
    value = render_digits(digits, (len(digits),), style if style != "digits" else "solid", rng) if style != "digits" else list(digits)
    placement = rng.choice(["own", "asked"])
    ex = Example("CVV", f"{style}/{placement}")
    place(ex, value, ["the security code is", "the CVV is", "CVV", "the three digits on the back are", "security code",
                      "the CVC is"],
          rng.choice(["And the security code on the back?", "What's the CVV?", "And the three digits on the back?"]),
          rng, placement)
    return ex


def gen_ssn(rng):
    digits = ssn(rng)
    style = rng.choice(["dashes", "digits", "solid", "words", "asr", "pairs", "last4", "noisy"])
    if style == "dashes":
        value = [f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"]
    elif style == "last4":
        digits = digits[5:]
        value = rng.choice([[digits], digit_words(digits, rng)])
    else:
        value = render_digits(digits, (3, 2, 4), style, rng)
    placement = "bare" if style == "dashes" and rng.random() < 0.4 else rng.choice(["own", "asked", "split"])
    if style == "last4":
        placement = rng.choice(["own", "asked"])
    ex = Example("SSN", f"{style}/{placement}")
    cues = (["the last four of my social are", "last four of my social security number is"] if style == "last4"
            else ["my social security number is", "my social is", "SSN", "my social security is"])
    question = ("Can you confirm the last four of your social?" if style == "last4"
                else "Can you confirm your social security number?")
    place(ex, value, cues, question, rng, placement)
    return ex


def gen_email(rng):
    first, last = rng.choice(FIRST), rng.choice(LAST)
    domain = rng.choice(DOMAINS)
    num = str(rng.randint(1, 99)) if rng.random() < 0.3 else ""
    style = rng.choice(["written", "spoken", "asr", "spelled", "underscore", "initial"])
    if style == "written":
        value = [f"{first}.{last}{num}@{'.'.join(domain)}"]
    elif style == "spoken":
        value = [first, "dot", last] + ([num] if num else []) + ["at"] + " dot ".join(domain).split()
    elif style == "asr":
        value = [f"{first}.{last}{num}", "at", ".".join(domain)]
    elif style == "spelled":
        value = list(first) + ["at"] + " dot ".join(domain).split()
    elif style == "underscore":
        value = [first, "underscore", last, "at"] + " dot ".join(domain).split()
    else:
        value = [first[0], last] + ([num] if num else []) + ["at"] + " dot ".join(domain).split()
    placement = rng.choice(["own", "asked", "bare"])
    ex = Example("EMAIL", f"{style}/{placement}")
    place(ex, value, ["my email is", "my email address is", "you can email me at", "it's", "email is"],
          rng.choice(["What's the best email address for you?", "Can I get an email address?"]), rng, placement)
    return ex


def gen_phone(rng):
    region = rng.choice(["us", "us", "uk", "intl"])
    if region == "us":
        area, exch, line = rng.randint(201, 989), rng.randint(200, 999), rng.randint(0, 9999)
        digits = f"{area}{exch}{line:04d}"
        style = rng.choice(["paren", "dashes", "dots", "plus1", "solid", "words", "asr", "mixed", "tollfree", "noisy"])
        value = {
            "paren": [f"({area})", f"{exch}-{line:04d}"],
            "dashes": [f"{area}-{exch}-{line:04d}"],
            "dots": [f"{area}.{exch}.{line:04d}"],
            "plus1": ["+1", str(area), str(exch), f"{line:04d}"],
            "solid": [digits],
            "words": digit_words(digits, rng),
            "asr": asr_groups(digits, rng),
            "mixed": mixed(digits, (3, 3, 4), rng),
            "tollfree": ["one", "eight", "hundred"] + digit_words(f"{exch}{line:04d}", rng),
            "noisy": asr_noisy(digits, rng),
        }[style]
    elif region == "uk":
        mobile = "7" + "".join(rng.choice("0123456789") for _ in range(9))
        style = rng.choice(["uk-mobile", "uk-plus", "uk-london", "uk-words"])
        value = {
            "uk-mobile": ["0" + mobile[:4], mobile[4:]],
            "uk-plus": ["+44", mobile[:4], mobile[4:]],
            "uk-london": ["020", str(rng.randint(7000, 8999)), f"{rng.randint(0, 9999):04d}"],
            "uk-words": digit_words("0" + mobile, rng),
        }[style]
    else:
        style = rng.choice(["fr", "de", "plus-words"])
        value = {
            "fr": ["+33", str(rng.randint(1, 9))] + [f"{rng.randint(0, 99):02d}" for _ in range(4)],
            "de": ["+49", "30", str(rng.randint(1000000, 9999999))],
            "plus-words": ["plus", "four", "four"] + digit_words("7" + "".join(rng.choice("0123456789") for _ in range(9)), rng),
        }[style]
    placement = rng.choice(["own", "asked", "bare", "split"]) if len(value) > 2 else rng.choice(["own", "asked", "bare"])
    ex = Example("PHONE", f"{style}/{placement}")
    place(ex, value, ["you can reach me on", "my number is", "call me back at", "my cell is", "my phone number is",
                      "it's"],
          rng.choice(["What's the best number to reach you?", "Can I get a callback number?"]), rng, placement)
    return ex


def gen_dob(rng):
    year, month, day = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
    yy = year % 100
    year_words = (two_words(year // 100) + " " + (two_words(yy) if yy >= 10 else "oh " + UNIT[yy])).split()
    style = rng.choice(["numeric", "monthfirst", "ordinal", "words", "spaced", "short"])
    value = {
        "numeric": [f"{month:02d}/{day:02d}/{year}"],
        "monthfirst": [MONTHS[month - 1], f"{day}{'th' if day > 3 else ['', 'st', 'nd', 'rd'][day]},", str(year)],
        "ordinal": ORD[day].split() + ["of", MONTHS[month - 1]] + year_words,
        "words": [MONTHS[month - 1]] + two_words(day).split() + year_words,
        "spaced": [f"{month:02d}", f"{day:02d}", str(year)],
        "short": ORD[day].split() + ["of", MONTHS[month - 1], two_words(yy) if yy >= 10 else "oh " + UNIT[yy]],
    }[style]
    value = [w for piece in value for w in piece.split()]
    placement = rng.choice(["own", "asked", "split"]) if len(value) > 2 else rng.choice(["own", "asked"])
    ex = Example("DOB", f"{style}/{placement}")
    place(ex, value, ["my date of birth is", "I was born on", "DOB", "my birthday is", "date of birth"],
          rng.choice(["Can I have your date of birth?", "And your date of birth please?"]), rng, placement,
          lead="the" if style == "ordinal" else "")
    return ex


def gen_account(rng):
    n = rng.randint(6, 12)
    digits = str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(n - 1))
    style = rng.choice(["digits", "solid", "words", "asr", "alnum", "letters", "pairs", "noisy"])
    if style == "alnum":
        value = ["".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(2)) + digits[:6]]
    elif style == "letters":
        value = [rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ"), rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ")] + digit_words(digits[:6], rng)
    else:
        value = render_digits(digits, (4, 4, 4), style, rng)
    placement = rng.choice(["own", "asked", "split"]) if len(value) > 2 else rng.choice(["own", "asked"])
    ex = Example("ACCOUNT", f"{style}/{placement}")
    place(ex, value, ["my account number is", "the reference number is", "confirmation number", "my member ID is",
                      "the policy number is", "order number", "account number"],
          rng.choice(["Do you have your account number?", "What's the reference number?",
                      "Can I get the confirmation number?"]), rng, placement)
    return ex


def ordinary(rng: random.Random) -> Example:
    """A sentence with ordinary numbers that must survive."""
    ex = Example("ORDINARY", "")
    a, c = rng.randint(2, 999), rng.randint(0, 99)
    n = rng.randint(2, 12)
    year = rng.randint(1995, 2026)
    templates = [
        ("amount-written", lambda: ex.say(CUST, "I got a refund of", ("O", [f"${a}.{c:02d}"]), "last week")),
        ("amount-asr", lambda: ex.say(CUST, "I was charged", ("O", [f"${a}", f".{c:02d}"]), "twice")),
        ("amount-words", lambda: ex.say(CUST, "it came to", ("O", two_words(a % 100).split() + ["pounds"]), "in total")),
        ("amount-cents", lambda: ex.say(AGENT, "that's", ("O", [str(a), "dollars", "and", str(c), "cents"]))),
        ("amount-thousands", lambda: ex.say(CUST, "the repair was", ("O", [f"{rng.randint(1, 9)},{rng.randint(0, 999):03d}", "dollars"]))),
        ("window-words", lambda: ex.say(AGENT, "it takes", ("O", [UNIT[n % 5 + 2]]), "to", ("O", [UNIT[n % 5 + 4]]), "business days")),
        ("window-digits", lambda: ex.say(AGENT, "delivery in", ("O", [f"{n % 5 + 2}-{n % 5 + 5}"]), "working days")),
        ("window-asr", lambda: ex.say(AGENT, "delivery in", ("O", [str(n % 5 + 2), f"-{n % 5 + 5}"]), "business days")),
        ("time-written", lambda: ex.say(AGENT, "I can call you back at", ("O", [f"{rng.randint(1, 12)}:{rng.choice(['00', '15', '30', '45'])}"]))),
        ("time-words", lambda: ex.say(CUST, "call me at", ("O", two_words(rng.randint(1, 12)).split() + ["thirty"]), "tomorrow")),
        ("time-pm", lambda: ex.say(CUST, "I'm free after", ("O", [str(rng.randint(1, 11)), "pm"]))),
        ("year", lambda: ex.say(CUST, "I've been a customer since", ("O", [str(year)]))),
        ("year-words", lambda: ex.say(CUST, "back in", ("O", ["twenty", two_words(year % 100)] if year >= 2010 else ["two", "thousand", "and", UNIT[year % 10]]), "we moved")),
        ("count", lambda: ex.say(CUST, "I ordered", ("O", [str(n)]), "items and", ("O", [UNIT[n % 3 + 1]]), "were broken")),
        ("count-words", lambda: ex.say(CUST, "I called", ("O", [UNIT[n % 4 + 2]]), "or", ("O", [UNIT[n % 4 + 3]]), "times")),
        ("quantity", lambda: ex.say(CUST, "we need", ("O", [str(rng.choice([150, 250, 500, 1200]))]), "units by Friday")),
        ("percent", lambda: ex.say(AGENT, "you get", ("O", [f"{rng.choice([10, 15, 20, 25])}%"]), "off")),
        ("percent-words", lambda: ex.say(AGENT, "that's a", ("O", two_words(rng.choice([10, 15, 20, 25])).split() + ["percent"]), "discount")),
        ("duration", lambda: ex.say(CUST, "I waited", ("O", two_words(rng.randint(20, 59)).split()), "minutes on hold")),
        ("date", lambda: ex.say(CUST, "it was delivered on the", ("O", [f"{rng.randint(1, 28)}th"]), "of", MONTHS[rng.randint(0, 11)])),
        ("age", lambda: ex.say(CUST, "my son is", ("O", [str(rng.randint(5, 17))]), "years old")),
        ("plan", lambda: ex.say(AGENT, "the", ("O", [str(rng.choice([12, 24, 36]))]), "month plan costs", ("O", [f"${a}"]))),
        ("hundreds", lambda: ex.say(CUST, "about", ("O", [UNIT[n % 8 + 1], "hundred", "and", two_words(rng.randint(10, 99))][:4] + []), "dollars")),
        ("card-no-number", lambda: ex.say(CUST, "I've had this card for", ("O", [str(n)]), "years")),
        ("account-year", lambda: ex.say(CUST, "my account has been open since", ("O", [str(year)]))),
        ("expiry-no-date", lambda: ex.say(CUST, "the offer expires in", ("O", [str(n)]), "days")),
        ("room", lambda: ex.say(CUST, "I'm in room", ("O", [str(rng.randint(100, 999))]), "at the hotel")),
        ("model", lambda: ex.say(CUST, "it's the", ("O", [str(rng.choice([2019, 2021, 2023]))]), "model, the", ("O", ["X", str(rng.randint(3, 9))]))),
        ("version", lambda: ex.say(AGENT, "update to version", ("O", [f"{rng.randint(1, 9)}.{rng.randint(0, 9)}"]))),
        ("step", lambda: ex.say(AGENT, "step", ("O", [UNIT[n % 9 + 1]]), "is to restart the router")),
    ]
    name, make = rng.choice(templates)
    make()
    ex.style = name
    return ex


# Fixed sentences written apart from the generator, each value between « and » (several per
# sentence allowed); anything redacted outside them is a false positive. The first group are
# entities in awkward phrasings, the second ordinary numbers, many right next to a cue.
HARD = [
    "yeah the card is a visa «four five five six, seven three seven five, eight six eight nine, nine eight five five»",
    "it's «4556737586899855» expiry «0427»",
    "card number «5 4 2 5 2 3 3 4 3 0 1 0 9 9 0 3» and the code on the back is «one two three»",
    "the number on the front is «four thousand five hundred fifty six seventy three seventy five eighty six eighty nine ninety eight fifty five»",
    "ok «3782 822463 10005» is the amex",
    "card ending, no sorry the full number «4111 1111 1111 1111»",
    "the pin is «double four» hmm no «four four one one» wait",
    "expires the end of «April twenty six»",
    "the expiry is «twelve slash twenty eight»",
    "my social is «five three six dash two two dash eight seven six one»",
    "SSN is «536 22 8761» and zip is 94103",
    "my email is «maria underscore garcia seventy seven at yahoo dot com»",
    "send it to «sam.jones@brightline.co.uk» please",
    "«jsmith at gmail dot com»",
    "it's «kwame dot o at outlook dot com»",
    "my number's «oh seven seven double oh nine double oh one two three»",
    "call me on «(212) 555-0198» after 6 pm",
    "mobile is «+44 (0)7911 123 456»",
    "reach me at «four one five, five five five, oh one three two», any time after 5",
    "my date of birth is the «3rd of May 1982»",
    "born «March 12th 85»",
    "DOB «one two oh three one nine eight five»",
    "my account number is «double seven four two nine one eight three», I've had it 12 years",
    "the confirmation number is «Q X 7 7 4 2»",
    "reference «ABC 123 456»",
    "my member ID is «M 4 4 9 2 1 7»",
    "it's «4556 7375» uh «8689 9855» that's the card",
]
HARD_ORDINARY = [
    "I've had this card for 12 years and it expires next month",
    "the security code didn't work, I tried 3 times",
    "my account was charged 45 dollars on the 3rd",
    "I don't have my phone number on me, call back in 10 minutes",
    "date of birth? I'd rather not say, I'm 45 years old",
    "my account number? I don't know it, I've been with you since 2015",
    "the reference number will be emailed within 24 hours",
    "your order number is in the email, it takes 3 to 5 days",
    "my card was declined 2 times at 3:30",
    "it's the 2017 2017 Ford Fusion",
    "between 25 and 35 dollars for an oil change",
    "I'd prefer between 8am and 10am",
    "the bill went from 45 to 60 dollars a month",
    "I was on hold for 20 minutes, then 15 more",
    "it's the 3 year contract at 29.99 a month",
    "we're at 123 Main Street",
    "flight 1234 leaves from gate 22",
    "the iPhone 15 Pro with 256 gig",
    "one thousand two hundred and fifty dollars",
    "five hundred thousand miles",
    "twenty twenty four was a bad year",
    "it was 1999 or 2000, I don't remember",
    "I paid nineteen ninety nine for it",
    "press 1 for billing, 2 for support",
    "we're open 9 to 5 Monday to Friday",
    "about 3 or 4 weeks ago",
    "I'm 5 foot 10",
    "the TV was 499 dollars and the stand 89",
    "I have 2 kids, 7 and 9",
    "my policy covers up to 50,000",
    "it's on page 12, section 4",
    "the order of 3 chairs came on the 21st",
    "your case will be reviewed in 48 hours",
    "Can you confirm the last four digits of your card number? Guard 1 2 3 4",
    "I was born in London and moved here when I was 7",
    "call us at any time, we're here 24 7",
    "a quarter past 3 on the 15th",
    "room 212 at the Hilton",
    "I've been a member for 6 years",
    "the phone is 2 years old",
]


GENERATORS = {"CARD": gen_card, "EXPIRY": gen_expiry, "CVV": gen_cvv, "SSN": gen_ssn, "EMAIL": gen_email,
              "PHONE": gen_phone, "DOB": gen_dob, "ACCOUNT": gen_account}


def build_set(n_per_type: int, n_ordinary: int, seed: int) -> List[Example]:
    rng = random.Random(seed)
    examples = [GENERATORS[t](rng) for t in GENERATORS for _ in range(n_per_type)]
    examples += [ordinary(rng) for _ in range(n_ordinary)]
    return examples


# -- scoring -----------------------------------------------------------------------------------

def redacted_words_ours(redactor: Redactor, ex: Example) -> Tuple[Dict[Tuple[int, int], str], float]:
    """(utterance, word) -> placeholder type, from the audio spans of redact_utterances."""
    utts = ex.utterances()
    t0 = time.perf_counter()
    result = redactor.redact_utterances(utts)
    elapsed = time.perf_counter() - t0
    out = {}
    for ui, u in enumerate(utts):
        for wi, w in enumerate(u.words):
            mid = (w.start_s + w.end_s) / 2
            for span in result.audio_spans:
                if span.speaker == u.speaker and span.start_s <= mid <= span.end_s:
                    out[(ui, wi)] = span.type
                    break
    return out, elapsed


PRESIDIO_MAP = {"CREDIT_CARD": "CARD", "US_SSN": "SSN", "EMAIL_ADDRESS": "EMAIL", "PHONE_NUMBER": "PHONE",
                "DATE_TIME": "DATE", "US_BANK_NUMBER": "ACCOUNT"}


class PresidioBaseline:
    """presidio-analyzer's predefined pattern recognizers, run without an NLP engine."""

    def __init__(self):
        from presidio_analyzer.predefined_recognizers import (
            CreditCardRecognizer, DateRecognizer, EmailRecognizer, PhoneRecognizer, UsBankRecognizer, UsSsnRecognizer,
        )

        self.recognizers = [CreditCardRecognizer(), UsSsnRecognizer(), EmailRecognizer(),
                            PhoneRecognizer(supported_regions=("US", "GB", "FR", "DE")), DateRecognizer(), UsBankRecognizer()]

    def analyze(self, text: str):
        results = []
        for r in self.recognizers:
            results += r.analyze(text, entities=r.supported_entities, nlp_artifacts=None) or []
        return results

    def redacted_words(self, ex: Example) -> Tuple[Dict[Tuple[int, int], str], float]:
        """Each utterance's text on its own, as presidio would see utterances.parquet."""
        out = {}
        elapsed = 0.0
        for ui, (speaker, words) in enumerate(ex.turns):
            text = " ".join(words)
            starts = []
            pos = 0
            for w in words:
                starts.append((pos, pos + len(w)))
                pos += len(w) + 1
            t0 = time.perf_counter()
            results = self.analyze(text)
            elapsed += time.perf_counter() - t0
            for r in results:
                if r.score <= 0:
                    continue
                for wi, (a, b) in enumerate(starts):
                    if a < r.end and r.start < b:
                        out[(ui, wi)] = PRESIDIO_MAP.get(r.entity_type, r.entity_type)
        return out, elapsed


@dataclass
class Tally:
    n: int = 0
    full: int = 0
    typed: int = 0
    partial: int = 0


def score(examples: List[Example], redact) -> dict:
    per_type: Dict[str, Tally] = defaultdict(Tally)
    per_style: Dict[Tuple[str, str], Tally] = defaultdict(Tally)
    redacted_total = redacted_true = 0
    ordinary_n = ordinary_hit = 0
    ordinary_style: Dict[str, List[int]] = defaultdict(lambda: [0, 0])
    misses = []
    seconds = 0.0
    n_utts = 0
    for ex in examples:
        red, elapsed = redact(ex)
        seconds += elapsed
        n_utts += len(ex.turns)
        target = set(ex.target)
        style = ex.style if ex.kind == "ORDINARY" else f"next to {ex.kind}"
        for mention in ex.mentions:
            ordinary_n += 1
            ordinary_style[style][0] += 1
            if any(w in red for w in mention):
                ordinary_hit += 1
                ordinary_style[style][1] += 1
                misses.append(("ORDINARY", ex, red))
        if ex.kind == "ORDINARY":
            redacted_total += len(red)
            continue
        redacted_total += len(red)
        redacted_true += len(target & set(red))
        for key in (ex.kind, (ex.kind, ex.style.split("/")[0]), (ex.kind, "/" + ex.style.split("/")[1])):
            tally = per_type[key] if isinstance(key, str) else per_style[key]
            tally.n += 1
            covered = [w for w in ex.target if w in red]
            if len(covered) == len(ex.target):
                tally.full += 1
                if all(red[w] == ex.kind or (red[w] == "DATE" and ex.kind in ("DOB", "EXPIRY")) for w in covered):
                    tally.typed += 1
            elif covered:
                tally.partial += 1
        if not all(w in red for w in ex.target) or len(set(red) - target) > 0:
            misses.append((ex.kind, ex, red))
    return {
        "per_type": per_type, "per_style": per_style, "precision": redacted_true / max(1, redacted_total),
        "redacted_total": redacted_total, "ordinary_n": ordinary_n, "ordinary_hit": ordinary_hit,
        "ordinary_style": ordinary_style, "misses": misses, "us_per_utt": 1e6 * seconds / max(1, n_utts),
    }


def show(ex: Example, red) -> str:
    lines = []
    marked = set(ex.target) | {w for m in ex.mentions for w in m}
    for ui, (speaker, words) in enumerate(ex.turns):
        shown = []
        for wi, w in enumerate(words):
            mark = "*" if (ui, wi) in marked else ""
            shown.append(f"[{w}{mark}]" if (ui, wi) in red else w + mark)
        lines.append(f"    {speaker:>8}: {' '.join(shown)}")
    return "\n".join(lines)


def print_report(name: str, res: dict, types: Sequence[str]) -> None:
    print(f"\n## {name}\n")
    print("| type | n | recall (all words removed) | right placeholder | partial |")
    print("|---|---|---|---|---|")
    total = Tally()
    for t in types:
        tally = res["per_type"].get(t, Tally())
        total.n += tally.n
        total.full += tally.full
        total.typed += tally.typed
        total.partial += tally.partial
        print(f"| {t} | {tally.n} | {tally.full / max(1, tally.n):.3f} | {tally.typed / max(1, tally.n):.3f} | {tally.partial / max(1, tally.n):.3f} |")
    print(f"| all | {total.n} | {total.full / max(1, total.n):.3f} | {total.typed / max(1, total.n):.3f} | {total.partial / max(1, total.n):.3f} |")
    print(f"\nprecision (redacted words that were entity words): {res['precision']:.3f} of {res['redacted_total']} words")
    print(f"ordinary numbers wrongly removed: {res['ordinary_hit']}/{res['ordinary_n']} = {res['ordinary_hit'] / max(1, res['ordinary_n']):.3f}")
    print(f"time: {res['us_per_utt']:.1f} µs per utterance")


def print_styles(res: dict) -> None:
    print("\nrecall by phrasing (style / placement):\n")
    rows = sorted(res["per_style"].items())
    print("| type | phrasing | n | recall | right placeholder |")
    print("|---|---|---|---|---|")
    for (t, style), tally in rows:
        print(f"| {t} | {style} | {tally.n} | {tally.full / max(1, tally.n):.2f} | {tally.typed / max(1, tally.n):.2f} |")
    bad = {k: v for k, v in res["ordinary_style"].items() if v[1]}
    if bad:
        print("\nordinary phrasings that lost a number: " + ", ".join(f"{k} {v[1]}/{v[0]}" for k, v in sorted(bad.items())))


def dailydialog_texts(data: Path, split: Optional[str] = "test", limit: Optional[int] = None) -> List[str]:
    """DailyDialog turns from ../shared/data (no pandas needed); [] when the file is absent."""
    import csv
    import gzip

    path = data / "dailydialog_emotion" / "dailydialog_turns.tsv.gz"
    if not path.exists():
        return []
    texts = []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        col_split, col_text = header.index("split"), header.index("utterance")
        for row in reader:
            if (split is None or row[col_split] == split) and row[col_text].strip():
                texts.append(row[col_text].strip())
                if limit and len(texts) >= limit:
                    break
    return texts


def real_conversation(redactor: Redactor, data: Path, limit: int, show_real: bool) -> None:
    import re

    texts = dailydialog_texts(data, "test", limit) if limit > 0 else sorted(set(dailydialog_texts(data, None)))
    if not texts:
        print(f"\n(real conversation check skipped: no DailyDialog under {data})")
        return
    numeric = re.compile(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|forty|fifty|hundred)\b", re.I)
    touched = [(t, redactor.redact_text(t)) for t in texts]
    changed = [(t, r) for t, r in touched if r.spans]
    with_numbers = [t for t in texts if numeric.search(t)]
    kinds = Counter(s.type for _, r in changed for s in r.spans)
    which = "test" if limit > 0 else "all splits, unique"
    print(f"\n## Real conversation text (DailyDialog {which}, {len(texts)} utterances, {len(with_numbers)} with a number)\n")
    print(f"utterances with any redaction: {len(changed)} ({len(changed) / len(texts):.4f}); "
          f"of those with a number: {len(changed) / max(1, len(with_numbers)):.4f}; by type: {dict(kinds)}")
    if show_real:
        for t, r in changed:
            print(f"  - {t!r}\n    -> {r.text!r}")


def hard_sentences(redactor: Redactor, show_all: bool) -> None:
    """The fixed sentences: values fully removed, and nothing else."""
    import re

    found = missed = false_pos = 0
    lines = []
    for marked in HARD + HARD_ORDINARY:
        text = marked.replace("«", "").replace("»", "")
        values = []
        offset = 0
        for m in re.finditer(r"«([^»]*)»", marked):
            start = m.start() - offset
            values.append((start, start + len(m.group(1))))
            offset += 2
        result = redactor.redact_text(text)
        covered = [any(s.start <= a and b <= s.end for s in result.spans) for a, b in values]
        outside = [s for s in result.spans if not any(a < s.end and s.start < b for a, b in values)]
        found += sum(covered)
        missed += len(covered) - sum(covered)
        false_pos += bool(outside)
        if show_all or not all(covered) or outside:
            lines.append(f"  {'ok ' if all(covered) and not outside else 'BAD'} {marked!r}\n      -> {result.text!r}")
    n_values = sum(marked.count("«") for marked in HARD)
    print(f"\n## Fixed hard sentences ({len(HARD)} with {n_values} values, {len(HARD_ORDINARY)} of ordinary numbers)\n")
    print(f"values fully removed: {found}/{found + missed}; sentences with something else removed: {false_pos}/{len(HARD) + len(HARD_ORDINARY)}")
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=60, help="examples per entity type")
    parser.add_argument("--ordinary", type=int, default=400, help="sentences of ordinary numbers")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--presidio", action="store_true", help="also run presidio-analyzer's pattern recognizers")
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--styles", action="store_true", help="recall per phrasing")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--real", type=int, default=3000,
                        help="DailyDialog test utterances to check (0: skip; -1: every unique turn of every split)")
    parser.add_argument("--show-real", action="store_true")
    args = parser.parse_args()

    examples = build_set(args.n, args.ordinary, args.seed)
    redactor = Redactor(RedactionOptions())
    types = [t for t in ENTITY_TYPES if t in GENERATORS]
    print(f"{len(examples)} generated examples (seed {args.seed}): {args.n} per type x {len(types)} types, "
          f"{args.ordinary} sentences of ordinary numbers")
    ours = score(examples, lambda ex: redacted_words_ours(redactor, ex))
    print_report("analyzer.redaction (redact_utterances)", ours, types)
    if args.styles:
        print_styles(ours)
    if args.show_misses:
        print("\nmisses and false positives (* = entity/ordinary word, [..] = redacted):")
        for kind, ex, red in ours["misses"]:
            print(f"  {kind} {ex.style}\n{show(ex, red)}")
    hard_sentences(redactor, args.show_misses)
    if args.real != 0:
        real_conversation(redactor, args.data, args.real, args.show_real)
    if args.presidio:
        try:
            baseline = PresidioBaseline()
        except ImportError as exc:
            print(f"\n(presidio-analyzer not installed: {exc})")
            return
        theirs = score(examples, baseline.redacted_words)
        print_report("presidio-analyzer pattern recognizers, no NLP engine (per utterance text)", theirs, types)
        if args.styles:
            print_styles(theirs)


if __name__ == "__main__":
    main()
