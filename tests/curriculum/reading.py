"""Reading measures for client text: Flesch-Kincaid grade and a plain-word list check.

Flesch-Kincaid is unreliable on short texts (under about 100 words), so every
passage is also checked word by word: a word of two or more syllables must be
on the Dale-Chall list of common words (or a simple inflection of one), on the
glossary's list of everyday words, or be a glossary term, which the scripts
explain where a module first uses it.
"""

from __future__ import annotations

from collections.abc import Iterator

import textstat
from textstat.backend.utils._get_lang_easy_words import get_lang_easy_words

from imr_live.curriculum import Curriculum, Module
from imr_live.curriculum.glossary import Glossary, words_of
from imr_live.curriculum.passages import Passage, as_prose, unique_passages

COMMON_WORDS: frozenset[str] = frozenset(get_lang_easy_words("en_US"))
SUFFIXES = (
    ("iest", "y"),
    ("ier", "y"),
    ("ies", "y"),
    ("es", ""),
    ("s", ""),
    ("ed", ""),
    ("ed", "e"),
    ("ing", ""),
    ("ing", "e"),
    ("ly", ""),
    ("er", ""),
    ("est", ""),
    ("'s", ""),
    ("n't", ""),
)


def grade(text: str) -> float:
    """Flesch-Kincaid grade of a text."""
    return float(textstat.flesch_kincaid_grade(text))


def stems(word: str) -> Iterator[str]:
    """The word and the words it may be a regular inflection of."""
    yield word
    for suffix, replacement in SUFFIXES:
        if word.endswith(suffix) and len(word) > len(suffix) + 1:
            stem = word[: -len(suffix)] + replacement
            yield stem
            if len(stem) > 2 and stem[-1] == stem[-2]:
                yield stem[:-1]  # stopped -> stopp -> stop


def is_plain(word: str, glossary: Glossary) -> bool:
    """A short word, a common word, an everyday word or a glossary term."""
    if textstat.syllable_count(word) < 2:
        return True
    known = COMMON_WORDS | glossary.plain_words
    return any(s in known for s in stems(word)) or glossary.term_for(word) is not None


def unexplained_words(passage: Passage, glossary: Glossary) -> list[str]:
    """Words of the passage that are neither plain nor in the glossary."""
    return sorted({w for w in words_of(passage.text) if not is_plain(w, glossary)})


def client_passages(curriculum: Curriculum, variant_id: str | None) -> list[Passage]:
    """Every client-facing passage of the core (None) or a variant, each once."""
    modules = curriculum.modules if variant_id is None else curriculum.variant(variant_id).modules
    return unique_passages(s for m in modules for s in m.sessions)


def module_text(module: Module) -> str:
    """All the client text of a module as one prose text."""
    return " ".join(p.text for p in unique_passages(module.sessions))


def relaxation_passages(curriculum: Curriculum) -> list[Passage]:
    """The relaxation exercises, read aloud to clients."""
    return [
        Passage("relaxation", e.id, as_prose([e.title, *e.instructions]))
        for e in curriculum.relaxations
    ]


def first_uses_unexplained(module: Module, glossary: Glossary) -> list[str]:
    """Glossary terms whose first use in the module is neither on a slide nor explained inline.

    A slide lists the glossary words it uses under "Words to know"; any other
    text explains a term inline the first time: ``prescriber (the doctor ...)``.
    """
    found: list[str] = []
    seen: set[str] = set()
    for passage in unique_passages(module.sessions):
        for term in glossary.terms_in(passage.text):
            if term.term in seen:
                continue
            seen.add(term.term)
            if passage.kind != "slide" and not glossary.explains(passage.text, term):
                found.append(
                    f"{module.id}: '{term.term}' first used in {passage.kind} {passage.id}"
                )
    return found
