"""The glossary: words a grade-6 reader may not know, and what each means in plain words."""

from __future__ import annotations

import re
from dataclasses import dataclass

from imr_live.curriculum.models import GlossaryTerm

WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


@dataclass(frozen=True)
class Glossary:
    """Hard terms with their meanings, and everyday words a common-word list may lack."""

    terms: list[GlossaryTerm]
    plain_words: frozenset[str]
    """Everyday words (``okay``, ``weekend``) that need no explanation."""

    def term_for(self, word: str) -> GlossaryTerm | None:
        """The glossary term a word is a spelling of, if any."""
        word = word.lower()
        for term in self.terms:
            if word in term.spellings:
                return term
        return None

    def terms_in(self, text: str) -> list[GlossaryTerm]:
        """The glossary terms a text uses, in glossary order (multi-word terms too)."""
        lowered = text.lower()
        return [
            term
            for term in self.terms
            if any(re.search(rf"\b{re.escape(s)}\b", lowered) for s in term.spellings)
        ]

    def explains(self, text: str, term: GlossaryTerm) -> bool:
        """True when the text explains ``term`` where it uses it: ``term (what it means)``."""
        lowered = text.lower()
        return any(re.search(rf"\b{re.escape(s)}\b \(", lowered) for s in term.spellings)


def words_of(text: str) -> list[str]:
    """The words of a text, lowercase, for word-list checks."""
    return WORD.findall(text.lower())
