#!/usr/bin/env python3
# Debian packages: flite sox espeak-ng
"""Generate realistic demo contact-center calls with ground truth.

Usage::

    python scripts/generate_demo_calls.py --out DIR [--calls 6] [--seed 0] [--agents 3]

Writes, under DIR:

* ``audio/<call_id>.wav`` -- stereo, 8 kHz, 16-bit PCM; left = agent, right =
  customer.  Telephone band (300-3400 Hz), faint line noise, speech peaks
  normalised to between -6 and -3 dBFS.
* ``truth/<call_id>.json`` -- ground truth: utterances with their real start and
  end in the audio (to 10 ms), holds and overtalk.
* ``metadata.csv`` -- one row per call (agent, queue, CSAT, handle, hold and
  after-call-work seconds, transfer flag).

Speech is synthesised with flite, whose voices (plus two pitch-shifted
variants) the faster-whisper tiny.en model transcribes best of what Debian main
offers (see the WER notes at FLITE_VOICES); espeak-ng is a fallback when flite
is not installed.  sox resamples and pitch-shifts; the rest is numpy.  Output is
byte-for-byte deterministic for a given seed on a given machine.  Tests can
load this file with importlib and call ``generate_calls``.
"""

import argparse
import csv
import hashlib
import json
import random
import shutil
import subprocess
import sys
import tempfile
import wave
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

SR = 8000  # output sample rate
COMPANY = "Brightline"

# --------------------------------------------------------------------------
# Voices
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Voice:
    key: str  # stable name used in the truth file
    engine: str  # "flite" or "espeak"
    name: str  # engine voice name
    gender: str  # "f" or "m"
    base_wpm: float  # words per minute at the engine's default speed
    pitch: int = 50  # espeak only (0-99)
    word_gap: int = 0  # espeak only (units of 10 ms)
    shift_cents: int = 0  # pitch shift applied with sox (any engine)


# base_wpm calibrated on trimmed dialogue lines (pauses inside a line included).
# Word error rates of faster-whisper tiny.en on the customer channel of six
# generated calls (telephone band, line noise), measured when this was written:
#   flite slt 0.15-0.26, awb 0.13-0.17, rms 0.07-0.09, rms +250 cents 0.14-0.17,
#   awb -200 cents 0.16-0.44 (dropped); agent channels (longer turns) score lower;
#   espeak-ng en-us+f2 0.28, en-us+f3 0.31, en-us 0.42, en-us+m3 0.43,
#   en-gb 0.46, en-us+m1 0.51 (word gaps did not help).
# So flite voices are used; espeak-ng is only a fallback when flite is missing.
FLITE_VOICES = [
    Voice("flite-slt", "flite", "slt", "f", 206.0),
    Voice("flite-awb", "flite", "awb", "m", 191.5),
    Voice("flite-rms", "flite", "rms", "m", 190.0),
    Voice("flite-rms-high", "flite", "rms", "m", 190.0, shift_cents=250),
]
ESPEAK_VOICES = [
    Voice("espeak-en-us-f2", "espeak", "en-us+f2", "f", 1.130, 55),
    Voice("espeak-en-us-m3", "espeak", "en-us+m3", "m", 1.177, 45),
    Voice("espeak-en-us-f3", "espeak", "en-us+f3", "f", 1.156, 60),
]
# espeak's base_wpm holds "measured wpm per unit of -s"; flite's the plain wpm.

AGENT_NAMES = {"f": ["Sarah", "Emily", "Maria", "Laura", "Rachel", "Hannah"],
               "m": ["Daniel", "James", "Michael", "Kevin", "Thomas", "Peter"]}
CUSTOMER_NAMES = {
    "f": ["Linda Johnson", "Karen Walker", "Susan Parker", "Jessica Turner",
          "Amanda Brooks", "Nancy Cooper", "Helen Foster", "Megan Hughes"],
    "m": ["Robert Miller", "Brian Collins", "Steven Wright", "Mark Harris",
          "Paul Bennett", "George Evans", "Frank Morgan", "Eric Sanders"],
}
DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven",
          "eight", "nine"]


def available_voices() -> tuple[list[Voice], list[Voice]]:
    """Voices usable here: (preferred agent voices, customer voices)."""
    if shutil.which("flite") is not None:
        return FLITE_VOICES[:3], FLITE_VOICES
    print("warning: flite not found, using espeak-ng voices (less intelligible "
          "to speech recognizers); install the Debian package flite",
          file=sys.stderr)
    return ESPEAK_VOICES, ESPEAK_VOICES


# --------------------------------------------------------------------------
# Dialogue content
# --------------------------------------------------------------------------

GREETINGS = [
    "Thank you for calling {company}, this is {agent}. How can I help?",
    "Good evening, {company}, {agent} speaking. What can I do for you?",
    "Hi, thanks for calling {company}. My name is {agent}, how can I help?",
]
POOR_GREETINGS = [
    "{company}, this is {agent}. What's the problem?",
    "Yeah, {company}, {agent} here.",
]
EMPATHY = [
    "I'm sorry to hear that, I understand how frustrating that is.",
    "Oh no, I can understand how frustrating that is.",
    "I'm really sorry about that, I can see why you're upset.",
]
APOLOGY = [
    "I do apologize for the trouble.",
    "I'm sorry, that should not have happened.",
    "My apologies for the inconvenience.",
]
OWNERSHIP = [
    "I'll take care of this for you.",
    "Don't worry, I'll sort this out for you.",
    "Leave it with me, I'll fix this.",
]
ID_REQUESTS = [
    "Can I have your full name and the last four digits of your account?",
    "Can you confirm your name and the last four digits of the account?",
]
POOR_ID_REQUESTS = [
    "Name and the last four digits of the account.",
    "Okay. Your name and account number, last four digits.",
]
ID_ANSWERS = [
    "Sure, it's {customer}, and the last four are {digits}.",
    "Yes, {customer}. The last four are {digits}.",
    "It's {customer}. Last four digits, {digits}.",
]
ID_THANKS = ["Thank you, {first}.", "Thanks, {first}, I've found it.",
             "Perfect, thank you, {first}."]
