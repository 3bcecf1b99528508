"""The plan's title from the document's: in sentence case, never cut in the middle of a phrase.

Reports print their title in capitals ("OFFICE FOR STANDARDS IN EDUCATION, ... 2009"). The
casing of each phrase is taken from where the report's own text uses it ("Office for Standards in
Education, Children's Services and Skills"), other words are lower case unless the report only ever
writes them with a capital (a place, a name). `plan_title(title, body)` returns the title.
"""

from __future__ import annotations

import re

MAX_TITLE = 200
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’+-]*")


def plan_title(title: str, body: str) -> str:
    """Return `title` in sentence case (cased as `body` writes its phrases), at most MAX_TITLE characters."""
    title = re.sub(r"\s+", " ", title).strip(" *_#")
    letters = [w for w in _WORD.findall(title) if w[0].isalpha()]
    shouting = title.upper() == title or (len(letters) > 2 and all(w[0].isupper() for w in letters if len(w) > 3))
    if shouting:
        title = _sentence_case(title, body)
    return _cut(title)


def _sentence_case(title: str, body: str) -> str:
    spans = list(_WORD.finditer(title))
    norm = [m[0].lower() for m in spans]
    body_words = _WORD.findall(body)
    body_norm = [w.lower() for w in body_words]
    cased: list[str | None] = [None] * len(spans)
    i = 0
    while i < len(spans):
        length, at = _longest(norm, i, body_words, body_norm)
        if length >= 3:
            cased[i:i + length] = body_words[at:at + length]
            i += length
        else:
            cased[i] = _alone(norm[i], body_words, body_norm)
            i += 1
    out, last = [], 0
    for m, word in zip(spans, cased, strict=True):
        out += [title[last:m.start()], word]
        last = m.end()
    text = "".join(out) + title[last:]
    return text[:1].upper() + text[1:]


def _longest(norm: list[str], i: int, body_words: list[str], body_norm: list[str]) -> tuple[int, int]:
    """Return (length, body position) of the longest run of title words from `i` the body writes in mixed case."""
    best, fewest = (0, 0), 0
    for at, word in enumerate(body_norm):
        if word != norm[i]:
            continue
        n = 0
        while i + n < len(norm) and at + n < len(body_norm) and body_norm[at + n] == norm[i + n]:
            n += 1
        run = body_words[at:at + n]
        capitals = sum(1 for w in run if w[0].isupper())
        if any(w != w.upper() for w in run) and (n > best[0] or (n == best[0] and capitals < fewest)):
            best, fewest = (n, at), capitals  # of two writings, the one with fewer capitals
    return best


def _alone(word: str, body_words: list[str], body_norm: list[str]) -> str:
    """Return a word's casing outside a known phrase: as the body always writes it, else lower case."""
    seen = {body_words[k] for k, w in enumerate(body_norm) if w == word and body_words[k] != body_words[k].upper()}
    acronym = any(body_words[k] == body_words[k].upper() and len(word) <= 5 and word.isalpha()
                  for k, w in enumerate(body_norm) if w == word)  # fmt: skip
    if seen and all(w[0].isupper() for w in seen):
        return sorted(seen)[0]
    if acronym and not seen:
        return word.upper()
    return word


def _cut(title: str) -> str:
    """Return `title`, or when too long its first phrases (cut at ':', ';', ' - ' or ',', never mid-phrase)."""
    if len(title) <= MAX_TITLE:
        return title
    for mark in (": ", "; ", " - ", " – ", ", "):
        head = title[:MAX_TITLE].rsplit(mark, 1)[0]
        if mark in title[:MAX_TITLE] and len(head) >= 40:
            return head.rstrip(" ,;:-–")
    return title[:MAX_TITLE].rsplit(" ", 1)[0]
