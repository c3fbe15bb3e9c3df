"""Rewrite text and utterances with typed placeholders where sensitive entities were found."""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from typing import Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Tuple

from ..records import Utterance, Word
from .detect import Detector, Hit
from .options import ENTITY_TYPES, AudioSpan, EntitySpan, RedactedText, RedactedUtterances, RedactionOptions

_NO_CUES: FrozenSet[str] = frozenset()


class Redactor:
    """Redacts card numbers, SSNs, emails, phone numbers, dates of birth and account numbers.

    Built once from :class:`RedactionOptions` (patterns are compiled here, not at import) and
    then used for any number of texts and calls; every method is pure and thread-safe.

    >>> Redactor().redact_text("my card number is 4556 7375 8689 9855").text
    'my card number is [CARD]'
    """

    def __init__(self, options: Optional[RedactionOptions] = None):
        self.options = options if options is not None else RedactionOptions()
        self._detector = Detector(self.options)
        self._types = frozenset(self.options.types)

    # -- text ------------------------------------------------------------------------------------
    def redact_text(self, text: str) -> RedactedText:
        """One text on its own (a failure reason, a log line, a metadata value, an utterance)."""
        if not self.options.enabled or not text:
            return RedactedText(text, (), {})
        hits = self._keep(self._detector.detect(text, [(0, len(text), False, _NO_CUES)]))
        if not hits:
            return RedactedText(text, (), {})
        return RedactedText(
            self._replace(text, 0, len(text), hits),
            tuple(EntitySpan(kind, start, end) for start, end, kind in hits),
            _counts(hits),
        )

    def redact_texts(self, texts: Iterable[str]) -> List[str]:
        """Each text redacted on its own; just the new texts."""
        return [self.redact_text(t).text for t in texts]

    # -- utterances ----------------------------------------------------------------------------
    def redact_utterances(self, utterances: Sequence[Utterance]) -> RedactedUtterances:
        """A call's utterances redacted as a conversation.

        Each speaker's utterances are read as one stream: a number split over two consecutive
        utterances of the same speaker (at most ``join_gap_s`` apart) is found whole, and a cue
        asked by the other party ("what's the card number?") applies to the reply. Both the
        text and the word list of each utterance are rewritten: the redacted words become one
        placeholder word spanning their time. Utterances keep their number, order, speaker and
        times, so utterance indices stay valid.
        """
        utterances = list(utterances)
        if not self.options.enabled or not utterances:
            return RedactedUtterances(tuple(utterances), {}, ())
        texts: Dict[int, str] = {}
        words: Dict[int, Tuple[Word, ...]] = {}
        spans: List[AudioSpan] = []
        counts: Counter = Counter()
        order = sorted(range(len(utterances)), key=lambda i: (utterances[i].start_s, utterances[i].end_s))
        cue_names = {i: None for i in order}
        for speaker in dict.fromkeys(utterances[i].speaker for i in order):
            stream = [i for i in order if utterances[i].speaker == speaker]
            carried = self._carried(utterances, order, stream, cue_names)
            aligned = {i: _aligned(utterances[i]) for i in stream}
            hits, entries, doc = self._detect_stream(utterances, stream, carried, lambda i: aligned[i])
            counts.update(h[2] for h in hits)
            self._rewrite(utterances, entries, doc, hits, texts, words, spans, use_text=True)
            if any(utterances[i].words and not aligned[i] for i in stream):
                # text and words differ (a transcript from another system): redact the words too
                hits2, entries2, doc2 = self._detect_stream(utterances, stream, carried, lambda i: bool(utterances[i].words))
                only = {i for i in stream if utterances[i].words and not aligned[i]}
                entries2 = [e for e in entries2 if e[0] in only]
                self._rewrite(utterances, entries2, doc2, hits2, texts, words, spans, use_text=False)
        new = []
        for i, u in enumerate(utterances):
            if i in texts or i in words:
                new.append(dataclasses.replace(u, text=texts.get(i, u.text), words=words.get(i, u.words)))
            else:
                new.append(u)
        spans.sort(key=lambda s: (s.start_s, s.end_s, s.speaker))
        return RedactedUtterances(tuple(new), dict(sorted(counts.items(), key=_type_order)), tuple(spans))

    # -- internals -----------------------------------------------------------------------------
    def _keep(self, hits: List[Hit]) -> List[Hit]:
        return [h for h in hits if h[2] in self._types]

    def _carried(self, utterances, order, stream, cue_names) -> Dict[int, FrozenSet[str]]:
        """Cues said by the other party in the utterance just before each of this party's turns."""
        carried: Dict[int, FrozenSet[str]] = {}
        speaker = utterances[stream[0]].speaker
        position = {i: p for p, i in enumerate(order)}
        previous_own = None
        for i in stream:
            u = utterances[i]
            cues = _NO_CUES
            p = position[i] - 1
            while p >= 0 and utterances[order[p]].speaker == speaker:
                p -= 1
            if p >= 0:
                other = order[p]
                o = utterances[other]
                newer = previous_own is None or position[other] > position[previous_own]
                if newer and u.start_s - o.end_s <= self.options.cue_carry_s:
                    if cue_names[other] is None:
                        cue_names[other] = self._detector.cue_names(o.text)
                    cues = cue_names[other]
            carried[i] = cues
            previous_own = i
        return carried

    def _detect_stream(self, utterances, stream, carried, by_words):
        """Lay one speaker's utterances out as a document; detect; return hits, layout and document.

        layout: (utterance index, segment start, segment end, word offsets or None) per utterance.
        """
        parts: List[str] = []
        segments = []
        layout = []
        pos = 0
        previous = None
        for i in stream:
            u = utterances[i]
            if pos:
                parts.append("\n")
                pos += 1
            start = pos
            words = by_words(i)
            text = u.text if words and _aligned(u) else _join(u.words) if words else u.text
            parts.append(text)
            pos += len(text)
            linked = previous is not None and u.start_s - previous.end_s <= self.options.join_gap_s
            segments.append((start, pos, linked, carried.get(i, _NO_CUES)))
            layout.append((i, start, pos, words))
            previous = u
        doc = "".join(parts)
        return self._keep(self._detector.detect(doc, segments)), layout, doc

    def _rewrite(self, utterances, entries, doc, hits, texts, words, spans, use_text: bool) -> None:
        if not hits:
            return
        for i, start, end, by_words in entries:
            inside = [h for h in hits if h[0] < end and start < h[1]]
            if not inside:
                continue
            u = utterances[i]
            if not by_words:
                texts[i] = self._replace(doc, start, end, inside)
                for h in inside:
                    spans.append(AudioSpan(u.speaker, float(u.start_s), float(u.end_s), h[2]))
                continue
            new_words, times = self._rewrite_words(u.words, _offsets(u.words, start), doc, inside)
            words[i] = new_words
            if use_text:
                texts[i] = _join(new_words)
            for h, (a, b) in times.items():
                spans.append(AudioSpan(u.speaker, float(a), float(b), h[2]))

    def _rewrite_words(self, old: Sequence[Word], offsets, doc: str, hits: List[Hit]):
        """Consecutive words touched by the same entity become one placeholder word."""
        touched: List[Tuple[Hit, ...]] = []
        for off in offsets:
            if off is None:
                touched.append(())
            else:
                touched.append(tuple(h for h in hits if h[0] < off[1] and off[0] < h[1]))
        times: Dict[Hit, Tuple[float, float]] = {}
        out: List[Word] = []
        k = 0
        while k < len(old):
            if not touched[k]:
                out.append(old[k])
                k += 1
                continue
            group = set(touched[k])
            last = k
            m = k + 1
            while m < len(old):
                if offsets[m] is None:
                    m += 1
                    continue
                if group & set(touched[m]):
                    group |= set(touched[m])
                    last = m
                    m += 1
                else:
                    break
            members = [x for x in range(k, last + 1) if offsets[x] is not None]
            lo, hi = offsets[members[0]][0], offsets[members[-1]][1]
            text = self._replace(doc, lo, hi, sorted(group))
            begin = old[members[0]].start_s
            finish = max(old[x].end_s for x in members)
            prob = round(sum(old[x].probability for x in members) / len(members), 4)
            out.append(Word(begin, finish, text, prob))
            for h in group:
                hs = [x for x in members if h in touched[x]]
                a, b = old[hs[0]].start_s, max(old[x].end_s for x in hs)
                if h in times:
                    a, b = min(a, times[h][0]), max(b, times[h][1])
                times[h] = (a, b)
            k = last + 1
        return tuple(out), times

    def _replace(self, doc: str, lo: int, hi: int, hits: Sequence[Hit]) -> str:
        pieces = []
        pos = lo
        for start, end, kind in sorted(hits):
            start, end = max(start, lo), min(end, hi)
            if end <= start or start < pos:
                continue
            pieces.append(doc[pos:start])
            pieces.append(self.options.placeholder.format(type=kind))
            pos = end
        pieces.append(doc[pos:hi])
        return "".join(pieces)