HOLD_REQUESTS = [
    "Can I place you on hold for a moment while I {reason}?",
    "Can I place you on hold for a moment? I need to {reason}.",
]
HOLD_AGREE = ["Sure, go ahead.", "Yes, that's fine.", "Okay, no problem."]
HOLD_AGREE_ANNOYED = ["Fine, but please be quick.", "Okay, I guess. Go ahead."]
HOLD_THANKS = ["Thank you for holding, {first}.", "Thank you for holding.",
               "Thank you for holding, sorry about the wait."]
NO_HOLD_CHECK = ["Okay, give me a second to look into this.",
                 "Alright, let me just check that on my system.",
                 "One moment, I'm looking at it now."]
NO_HOLD_ACK = ["Okay.", "Sure.", "Alright, thanks."]
CHECK_RESOLUTION = ["Is there anything else I can help with?",
                    "Is there anything else I can do for you?",
                    "Is there anything else I can help you with today?"]
NOTHING_ELSE = ["No, that's everything. Thank you.", "No, that was it, thanks.",
                "No, I think that covers it."]
NOTHING_ELSE_UNHAPPY = ["No. That's all.", "No, I think we're done here."]
CLOSINGS = ["Thank you for calling {company}. Have a great evening.",
            "You're welcome. Have a good night.",
            "It was a pleasure, {first}. Have a lovely evening."]
CLOSINGS_UNHAPPY = ["I understand. Thank you for calling, and sorry again.",
                    "Okay, thank you for your patience, {first}. Goodbye."]
POOR_CLOSINGS = ["Okay. Bye.", "Alright then, bye."]
BYES = ["Thanks, you too. Bye.", "Thank you, bye bye.", "Great, bye now."]
BYES_UNHAPPY = ["Yeah. Bye.", "Whatever. Goodbye."]
DISMISSIVE_REPLIES = [
    "Are you serious? You can't help me at all?",
    "That's ridiculous. Nobody at this company knows anything.",
]
POOR_TRANSFER = ["Look, I can transfer you, but that's all I can do.",
                 "I'll put you through to them. They can deal with it."]
POOR_TRANSFER_REPLY = ["Fine. Just transfer me.", "Unbelievable. Fine, put me through."]

