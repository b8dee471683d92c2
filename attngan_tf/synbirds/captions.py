"""Captions for SynBirds images: a small randomised grammar and its parser.

Each caption names between two and five of the seven attributes, picked at
random, and only ever states true values. Surface forms vary: synonyms for the
part names ("crown", "head", "cap"), noun phrases ("a red crown") or clauses
("its crown is red"), several sentence frames and optional fillers ("bright",
"very", "colored"). Captions are lower-case ASCII, at most
:data:`MAX_TOKENS` word tokens (runs of ``[a-z0-9_]``), with commas as the only
punctuation.

:func:`mentioned_attributes` parses a caption back into the values it states;
the tests use it to prove that captions are truthful.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Mapping

import numpy as np

from .attributes import ATTRIBUTE_NAMES, BACKGROUND_COLOURS, BIRD_COLOURS, PART_NAMES, BirdSpec

__all__ = [
    "MAX_TOKENS",
    "MIN_MENTIONS",
    "MAX_MENTIONS",
    "tokenize",
    "make_captions",
    "caption_vocabulary",
    "mentioned_attributes",
]

MAX_TOKENS = 18
MIN_MENTIONS = 2
MAX_MENTIONS = 5

#: Words for each bird colour.
COLOUR_WORDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {name: ("grey", "gray") if name == "grey" else (name,) for name in BIRD_COLOURS})

#: Nouns for each part, with whether they are plural.
PART_NOUNS: Mapping[str, tuple[tuple[str, bool], ...]] = MappingProxyType({
    "crown": (("crown", False), ("head", False), ("cap", False)),
    "wing": (("wings", True), ("wing feathers", True)),
    "body": (("belly", False), ("body", False), ("breast", False)),
    "tail": (("tail", False), ("tail feathers", True)),
    "beak": (("beak", False), ("bill", False)),
})

SIZE_WORDS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "small": ("small", "little", "tiny"),
    "large": ("large", "big"),
})

BACKGROUND_NOUNS = ("background", "backdrop")

# --- fillers -----------------------------------------------------------------------------
_BIRD_NOUNS = ("bird", "bird", "bird", "bird", "songbird", "creature")
#: Optional intensifiers, never used with black, white, grey or brown.
_COLOUR_PREFIXES = ("", "", "", "", "", "bright ", "vivid ")
_ACHROMATIC = frozenset({"black", "white", "grey", "brown"})
_COLOUR_SUFFIXES = ("", "", "", "", "", "colored ", "coloured ")
_CLAUSE_ADVERBS = ("", "", "", "", "entirely ", "completely ", "all ")
_SIZE_ADVERBS = ("", "", "", "", "very ", "rather ", "quite ", "fairly ")
#: Openings that a noun phrase ("a small bird with ...") follows.
_NP_OPENINGS = ("", "", "", "here is ", "there is ", "we see ", "you can see ", "a picture of ",
                "an image of ", "a photo of ", "this image shows ", "the photo depicts ",
                "this picture shows ")
#: Subjects of a finite verb ("this bird has ...").
_SUBJECTS = ("this", "the")
_FINITE_VERBS = ("has", "has", "has", "features", "sports", "displays", "shows", "boasts")
_PREPOSITIONS = ("with", "with", "with", "having", "featuring", "sporting", "showing")
_POSTURES = ("", "", "perched ", "sitting ", "standing ", "shown ", "pictured ", "posing ", "set ",
             "resting ")
_BG_PREPOSITIONS = ("against", "against", "in front of", "on")
_LINKS = (" and ", " and ", ", while ", ", and ", ", whereas ")

_ATTEMPTS = 20

_TOKEN = re.compile(r"[a-z0-9_]+")


def tokenize(caption: str) -> list[str]:
    """Lower-cased word tokens (runs of ``[a-z0-9_]``) of ``caption``."""
    return _TOKEN.findall(caption.lower())


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


class _Realiser:
    """Random surface forms for one spec; ``lean`` leaves out every optional filler."""

    def __init__(self, spec: BirdSpec, rng: np.random.Generator, lean: bool = False) -> None:
        self.spec = spec
        self.rng = rng
        self.lean = lean

    def pick(self, options):
        return options[int(self.rng.integers(0, len(options)))]

    def filler(self, options) -> str:
        """An optional word (tables of fillers hold ``""`` as the plain choice)."""
        return "" if self.lean else self.pick(options)

    def colour(self, part: str) -> str:
        return self.pick(COLOUR_WORDS[getattr(self.spec, part)])

    def part_np(self, part: str) -> str:
        """A noun phrase such as ``"a bright red crown"`` or ``"blue wing feathers"``."""
        noun, plural = self.pick(PART_NOUNS[part])
        prefix = self.filler(_COLOUR_PREFIXES)
        if getattr(self.spec, part) in _ACHROMATIC:
            prefix = ""
        words = prefix + self.colour(part) + " " + self.filler(_COLOUR_SUFFIXES) + noun
        return words if plural else f"{_article(words)} {words}"

    def part_clause(self, part: str, first: bool) -> str:
        """A clause such as ``"its crown is red"``."""
        noun, plural = self.pick(PART_NOUNS[part])
        determiner = "the" if first else self.pick(("its", "its", "the"))
        verb = "are" if plural else "is"
        return f"{determiner} {noun} {verb} {self.filler(_CLAUSE_ADVERBS)}{self.colour(part)}"

    def join(self, items: list[str]) -> str:
        """``"a, b and c"`` (with an optional Oxford comma)."""
        if len(items) == 1:
            return items[0]
        last = self.pick((" and ", " and ", ", and ")) if len(items) > 2 else " and "
        return ", ".join(items[:-1]) + last + items[-1]

    def size_adjective(self) -> str:
        return self.filler(_SIZE_ADVERBS) + self.pick(SIZE_WORDS[self.spec.size])

    def bird_np(self, with_size: bool) -> str:
        """``"a very small bird"`` / ``"a songbird"`` (with its indefinite article)."""
        words = (self.size_adjective() + " " if with_size else "") + self.pick(_BIRD_NOUNS)
        return f"{_article(words)} {words}"

    def background_phrase(self) -> str:
        """``"perched against a lilac background"``."""
        return (f"{self.filler(_POSTURES)}{self.pick(_BG_PREPOSITIONS)} a {self.spec.background} "
                f"{self.pick(BACKGROUND_NOUNS)}")

    def background_clause(self) -> str:
        return f"the {self.pick(BACKGROUND_NOUNS)} is {self.spec.background}"

    def size_clause(self, first: bool) -> str:
        subjects = ("the bird is", "this bird is", "the bird looks")
        if not first:
            subjects += ("it is", "it looks")
        return f"{self.pick(subjects)} {self.size_adjective()}"

    def caption(self, chosen: list[str]) -> str:
        """One surface form that mentions exactly the attributes in ``chosen``."""
        parts = [name for name in chosen if name in PART_NAMES]
        has_size = "size" in chosen
        has_bg = "background" in chosen
        frame = int(self.rng.integers(0, 4))
        if not parts:  # size and background only
            if frame % 2:
                return (f"{self.filler(_NP_OPENINGS)}{self.bird_np(True)} "
                        f"{self.background_phrase()}")
            return f"{self.size_clause(True)}{self.pick(_LINKS)}{self.background_clause()}"
        if frame == 0:  # "a small bird with a red crown and blue wings against a lilac backdrop"
            text = (f"{self.filler(_NP_OPENINGS)}{self.bird_np(has_size)} "
                    f"{self.pick(_PREPOSITIONS)} {self.join([self.part_np(p) for p in parts])}")
            if has_bg:
                text += self.pick((" ", ", ")) + self.background_phrase()
            return text
        if frame == 1:  # "this small bird has a red crown, and the background is lilac"
            size = self.size_adjective() + " " if has_size else ""
            text = (f"{self.pick(_SUBJECTS)} {size}{self.pick(_BIRD_NOUNS)} "
                    f"{self.pick(_FINITE_VERBS)} {self.join([self.part_np(p) for p in parts])}")
            if has_bg:
                if self.rng.integers(0, 2):
                    text += self.pick(_LINKS) + self.background_clause()
                else:
                    text += self.pick((" ", ", ")) + self.background_phrase()
            return text
        if frame == 2:  # "the crown is red, its wings are blue and the bird is small"
            clauses = [self.part_clause(p, first=i == 0) for i, p in enumerate(parts)]
            if has_size:
                at = int(self.rng.integers(0, len(clauses) + 1))
                clauses.insert(at, self.size_clause(first=at == 0))
            if has_bg:
                clauses.append(self.background_clause())
            return self.join(clauses)
        # frame 3: "on a lilac backdrop, a little bird with a grey belly, while its tail is black"
        text = ""
        if has_bg:
            text = (f"{self.pick(_BG_PREPOSITIONS)} a {self.spec.background} "
                    f"{self.pick(BACKGROUND_NOUNS)}, ")
        text += f"{self.bird_np(has_size)} {self.pick(_PREPOSITIONS)} {self.part_np(parts[0])}"
        if len(parts) > 1:
            text += self.pick(_LINKS) + self.join(
                [self.part_clause(p, first=False) for p in parts[1:]])
        return text


def _compact(spec: BirdSpec, chosen: list[str]) -> str:
    """A terse form without articles (at most 15 tokens), for when others run too long."""
    text = f"{SIZE_WORDS[spec.size][0]} bird" if "size" in chosen else "bird"
    parts = [f"{getattr(spec, p)} {PART_NOUNS[p][0][0]}" for p in chosen if p in PART_NAMES]
    if parts:
        text += " with " + ", ".join(parts)
    if "background" in chosen:
        text += f", {spec.background} background"
    return text


def make_captions(spec: BirdSpec, rng: np.random.Generator, n: int = 10) -> list[str]:
    """``n`` random captions of ``spec``.

    Each caption mentions a random subset of 2 to 5 attributes, states only the
    true values, and has at most :data:`MAX_TOKENS` word tokens. Captions of one
    call differ from each other where the grammar allows.
    """
    captions: list[str] = []
    for _ in range(int(n)):
        k = int(rng.integers(MIN_MENTIONS, MAX_MENTIONS + 1))
        order = rng.permutation(len(ATTRIBUTE_NAMES))[:k]
        chosen = [ATTRIBUTE_NAMES[int(i)] for i in order]
        caption = None
        for attempt in range(_ATTEMPTS):
            candidate = _Realiser(spec, rng, lean=attempt >= _ATTEMPTS // 2).caption(chosen)
            if len(tokenize(candidate)) <= MAX_TOKENS and candidate not in captions:
                caption = candidate
                break
        captions.append(caption if caption is not None else _compact(spec, chosen))
    return captions


def _all_phrases() -> list[str]:
    phrases = [w for words in COLOUR_WORDS.values() for w in words]
    phrases += [noun for nouns in PART_NOUNS.values() for noun, _ in nouns]
    phrases += [w for words in SIZE_WORDS.values() for w in words]
    phrases += list(BACKGROUND_NOUNS) + list(BACKGROUND_COLOURS)
    for table in (_BIRD_NOUNS, _COLOUR_PREFIXES, _COLOUR_SUFFIXES, _CLAUSE_ADVERBS, _SIZE_ADVERBS,
                  _NP_OPENINGS, _SUBJECTS, _FINITE_VERBS, _PREPOSITIONS, _POSTURES,
                  _BG_PREPOSITIONS, _LINKS):
        phrases += list(table)
    phrases += ["a", "an", "the", "its", "is", "are", "it", "this", "bird", "looks", "with",
                "against", "background", "the bird is", "this bird is", "the bird looks", "it is",
                "it looks"]
    return phrases


def caption_vocabulary() -> set[str]:
    """Every word token the caption grammar can produce."""
    return {token for phrase in _all_phrases() for token in tokenize(phrase)}


# --- parsing -----------------------------------------------------------------------------
def _alternation(words) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


_COLOUR_OF = {word: name for name, words in COLOUR_WORDS.items() for word in words}
_COLOUR_RE = _alternation(_COLOUR_OF)
_BG_RE = _alternation(BACKGROUND_COLOURS)
_BG_NOUN_RE = _alternation(BACKGROUND_NOUNS)
_SIZE_OF = {word: name for name, words in SIZE_WORDS.items() for word in words}
_PATTERNS: list[tuple[str, re.Pattern]] = []
for _part, _nouns in PART_NOUNS.items():
    _noun_re = _alternation(noun for noun, _ in _nouns)
    _PATTERNS.append((_part, re.compile(
        rf"\b(?P<value>{_COLOUR_RE}) (?:colou?red )?(?:{_noun_re})\b")))
    _PATTERNS.append((_part, re.compile(
        rf"\b(?:{_noun_re}) (?:is|are) (?:(?:entirely|completely|all) )?"
        rf"(?P<value>{_COLOUR_RE})\b")))
_PATTERNS.append(("background", re.compile(rf"\b(?P<value>{_BG_RE}) (?:{_BG_NOUN_RE})\b")))
_PATTERNS.append(("background", re.compile(rf"\b(?:{_BG_NOUN_RE}) is (?P<value>{_BG_RE})\b")))
_PATTERNS.append(("size", re.compile(rf"\b(?P<value>{_alternation(_SIZE_OF)})\b")))
#: Words that name an attribute or a value; none may be left over after parsing.
_KEYWORDS = re.compile(r"\b(?:{})\b".format(_alternation(
    set(_COLOUR_OF) | set(_SIZE_OF) | set(BACKGROUND_NOUNS)
    | {token for name in BACKGROUND_COLOURS for token in tokenize(name)}
    | {token for nouns in PART_NOUNS.values() for noun, _ in nouns for token in tokenize(noun)})))


def mentioned_attributes(caption: str) -> dict[str, str]:
    """The attribute values that ``caption`` states, e.g. ``{"crown": "red", "size": "small"}``.

    Raises:
        ValueError: if the caption gives one attribute two different values, or
            names an attribute or a value in a form the grammar does not produce
            (so that nothing a caption says escapes checking).
    """
    text = " ".join(tokenize(caption))
    found: dict[str, str] = {}
    spans: list[tuple[int, int]] = []
    for attribute, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            if any(a < match.end() and match.start() < b for a, b in spans):
                continue
            word = match.group("value")
            if attribute == "size":
                value = _SIZE_OF[word]
            elif attribute == "background":
                value = word
            else:
                value = _COLOUR_OF[word]
            if attribute in found and found[attribute] != value:
                raise ValueError(f"caption gives {attribute} two values: {caption!r}")
            found[attribute] = value
            spans.append(match.span())
    rest = list(text)
    for a, b in spans:
        rest[a:b] = " " * (b - a)
    leftover = _KEYWORDS.findall("".join(rest))
    if leftover:
        raise ValueError(f"unparsed attribute words {leftover} in caption {caption!r}")
    return {name: found[name] for name in ATTRIBUTE_NAMES if name in found}