def _join(words: Sequence[Word]) -> str:
    """An utterance's text from its words, as ``analyzer.utterances.join_words`` builds it."""
    return " ".join(t for t in (w.text.strip() for w in words) if t)


def _aligned(u: Utterance) -> bool:
    """The utterance's text is exactly its words joined (always so for recognised speech)."""
    if not u.words:
        return False
    return " ".join([w.text for w in u.words]) == u.text or _join(u.words) == u.text


def _offsets(words: Sequence[Word], start: int) -> List[Optional[Tuple[int, int]]]:
    """Where each word sits in ``_join(words)`` laid at ``start`` (None for an empty word)."""
    offsets: List[Optional[Tuple[int, int]]] = []
    pos = start
    first = True
    for w in words:
        t = w.text.strip()
        if not t:
            offsets.append(None)
            continue
        if not first:
            pos += 1
        first = False
        offsets.append((pos, pos + len(t)))
        pos += len(t)
    return offsets


def _type_order(item: Tuple[str, int]):
    kind = item[0]
    return (ENTITY_TYPES.index(kind) if kind in ENTITY_TYPES else len(ENTITY_TYPES), kind)


def _counts(hits: Sequence[Hit]) -> Dict[str, int]:
    return dict(sorted(Counter(h[2] for h in hits).items(), key=_type_order))