# Each scenario holds cases; a case is a coherent story.  Text fields may be a
# single string or a list of alternatives.
SCENARIOS: dict[str, dict] = {
    "billing_dispute": {
        "queue": "billing",
        "cases": [
            {
                "problem": ["Hi. I was charged twice for my bill this month, and honestly I'm pretty annoyed.",
                            "Hello. You took my monthly payment two times. This is really not okay."],
                "details_q": "Which date are you seeing the two charges on?",
                "details_a": ["Both on the third, fifty nine dollars each.",
                              "Both on Monday, fifty nine dollars each."],
                "extra": [("agent", "Did you make a payment yourself that day?"),
                          ("customer", "No, it just pays automatically.")],
                "hold_reason": "check the payment records",
                "finding": "The automatic payment ran twice because of an error on our side.",
                "reaction": "So when am I getting my money back?",
                "resolution": "I've refunded the fifty nine dollars to your card.",
                "expectation": "You'll get a confirmation email within twenty four hours.",
                "dismissive": "Payments are not my department. Call your bank.",
                "positive_end": ["Okay, that's a relief. Thank you.",
                                 "Great, thank you for fixing that."],
                "negative_end": ["I'm still not happy that this happened at all.",
                                 "This is the second time this year. I'm fed up."],
            },
            {
                "problem": ["Hi, there's an extra fifteen dollars on my bill for premium support. I never asked for that.",
                            "Hello. My bill went up by fifteen dollars and nobody told me why."],
                "details_q": "Is this on the bill from last week?",
                "details_a": ["Yes, the latest one. It says premium support.",
                              "Yes, and I've never heard of premium support."],
                "extra": [("agent", "Have you called us recently about your equipment?"),
                          ("customer", "Once, about my router, two months ago.")],
                "hold_reason": "look at your account notes",
                "finding": "Premium support was added two months ago, but you never agreed to it.",
                "reaction": "Exactly. So can you take it off?",
                "resolution": "I've removed it and credited the fifteen dollars back.",
                "expectation": "You'll see the credit on your next bill.",
                "dismissive": "That's not my department. Talk to the sales team.",
                "positive_end": ["Okay, good. That's exactly what I wanted.",
                                 "Oh, great. Thanks for your help."],
                "negative_end": ["I shouldn't have had to call about this. I'm not impressed.",
                                 "I'm still annoyed it was added in the first place."],
            },
        ],
    },
    "late_delivery": {
        "queue": "orders",
        "cases": [
            {
                "problem": ["Hi, I ordered a phone two weeks ago and it still hasn't arrived.",
                            "Hello. My order was due last Friday and there's still nothing. I'm really frustrated."],
                "details_q": "Is the delivery address still Maple Avenue?",
                "details_a": ["Yes, that's right. Nothing has changed.",
                              "Yes, Maple Avenue, that's correct."],
                "extra": [("agent", "Have you had any message from the courier?"),
                          ("customer", "No, nothing at all.")],
                "hold_reason": "contact the courier",
                "finding": "Your parcel was sent to the wrong depot, so it was delayed.",
                "reaction": "That's not my fault. When will I actually get it?",
                "resolution": "I've sent it out with priority delivery and added a ten dollar credit.",
                "expectation": "It will arrive by Thursday, and you'll get a tracking link by text.",
                "dismissive": "Deliveries are not my department. Take it up with the courier.",
                "positive_end": ["Thursday is fine. Thank you, I appreciate the credit.",
                                 "Okay, that's much better. Thanks."],
                "negative_end": ["Thursday? I needed it last week. I'm really disappointed.",
                                 "Well, it's still late. I'll order somewhere else next time."],
            },
            {
                "problem": ["Hi. I took the day off work for my router delivery and nobody showed up.",
                            "Hello. I waited at home all day for my delivery and it never came."],
                "details_q": "Did you get a text with a delivery time this morning?",
                "details_a": ["Yes, it said before noon, and then nothing.",
                              "Yes, it said the morning, and then nothing."],
                "extra": [("agent", "Was there a card left at your door?"),
                          ("customer", "No, I checked twice.")],
                "hold_reason": "check the driver's notes",
                "finding": "The driver marked it as failed, with no reason given. That's not acceptable.",
                "reaction": "So I wasted a whole day. What are you going to do about it?",
                "resolution": "I've rebooked it as the first delivery tomorrow morning, and added compensation to your account.",
                "expectation": "The driver will call you thirty minutes before arriving.",
                "dismissive": "There's nothing I can do. The courier is a separate company.",
                "positive_end": ["First thing tomorrow works. Thank you.",
                                 "Okay, thanks. I appreciate that."],
                "negative_end": ["I can't take another day off. This has been a nightmare.",
                                 "I've lost a day's pay over this. I'm not happy."],
            },
        ],
    },
    "account_locked": {
        "queue": "accounts",
        "cases": [
            {
                "problem": ["Hi, I'm locked out of my online account and the password reset email never arrives.",
                            "Hello. My account is locked and I can't reset my password. I've been trying for an hour."],
                "details_q": "Which email address is the reset going to?",
                "details_a": ["My old work email. I don't use it anymore.",
                              "My old email, which I can't get into anymore."],
                "extra": [("agent", "Do you have a new email address we can use?"),
                          ("customer", "Yes, the one I gave when I signed up for the newsletter.")],
                "hold_reason": "unlock the account",
                "finding": "I've unlocked your account and updated your email address.",
                "reaction": "Okay. So can I log in now?",
                "resolution": "Yes, I've sent a new reset link to your new email.",
                "expectation": "It will arrive in five minutes and works for twenty four hours.",
                "dismissive": "I can't help with passwords. Use the website.",
                "positive_end": ["Oh, I just got it. Thank you so much.",
                                 "Great, it's working. Thanks for your help."],
                "negative_end": ["The website should let me do this myself. It's been a frustrating evening.",
                                 "I still think an hour of my time was wasted."],
            },
            {
                "problem": ["Hi, my account was locked for security reasons. I'm worried someone tried to get in.",
                            "Hello. My account got locked after a strange login. I'm really worried."],
                "details_q": "Have you logged in from a new device recently?",
                "details_a": ["No, only from my laptop at home.",
                              "No, it wasn't me."],
                "extra": [("agent", "Have you noticed any new orders on your account?"),
                          ("customer", "Not that I can see.")],
                "hold_reason": "review the security log",
                "finding": "There were a few failed logins from an unknown device, but nobody got in.",
                "reaction": "Okay, good. But what if they try again?",
                "resolution": "I've reset your password, signed out other devices, and turned on two step verification.",
                "expectation": "You'll get a text with a temporary code in a moment.",
                "dismissive": "Security is not my department. I just handle general questions.",
                "positive_end": ["That's a relief. Thank you, I feel much better.",
                                 "Okay, great. Thanks for being so quick."],
                "negative_end": ["I still don't feel like my details are safe with you.",
                                 "Fine. This is really unsettling though."],
            },
        ],
    },
    "cancellation": {
        "queue": "retention",
        "cases": [
            {
                "problem": ["Hi, I want to cancel my contract. The price keeps going up.",
                            "Hello. I'd like to cancel my service please. I'm paying far too much."],
                "details_q": "Can I ask how much you're paying each month?",
                "details_a": ["Eighty dollars, and I barely watch the television.",
                              "Around eighty dollars, and the internet is slow."],
                "extra": [("agent", "What are other providers offering you?"),
                          ("customer", "Faster internet for fifty dollars a month.")],
                "hold_reason": "see what offers I have",
                "finding": "I can offer you faster internet without television for forty five dollars a month.",
                "reaction": "Forty five? Why didn't anyone offer me that before?",
                "resolution": "I can switch you over today with no fee.",
                "expectation": "The new price starts on your next bill, and you'll get a confirmation email.",
                "dismissive": "Cancellations are not my department. You'll need to write to us.",
                "positive_end": ["Okay, that's a good deal. Let's do that.",
                                 "Alright, you've convinced me. Thanks."],
                "negative_end": ["No thanks. I've made up my mind. Please just cancel it.",
                                 "It's too late for that. Please cancel my account."],
            },
            {
                "problem": ["Hi. I'm moving in with my partner, so I'd like to cancel my internet.",
                            "Hello. I need to cancel my account. The new place already has internet."],
                "details_q": "When is your moving date?",
                "details_a": ["The end of next month.",
                              "In about four weeks."],
                "extra": [("agent", "And is the new place in our area?"),
                          ("customer", "I'm not sure, my partner sorts that out.")],
                "hold_reason": "check your contract",
                "finding": "Your contract ends in three months, so there would normally be a fee.",
                "reaction": "A fee? Nobody told me about a fee.",
                "resolution": "Because you're moving, I can waive the fee and cancel on your moving date.",
                "expectation": "You'll get a box in the post to return the router.",
                "dismissive": "I can't waive fees. That's the contract you signed.",
                "positive_end": ["Oh, that's really kind of you. Thank you.",
                                 "Great, that's easier than I expected."],
                "negative_end": ["The final bill had better be right. I've had problems before.",
                                 "Honestly I'm glad to be leaving. The service has been poor."],
            },
        ],
    },
    "technical_fault": {
        "queue": "technical_support",
        "cases": [
            {
                "problem": ["Hi, my internet keeps dropping out. I work from home and I can't keep losing my connection.",
                            "Hello. My internet cuts out every ten minutes and it's driving me crazy."],
                "details_q": "What lights can you see on your router?",
                "details_a": ["The power light is green, but the internet light flashes orange.",
                              "One green light and one that keeps blinking orange."],
                "extra": [("agent", "Have you tried turning the router off and on?"),
                          ("customer", "Yes, twice already. It drops again after a few minutes.")],
                "hold_reason": "run a test on your line",
                "finding": "There's a fault at the street cabinet, so it's not your equipment.",
                "reaction": "So how long will this take? I have meetings tomorrow.",
                "resolution": "I've booked an engineer and added a credit for the lost service.",
                "expectation": "The engineer comes tomorrow morning, and you'll get a text when it's fixed.",
                "dismissive": "Have you tried turning it off and on? Otherwise there's nothing I can do.",
                "positive_end": ["Okay, thank you. At least I know what's going on.",
                                 "Great, thanks for explaining it."],
                "negative_end": ["Tomorrow? That's not good enough for what I'm paying.",
                                 "I've heard that before. If it's not fixed tomorrow I'm cancelling."],
            },
            {
                "problem": ["Hi. My television box just shows a black screen and I've missed the game.",
                            "Hello. The television has shown no signal since this afternoon."],
                "details_q": "Can you read me the message on the screen?",
                "details_a": ["It says no signal, please check your cables.",
                              "It just says signal lost."],
                "extra": [("agent", "Is the cable at the back pushed in firmly?"),
                          ("customer", "Yes, I checked. It's still the same.")],
                "hold_reason": "send a reset to your box",
                "finding": "I've sent a reset to the box. It should restart in a minute.",
                "reaction": "Okay, it's restarting. Oh, the picture is back.",
                "resolution": "Great. I've also updated the software so it shouldn't happen again.",
                "expectation": "If it happens again this week, we'll send a new box the next day.",
                "dismissive": "That's not my department. Television is a different team.",
                "positive_end": ["Brilliant, thank you. I can still catch the second half.",
                                 "Perfect, thanks so much."],
                "negative_end": ["It works, but I still missed the game. This keeps happening.",
                                 "It's the third time this month. I'm getting tired of it."],
            },
        ],
    },
    "address_change": {
        "queue": "accounts",
        "cases": [
            {
                "problem": ["Hi, I moved house and need to update my address. The website keeps giving me an error.",
                            "Hello. I need to change my address and the website won't let me."],
                "details_q": "What's the new address, please?",
                "details_a": ["Twenty two Station Road, Riverside.",
                              "It's twenty two Station Road, in Riverside."],
                "extra": [("agent", "Should I move your internet service there too?"),
                          ("customer", "Yes please, I need it at the new place.")],
                "hold_reason": "check availability there",
                "finding": "Good news, I've updated your billing and service address.",
                "reaction": "Okay. How long until the internet works there?",
                "resolution": "I've booked the connection for this coming Tuesday.",
                "expectation": "You'll get a confirmation email within twenty four hours.",
                "dismissive": "Moving service is not my department. Call the moving team.",
                "positive_end": ["Tuesday is perfect. Thank you.",
                                 "Great, thank you very much."],
                "negative_end": ["Tuesday? I've been without internet for a week already.",
                                 "Fine. I just hope it actually happens this time."],
            },
            {
                "problem": ["Hi, my bills still go to my old address. I told you I moved two months ago.",
                            "Hello. I've asked twice to change my address and my post still goes to the old flat."],
                "details_q": "Can you confirm the new address?",
                "details_a": ["Fourteen Oak Lane, Hillside.",
                              "It's fourteen Oak Lane, in Hillside."],
                "extra": [("agent", "Was the change made over the phone?"),
                          ("customer", "Yes, both times.")],
                "hold_reason": "check your account history",
                "finding": "The address was changed for your service, but not for your bills. That's our mistake.",
                "reaction": "So my bills went to my old place? That's my personal information.",
                "resolution": "I've updated the billing address and will post copies of your last two bills.",
                "expectation": "You'll get a confirmation email tonight.",
                "dismissive": "I don't handle post. That's not my department.",
                "positive_end": ["Thank you. That's all I wanted.",
                                 "Okay, great, thanks for fixing it."],
                "negative_end": ["It shouldn't take three calls to change an address.",
                                 "I'll believe it when I see it."],
            },
        ],
    },
    "damaged_item": {
        "queue": "orders",
        "cases": [
            {
                "problem": ["Hi. The speaker I ordered arrived today and it's cracked down one side.",
                            "Hello. I just opened my delivery and the speaker inside is broken."],
                "details_q": "Did you take any photos of the damage?",
                "details_a": ["Yes, I took a few photos.",
                              "Yes, of the box and the crack."],
                "extra": [("agent", "Does the speaker turn on at all?"),
                          ("customer", "It does, but it buzzes terribly.")],
                "hold_reason": "arrange a replacement",
                "finding": "I've arranged a replacement, and the courier will collect the broken one.",
                "reaction": "Okay. I don't have to pay for the return, do I?",
                "resolution": "No, the return is completely free.",
                "expectation": "The replacement will arrive within two working days.",
                "dismissive": "Damage in transit is not my department. Claim from the courier.",
                "positive_end": ["Perfect. Thank you, that's really helpful.",
                                 "Great, that's better than I expected."],
                "negative_end": ["It was a gift, and now it'll be late. I'm really disappointed.",
                                 "Fine. I'm not ordering anything fragile from you again."],
            },
            {
                "problem": ["Hi, I got the wrong item. I ordered a black phone case and got a pink one.",
                            "Hello. You sent me the wrong case. It doesn't even fit my phone."],
                "details_q": "Is the packaging still sealed?",
                "details_a": ["Yes, I only opened the outer box.",
                              "Yes, I didn't open it."],
                "extra": [("agent", "Would you like the right case, or a refund?"),
                          ("customer", "The right case please.")],
                "hold_reason": "check the stock",
                "finding": "We have the black case in stock, so I've sent it out for next day delivery.",
                "reaction": "Okay. And what do I do with the pink one?",
                "resolution": "I've emailed you a free return label.",
                "expectation": "The correct case will arrive tomorrow.",
                "dismissive": "The warehouse made the mistake, not me. That's not my department.",
                "positive_end": ["Great, thank you for sorting that out so fast.",
                                 "Okay, that's fine. Thanks a lot."],
                "negative_end": ["I've wasted my evening on this. It's really poor service.",
                                 "Fine. I just hope the right one arrives this time."],
            },
        ],
    },
}


