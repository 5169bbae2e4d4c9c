"""Law citations eyecite's data misses, read through eyecite's own tokenizer.

eyecite finds a law with one ``TokenExtractor`` per code of reporters_db's ``laws.json``. On the court
filings three kinds of law citation escape it:

- a section with a letter: "15 U.S.C. § 1692k(d)", "42 U.S.C. § 2000e-2", "17 C.F.R. § 240.10b-5"
  (reporters_db's ``law_section`` has digits only, and a letter right after them is no word boundary);
- codes under the names filings use, which laws.json lacks or spells otherwise: "N.C.G.S. § 14-306.4",
  "O.C.G.A. § 44-13-100", "La. Civ. Code. § 3049", "Okla. Stat., Tit. 82, §105.9";
- the federal rules of procedure and evidence: "Fed. R. App. P. 4(a)(4)", "Fed.R.Civ.P. 12(b)(6)",
  "Fed. R. Evid. 401".

Each is one more ``TokenExtractor`` of an eyecite ``Edition`` from the "laws" source, given to
``get_citations`` through ``TOKENIZER`` (eyecite's Aho-Corasick tokenizer with them added), so eyecite
makes them ``FullLawCitation``s and reads their subsections as pin cites, like any law it knows.
``law_key`` gives such a citation its normalised key: the code as it is usually abbreviated,
"§" and the section ("N.C.G.S. § 14-306.4", "Fed. R. App. P. 4", "Okla. Stat. tit. 82 § 105.9"),
the same whichever spelling the filing used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from eyecite.models import CitationToken, Edition, FullLawCitation, Reporter, TokenExtractor
from eyecite.regexes import nonalphanum_boundaries_re
from eyecite.tokenizers import AhocorasickTokenizer

# A section with an optional letter after each number: "1692k", "2000e-2", "240.10b-5", "14-306.4";
# a line break after a hyphen leaves one space ("14- 306.4"), which the key drops.
_SECTION = r"(?P<section>\d+[A-Za-z]{0,2}(?:(?:-\s?|[.:])\d+[A-Za-z]{0,2}){0,3})"
# With a letter somewhere ("1692k", "240.10b-5"); a hyphen takes at most three digits after it, so
# that a range of sections ("§§ 2000cc-2000cc-5") is read as its first section.
_SECTION_WITH_LETTER = (
    r"(?P<section>(?=[\d.:-]*\d[A-Za-z])\d+[A-Za-z]{0,2}(?:(?:-\s?\d{1,3}|[.:]\d+)[A-Za-z]{0,2}){0,3})"
)
_SECTION_SIGN = r"\s?§§?\s?"


@dataclass(frozen=True)
class _Code:
    """A code eyecite misses: its key's name, how filings write it, and the key's shape."""

    name: str
    pattern: str
    key: str
    lettered_only: bool = False  # its sections without a letter are eyecite's own


_CODES = (
    _Code("U.S.C.", r"(?P<title>\d+) (?P<reporter>U\. ?S\. ?C\.(?: ?[AS]\.)?|USCA?)",
          "{title} U.S.C. § {section}", lettered_only=True),
    _Code("C.F.R.", r"(?P<title>\d+) (?P<reporter>C\. ?F\. ?R\.|CFR)", "{title} C.F.R. § {section}",
          lettered_only=True),
    _Code("N.C.G.S.", r"(?P<reporter>N\. ?C\. ?G\. ?S\.)", "N.C.G.S. § {section}"),
    _Code("O.C.G.A.", r"(?P<reporter>O\. ?C\. ?G\. ?A\.)", "O.C.G.A. § {section}"),
    _Code("La. Civ. Code", r"(?P<reporter>La\. ?Civ\. ?Code\.?(?: Ann\.)?)", "La. Civ. Code § {section}"),
    _Code("Okla. Stat.", r"(?P<reporter>Okla\. ?Stat\.(?: Ann\.)?),? [Tt]it\. ?(?P<title>\d+),?",
          "Okla. Stat. tit. {title} § {section}"),
)  # fmt: skip
# "Fed. R. App. P.", "Fed.R.Civ.P.", "Fed. R. Crim. P.", "Fed. R. Bankr. P.", "Fed. R. Evid."
_RULES = _Code(
    "Fed. R.",
    r"(?P<reporter>Fed\. ?R\. ?(?P<rules>(?:App|Civ|Crim|Bankr)\. ?P|Evid)\.) (?P<section>\d+(?:\.\d+)?)",
    "Fed. R. {rules}. {section}",
)


def _extractor(code: _Code, regex: str) -> TokenExtractor:
    edition = Edition(
        reporter=Reporter(short_name=code.name, name=code.name, cite_type="leg_statute", source="laws"),
        short_name=code.name,
        start=None,
        end=None,
    )
    extra = {"exact_editions": [edition], "variation_editions": [], "short": False}
    bounded: str = nonalphanum_boundaries_re(regex)  # type: ignore[no-untyped-call]  # unannotated in eyecite
    return TokenExtractor(bounded, CitationToken.from_match, extra=extra)


_EXTRACTORS = [
    _extractor(code, code.pattern + _SECTION_SIGN + (_SECTION_WITH_LETTER if code.lettered_only else _SECTION))
    for code in _CODES
] + [_extractor(_RULES, _RULES.pattern)]
_KEYS = {code.name: code.key for code in (*_CODES, _RULES)}


class _Tokenizer(AhocorasickTokenizer):
    """eyecite's tokenizer, with the extractors of this module always run (they are few and cheap)."""

    def get_extractors(self, text: str) -> set[TokenExtractor]:
        """eyecite's extractors that may match ``text``, and this module's."""
        return super().get_extractors(text) | set(_EXTRACTORS)


TOKENIZER = _Tokenizer()


def law_key(citation: FullLawCitation) -> str | None:
    """The normalised key of a law citation of one of this module's codes; ``None`` for eyecite's own."""
    editions = [*citation.exact_editions, *citation.variation_editions]
    shape = next((_KEYS[edition.short_name] for edition in editions if edition.short_name in _KEYS), None)
    if shape is None:
        return None
    groups = {name: re.sub(r"\s+", "", value) for name, value in citation.groups.items() if value}
    if "rules" in groups:  # "App.P" -> "App. P"
        groups["rules"] = groups["rules"].replace(".", ". ")
    try:
        return shape.format(**groups)
    except KeyError:  # eyecite's own Okla. Stat. extractor matched first with other group names
        return None