def count_columns(counts: Mapping[str, int], options: Optional[RedactionOptions] = None) -> Dict[str, int]:
    """Per-call columns for ``calls.parquet``: ``redactions_<type>`` for every type that can be
    redacted (0 where none was), and ``redactions_total``."""
    options = options if options is not None else RedactionOptions()
    columns = {f"redactions_{t.lower()}": int(counts.get(t, 0)) for t in options.types}
    for t, n in counts.items():  # a type switched off since, kept rather than dropped
        columns.setdefault(f"redactions_{t.lower()}", int(n))
    columns["redactions_total"] = int(sum(counts.values()))
    return columns


class RedactingLogFilter(logging.Filter):
    """A logging filter that redacts each record's message and exception text.

    ``handler.addFilter(RedactingLogFilter(redactor))`` on the handlers that write
    ``analyzer.log`` (filters on a handler see records from every logger).
    """

    def __init__(self, redactor: Redactor):
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.redactor.options.enabled:
            return True
        message = record.getMessage()
        redacted = self.redactor.redact_text(message).text
        if redacted != message:
            record.msg = redacted
            record.args = None
        if record.exc_info and not record.exc_text:
            import traceback

            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:
            record.exc_text = self.redactor.redact_text(record.exc_text).text
        if record.stack_info:
            record.stack_info = self.redactor.redact_text(record.stack_info).text
        return True