# --------------------------------------------------------------------------
# Audio helpers
# --------------------------------------------------------------------------

def _bandpass_kernel(lo: float = 300.0, hi: float = 3400.0, taps: int = 161) -> np.ndarray:
    n = np.arange(taps) - (taps - 1) / 2
    def lowpass(fc: float) -> np.ndarray:
        return 2 * fc / SR * np.sinc(2 * fc / SR * n)
    h = (lowpass(hi) - lowpass(lo)) * np.blackman(taps)
    return h


_KERNEL = _bandpass_kernel()


def bandpass(x: np.ndarray) -> np.ndarray:
    """Zero-phase (delay compensated) telephone band-pass, 300-3400 Hz."""
    k = _KERNEL
    nfft = 1 << int(np.ceil(np.log2(len(x) + len(k) - 1)))
    y = np.fft.irfft(np.fft.rfft(x, nfft) * np.fft.rfft(k, nfft), nfft)
    d = (len(k) - 1) // 2
    return y[d:d + len(x)]


def speech_bounds(x: np.ndarray, floor_db: float) -> tuple[int, int]:
    """First/last sample of the 5 ms RMS frames above ``floor_db`` re. the loudest."""
    hop = SR // 200
    n = len(x) // hop
    if n == 0:
        return 0, len(x)
    rms = np.sqrt(np.mean(x[: n * hop].reshape(n, hop) ** 2, axis=1))
    idx = np.nonzero(rms > rms.max() * 10 ** (floor_db / 20))[0]
    if len(idx) == 0:
        return 0, len(x)
    return int(idx[0] * hop), int((idx[-1] + 1) * hop)


class Clip:
    """A synthesised utterance: samples plus where the audible speech is.

    ``x`` keeps faint onsets and tails (down to -45 dB re. the loudest 5 ms
    frame) so that nothing sounds cut off; ``on``..``off`` is the part above
    -30 dB, i.e. what stands clearly above the line noise once mixed.  Truth
    timings refer to ``on``..``off``.
    """

    __slots__ = ("x", "on", "off")

    def __init__(self, x: np.ndarray, on: int, off: int):
        self.x, self.on, self.off = x, on, off

    @property
    def seconds(self) -> float:
        return (self.off - self.on) / SR


class TTS:
    """Synthesises text to trimmed, band-limited, peak-normalised 8 kHz clips (cached)."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.cache: dict[tuple, Clip] = {}

    def _synth(self, voice: Voice, wpm: float, text: str) -> Clip:
        h = hashlib.sha1(f"{voice.key}|{wpm}|{text}".encode()).hexdigest()[:16]
        raw = self.workdir / f"{h}.wav"
        if voice.engine == "flite":
            stretch = voice.base_wpm / wpm
            cmd = ["flite", "-voice", voice.name, "--setf",
                   f"duration_stretch={stretch:.3f}", "-t", text, "-o", str(raw)]
        else:
            speed = int(round(wpm / voice.base_wpm))
            cmd = ["espeak-ng", "-v", voice.name, "-s", str(speed),
                   "-p", str(voice.pitch), "-g", str(voice.word_gap), "-w", str(raw), text]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        out = subprocess.run(
            ["sox", "-D", str(raw), "-t", "raw", "-e", "floating-point", "-b", "32",
             "-c", "1", "-r", str(SR), "-"]
            + (["pitch", str(voice.shift_cents)] if voice.shift_cents else [])
            + ["rate", "-h"],
            check=True, capture_output=True).stdout
        raw.unlink()
        x = np.frombuffer(out, dtype="<f4").astype(np.float64)
        # band-limit first so that out-of-band rumble does not count as speech
        x = bandpass(x)
        a0, a1 = speech_bounds(x, -45.0)
        b0, b1 = speech_bounds(x, -30.0)
        x = x[a0:a1]
        peak = np.abs(x).max()
        return Clip(x / peak if peak > 0 else x, b0 - a0, b1 - a0)

    def prefetch(self, items: set[tuple]) -> None:
        todo = sorted((k for k in items if k not in self.cache),
                      key=lambda k: (k[0].key, k[1], k[2]))
        with ThreadPoolExecutor(max_workers=4) as ex:
            for k, clip in zip(todo, ex.map(lambda k: self._synth(*k), todo)):
                self.cache[k] = clip

    def get(self, voice: Voice, wpm: float, text: str) -> Clip:
        k = (voice, wpm, text)
        if k not in self.cache:
            self.cache[k] = self._synth(voice, wpm, text)
        return self.cache[k]


def hold_music(rng: random.Random, seconds: float) -> np.ndarray:
    """A simple looping synthetic melody: sine notes with attack/decay envelope."""
    scale = [261.63, 293.66, 329.63, 392.00, 440.00, 523.25, 587.33, 659.25]
    base = rng.choice([0.0, 2.0, -3.0])  # transpose in semitones
    motif = [rng.randrange(len(scale)) for _ in range(8)]
    note_len = rng.choice([0.3, 0.35, 0.4])
    n_total = int(round(seconds * SR))
    out = np.zeros(n_total)
    nl = int(note_len * SR)
    t = np.arange(nl) / SR
    env = np.minimum(1.0, t / 0.02) * np.exp(-t * 4.0)
    env[-80:] *= np.linspace(1, 0, 80)
    i = pos = 0
    while pos < n_total:
        f = scale[motif[i % len(motif)]] * 2 ** (base / 12)
        note = (np.sin(2 * np.pi * f * t) + 0.3 * np.sin(2 * np.pi * 2 * f * t)
                + 0.15 * np.sin(2 * np.pi * f / 2 * t)) * env
        if i % 4 == 0:  # a soft bass note on each bar
            note = note + 0.4 * np.sin(2 * np.pi * f / 4 * t) * env
        seg = note[: n_total - pos]
        out[pos:pos + len(seg)] += seg
        pos += nl
        i += 1
    fade = min(int(0.05 * SR), n_total // 2)
    out[:fade] *= np.linspace(0, 1, fade)
    out[n_total - fade:] *= np.linspace(1, 0, fade)
    return out / np.abs(out).max()


def write_stereo_wav(path: Path, left: np.ndarray, right: np.ndarray) -> None:
    inter = np.empty(2 * len(left), dtype="<i2")
    inter[0::2] = np.clip(np.round(left * 32767), -32768, 32767)
    inter[1::2] = np.clip(np.round(right * 32767), -32768, 32767)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(inter.tobytes())


# --------------------------------------------------------------------------
# Call planning
# --------------------------------------------------------------------------

@dataclass
class Turn:
    speaker: str  # "agent" | "customer"
    text: str
    tag: str = ""  # e.g. "hold_request", "hold_thanks", "check"


@dataclass
class CallPlan:
    call_id: str
    agent_id: str
    scenario: str
    queue: str
    turns: list[Turn]
    has_hold: bool
    outcome: str  # "positive" | "negative"
    poor: bool
    behaviours: list[str] = field(default_factory=list)


def _pick(rng: random.Random, v):
    return rng.choice(v) if isinstance(v, list) else v


def _digits(rng: random.Random) -> str:
    return " ".join(DIGITS[rng.randrange(10)] for _ in range(4))


def plan_call(rng: random.Random, call_id: str, agent_id: str, agent_name: str,
              customer: str, scenario: str, outcome: str, poor: bool,
              has_hold: bool, style: dict) -> CallPlan:
    sc = SCENARIOS[scenario]
    case = rng.choice(sc["cases"])
    first = customer.split()[0]
    fmt = dict(company=COMPANY, agent=agent_name, customer=customer, first=first,
               digits=_digits(rng))
    A = lambda text, tag="": Turn("agent", text.format(**fmt), tag)  # noqa: E731
    C = lambda text, tag="": Turn("customer", text.format(**fmt), tag)  # noqa: E731
    behaviours: list[str] = []
    turns: list[Turn] = []

    empathy = not poor and rng.random() < style["empathy"]
    apology = not poor and rng.random() < style["apology"]
    ownership = not poor and rng.random() < (style["ownership"] if outcome == "positive" else 0.5)
    expectation = not poor and rng.random() < style["expectation"]
    check = not poor and rng.random() < style["check"]
    extra = rng.random() < 0.5

    turns.append(A(rng.choice(POOR_GREETINGS if poor else GREETINGS)))
    behaviours.append("greeting")
    turns.append(C(_pick(rng, case["problem"])))
    if poor:
        turns.append(A(rng.choice(POOR_ID_REQUESTS)))
    else:
        t = rng.choice(ID_REQUESTS)
        if empathy:
            t = rng.choice(EMPATHY) + " " + t
            behaviours.append("empathy")
        turns.append(A(t))
    turns.append(C(rng.choice(ID_ANSWERS)))
    thanks = "Okay." if poor else rng.choice(ID_THANKS)
    turns.append(A(thanks + " " + case["details_q"]))
    behaviours.append("identification")
    turns.append(C(_pick(rng, case["details_a"])))
    if extra:
        for spk, text in case["extra"]:
            turns.append(Turn(spk, text, "extra"))
    if has_hold:
        t = rng.choice(HOLD_REQUESTS).format(reason=case["hold_reason"])
        if apology:
            t = rng.choice(APOLOGY) + " " + t
            behaviours.append("apology")
        turns.append(A(t, "hold_request"))
        turns.append(C(rng.choice(HOLD_AGREE_ANNOYED if (poor or rng.random() < 0.3)
                                  else HOLD_AGREE), "hold_agree"))
        turns.append(A(rng.choice(HOLD_THANKS) + " " + case["finding"], "hold_thanks"))
        behaviours.append("hold")
    else:
        t = rng.choice(NO_HOLD_CHECK)
        if apology:
            t = rng.choice(APOLOGY) + " " + t
            behaviours.append("apology")
        turns.append(A(t, "check"))
        turns.append(C(rng.choice(NO_HOLD_ACK)))
        turns.append(A(case["finding"], "finding"))
    turns.append(C(case["reaction"]))
    if poor:
        turns.append(A(case["dismissive"], "dismissive"))
        behaviours.append("dismissive")
        turns.append(C(rng.choice(DISMISSIVE_REPLIES)))
        turns.append(A(rng.choice(POOR_TRANSFER), "transfer"))
        turns.append(C(rng.choice(POOR_TRANSFER_REPLY)))
        turns.append(A(rng.choice(POOR_CLOSINGS), "closing"))
        behaviours.append("closing")
    else:
        t = case["resolution"]
        if ownership:
            t = rng.choice(OWNERSHIP) + " " + t
            behaviours.append("ownership")
        if expectation:
            t = t + " " + case["expectation"]
            behaviours.append("set_expectations")
        turns.append(A(t, "resolution"))
        turns.append(C(_pick(rng, case["positive_end" if outcome == "positive" else "negative_end"])))
        if check:
            turns.append(A(rng.choice(CHECK_RESOLUTION), "check_resolution"))
            behaviours.append("check_resolution")
            turns.append(C(rng.choice(NOTHING_ELSE if outcome == "positive" else NOTHING_ELSE_UNHAPPY),
                           "nothing_else"))
        turns.append(A(rng.choice(CLOSINGS if outcome == "positive" else CLOSINGS_UNHAPPY), "closing"))
        behaviours.append("closing")
        turns.append(C(rng.choice(BYES if outcome == "positive" else BYES_UNHAPPY)))
    return CallPlan(call_id, agent_id, scenario, SCENARIOS[scenario]["queue"], turns,
                    has_hold, outcome, poor, behaviours)


# --------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------

MIN_LEN, MAX_LEN = 45.0, 120.0


def layout(rng: random.Random, plan: CallPlan, clips: list[Clip],
           hold_len: float, dead_air_at: int | None, gap_scale: float = 1.0) -> dict:
    """Place clips on the timeline. Returns positions, holds, overtalk."""
    # boundaries eligible for overtalk: speaker change, no hold in between,
    # previous clip long enough.
    n = len(plan.turns)
    eligible = [i for i in range(2, n)
                if plan.turns[i].speaker != plan.turns[i - 1].speaker
                and plan.turns[i].tag not in ("hold_thanks",)
                and plan.turns[i - 1].tag not in ("hold_request",)
                and clips[i - 1].seconds > 1.6 and clips[i].seconds > 0.6
                and i != dead_air_at]
    k = min(len(eligible), max(1, round(len(eligible) * rng.uniform(0.2, 0.4))))
    chosen = set(rng.sample(eligible, k))
    t = rng.uniform(0.4, 1.2)
    last_end = {"agent": 0.0, "customer": 0.0}
    placed = []
    holds = []
    overtalk = []
    prev_end = None
    for i, (turn, clip) in enumerate(zip(plan.turns, clips)):
        if prev_end is None:
            start = t
        elif turn.tag == "hold_thanks" and plan.has_hold:
            h0 = prev_end + rng.uniform(0.6, 1.4)
            h1 = h0 + hold_len
            holds.append((h0, h1))
            start = h1 + rng.uniform(0.3, 0.9)
        elif i in chosen:
            prev_dur = clips[i - 1].seconds
            ov = min(rng.uniform(0.3, 1.0), prev_dur - 0.8)
            start = prev_end - ov
        elif i == dead_air_at:
            start = prev_end + rng.uniform(3.0, 7.0)
        else:
            # quick replies are quicker; long gaps are rarer
            start = prev_end + gap_scale * (0.2 + min(1.3, rng.gammavariate(2.0, 0.25)))
        start = max(start, last_end[turn.speaker] + 0.15)
        if i in chosen and start > prev_end - 0.3:  # overlap got squeezed out
            start = prev_end + rng.uniform(0.2, 0.6)
        # snap to the sample grid
        s0 = int(round(start * SR))
        start = s0 / SR
        end = (s0 + clip.off - clip.on) / SR
        if prev_end is not None and start < prev_end:
            overtalk.append({"start": start, "end": min(prev_end, end),
                             "interrupter": turn.speaker})
        placed.append((s0, start, end))
        last_end[turn.speaker] = end
        prev_end = max(prev_end or 0.0, end)
    total = prev_end + rng.uniform(0.6, 1.5)
    return {"placed": placed, "holds": holds, "overtalk": overtalk, "total": total}


def _drop(plan: CallPlan, clips: list[Clip], tags: tuple[str, ...]) -> tuple:
    keep = [i for i, t in enumerate(plan.turns) if t.tag not in tags]
    if "check_resolution" in tags and "check_resolution" in plan.behaviours:
        plan.behaviours.remove("check_resolution")
    plan.turns = [plan.turns[i] for i in keep]
    return plan, [clips[i] for i in keep]


def render_call(rng: random.Random, plan: CallPlan, clips: list[Clip]) -> tuple:
    # Fit the call into MIN_LEN..MAX_LEN: shorten the hold, drop dead air,
    # drop optional exchanges, then tighten the pauses.
    has_dead_air = rng.random() < 0.35
    hold_len = rng.uniform(15.0, 30.0) if plan.has_hold else 0.0
    gap_scale = 1.0
    state = rng.getstate()
    for _ in range(12):
        agent_idx = [i for i, t in enumerate(plan.turns)
                     if t.speaker == "agent" and i >= 4 and t.tag != "hold_thanks"
                     and plan.turns[i - 1].speaker == "customer"]
        rng.setstate(state)
        dead_air_at = rng.choice(agent_idx) if has_dead_air and agent_idx else None
        lay = layout(rng, plan, clips, hold_len, dead_air_at, gap_scale)
        total = lay["total"]
        if total > MAX_LEN:
            if plan.has_hold and hold_len > 15.0:
                hold_len = max(15.0, hold_len - (total - MAX_LEN + 1.0))
            elif has_dead_air:
                has_dead_air = False
            elif any(t.tag == "extra" for t in plan.turns):
                plan, clips = _drop(plan, clips, ("extra",))
            elif any(t.tag == "check_resolution" for t in plan.turns):
                plan, clips = _drop(plan, clips, ("check_resolution", "nothing_else"))
            elif gap_scale > 0.5:
                gap_scale -= 0.25
            else:
                break
            continue
        if total < MIN_LEN and plan.has_hold and hold_len < 30.0:
            hold_len = min(30.0, hold_len + MIN_LEN - total + 1.0)
            continue
        break
    n = int(round(lay["total"] * SR))
    n = max([n] + [s0 - c.on + len(c.x) for (s0, _, _), c in zip(lay["placed"], clips)])
    agent = np.zeros(n)
    cust = np.zeros(n)
    utts = []
    for (s0, start, end), turn, clip in zip(lay["placed"], plan.turns, clips):
        ch = agent if turn.speaker == "agent" else cust
        a = s0 - clip.on
        x = clip.x[max(0, -a):]
        a = max(0, a)
        ch[a:a + len(x)] += x * rng.uniform(0.8, 1.0)
        utts.append({"speaker": turn.speaker, "start": round(start, 3),
                     "end": round(end, 3), "text": turn.text})
    for h0, h1 in lay["holds"]:
        a, b = int(round(h0 * SR)), int(round(h1 * SR))
        agent[a:b] += hold_music(rng, (b - a) / SR) * 10 ** (rng.uniform(-16, -12) / 20)
    out = []
    for ch in (agent, cust):
        y = bandpass(ch)
        peak = np.abs(y).max()
        y *= 10 ** (rng.uniform(-6.0, -3.0) / 20) / peak
        nrng = np.random.default_rng(rng.randrange(2 ** 32))
        noise = bandpass(nrng.standard_normal(n))
        noise *= 10 ** (rng.uniform(-50.0, -45.0) / 20) / np.sqrt(np.mean(noise ** 2))
        out.append(y + noise)
    holds = [{"start": round(a, 3), "end": round(b, 3)} for a, b in lay["holds"]]
    overtalk = [{"start": round(o["start"], 3), "end": round(o["end"], 3),
                 "interrupter": o["interrupter"]} for o in lay["overtalk"]]
    return out[0], out[1], utts, holds, overtalk, n / SR


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------

def generate_calls(out_dir: Path, n_calls: int = 6, seed: int = 0,
                   n_agents: int = 3) -> list[dict]:
    """Generate ``n_calls`` demo calls under ``out_dir``; return truth records."""
    if n_calls < 1 or n_agents < 1:
        raise ValueError("n_calls and n_agents must be >= 1")
    out_dir = Path(out_dir)
    (out_dir / "audio").mkdir(parents=True, exist_ok=True)
    (out_dir / "truth").mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    agent_pool, customer_pool = available_voices()

    # Agents: a fixed voice, name and style each.  Agent 1 is strong, the
    # last one (with >= 3 agents) is the weak one who is sometimes dismissive.
    agents = []
    used_names: set[str] = set()
    for k in range(n_agents):
        voice = agent_pool[(k + seed) % len(agent_pool)]
        name = rng.choice([n for n in AGENT_NAMES[voice.gender] if n not in used_names]
                          or AGENT_NAMES[voice.gender])
        used_names.add(name)
        if k == 0:
            style = dict(empathy=0.9, apology=0.7, ownership=0.9, expectation=0.9, check=0.95)
        elif n_agents >= 3 and k == n_agents - 1:
            style = dict(empathy=0.25, apology=0.3, ownership=0.3, expectation=0.4, check=0.5)
        else:
            style = dict(empathy=rng.uniform(0.4, 0.8), apology=rng.uniform(0.3, 0.7),
                         ownership=rng.uniform(0.4, 0.8), expectation=rng.uniform(0.5, 0.9),
                         check=rng.uniform(0.6, 0.9))
        agents.append(dict(id=f"agent-{k + 1:02d}", voice=voice, name=name, style=style,
                           wpm=rng.uniform(152, 170)))
    weak = agents[-1] if n_agents >= 3 else None

    # Call-level plan: scenarios cover all types before repeating.
    names = list(SCENARIOS)
    scen_seq: list[str] = []
    while len(scen_seq) < n_calls:
        block = names[:]
        rng.shuffle(block)
        scen_seq += block
    agent_seq = [agents[i % n_agents] for i in range(n_calls)]
    rng.shuffle(agent_seq)
    # poor (dismissive) calls: about one in six, at least one; weak agent first
    n_poor = max(1, round(n_calls / 6))
    order = sorted(range(n_calls), key=lambda i: (agent_seq[i] is not weak, rng.random()))
    poor_set = set(order[:n_poor])
    # unhappy endings: the poor calls plus about one in six of the others
    others = [i for i in range(n_calls) if i not in poor_set]
    n_neg = max(1 if n_calls >= 3 else 0, round(len(others) / 6))
    neg_set = poor_set | set(rng.sample(others, min(n_neg, len(others))))
    # holds in most calls (about 80%), at least one
    no_hold = set(rng.sample(range(n_calls), round(n_calls * 0.2)))
    hold_flags = [i not in no_hold for i in range(n_calls)]

    evening = datetime(2026, 10, 30, 17, 0, 0)
    offsets = sorted(rng.uniform(0, 5 * 3600) for _ in range(n_calls))

    plans = []
    voices = []
    for i in range(n_calls):
        ag = agent_seq[i]
        av = ag["voice"]
        # always a different speaker; slt (the only flite female voice) is
        # the least intelligible on the customer side, so it is not favoured
        cands = [v for v in customer_pool if v.name != av.name] or customer_pool
        cv = rng.choice(cands)
        customer = rng.choice(CUSTOMER_NAMES[cv.gender])
        outcome = "negative" if i in neg_set else "positive"
        plan = plan_call(rng, f"demo-{i + 1:04d}", ag["id"], ag["name"], customer,
                         scen_seq[i], outcome, i in poor_set, hold_flags[i], ag["style"])
        a_wpm = round(ag["wpm"] + rng.uniform(-3, 3))
        c_wpm = round(rng.uniform(150, 175))
        plans.append(plan)
        voices.append((av, a_wpm, cv, c_wpm))

    records = []
    with tempfile.TemporaryDirectory(prefix="demo_tts_") as tmp:
        tts = TTS(Path(tmp))
        keys = set()
        for plan, (av, a_wpm, cv, c_wpm) in zip(plans, voices):
            for t in plan.turns:
                keys.add((av, a_wpm, t.text) if t.speaker == "agent" else (cv, c_wpm, t.text))
        tts.prefetch(keys)
        rows = []
        for i, (plan, (av, a_wpm, cv, c_wpm)) in enumerate(zip(plans, voices)):
            clips = [tts.get(av, a_wpm, t.text) if t.speaker == "agent"
                     else tts.get(cv, c_wpm, t.text) for t in plan.turns]
            crng = random.Random(f"{seed}-{plan.call_id}")
            left, right, utts, holds, overtalk, dur = render_call(crng, plan, clips)
            write_stereo_wav(out_dir / "audio" / f"{plan.call_id}.wav", left, right)
            started = (evening + timedelta(seconds=int(offsets[i]))).isoformat()
            rec = {
                "call_id": plan.call_id,
                "agent_id": plan.agent_id,
                "started_at": started,
                "queue": plan.queue,
                "utterances": utts,
                "holds": holds,
                "overtalk": overtalk,
                # extra fields (not required by consumers):
                "scenario": plan.scenario,
                "customer_end_sentiment": plan.outcome,
                "agent_behaviours": sorted(set(plan.behaviours)),
                "voices": {"agent": av.key, "customer": cv.key},
                "duration": round(dur, 3),
            }
            (out_dir / "truth" / f"{plan.call_id}.json").write_text(
                json.dumps(rec, indent=2) + "\n")
            records.append(rec)
            acw = crng.randint(15, 90)
            hold_s = sum((h["end"] - h["start"] for h in holds), 0.0)
            if crng.random() < 0.5:
                csat = ""
            elif plan.poor:
                csat = crng.choice([1, 1, 2])
            elif plan.outcome == "negative":
                csat = crng.choice([2, 2, 3])
            else:
                csat = crng.choice([4, 5, 5])
            rows.append({
                "call_id": plan.call_id, "agent_id": plan.agent_id,
                "started_at": started, "queue": plan.queue, "csat": csat,
                "handle_seconds": round(dur + acw, 2),
                "hold_seconds": round(hold_s, 2), "acw_seconds": acw,
                "transferred": "true" if plan.poor else "false",
            })
    with open(out_dir / "metadata.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["call_id", "agent_id", "started_at", "queue",
                                          "csat", "handle_seconds", "hold_seconds",
                                          "acw_seconds", "transferred"])
        w.writeheader()
        w.writerows(rows)
    return records


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, type=Path, help="output directory")
    p.add_argument("--calls", type=int, default=6, help="number of calls (default 6)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--agents", type=int, default=3, help="number of agents (default 3)")
    a = p.parse_args(argv)
    for tool in ("sox",):
        if shutil.which(tool) is None:
            p.error(f"{tool} is required (Debian package: {tool})")
    if shutil.which("flite") is None and shutil.which("espeak-ng") is None:
        p.error("flite or espeak-ng is required")
    recs = generate_calls(a.out, a.calls, a.seed, a.agents)
    for r in recs:
        print(f"{r['call_id']}  {r['agent_id']}  {r['queue']:<18} {r['duration']:6.1f}s  "
              f"{len(r['utterances'])} turns  holds={len(r['holds'])}  "
              f"overtalk={len(r['overtalk'])}  {r['voices']['agent']}/{r['voices']['customer']}")
    print(f"wrote {len(recs)} calls to {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
