"""Kinds of fact a sentence holds: dates, amounts, counts, names, places, holdings, reasons, authorities.

The extractive answerer prefers sentences holding the kind of fact a question asks for ("when" wants a
date, "how much" an amount, "what did the court hold" a disposition); a question whose kind of fact is
in none of the retrieved sentences is not answered from them. These are patterns over the words of
court filings, not a parser: each errs towards finding a fact, since a missed one costs an answer.
"""

from __future__ import annotations

import enum
import re

from ingest.legal.text import in_capitals
from service.engine.answering.claim_facts import DATE_PATTERNS, DISPOSITIONS, MONEY_PATTERNS, MONTH_NAME, PERCENT


class Fact(enum.StrEnum):
    """A kind of fact, as asked for by a question and found in a sentence."""

    DATE = "date"
    DURATION = "duration"
    AMOUNT = "amount"
    NUMBER = "number"
    PERSON = "person"
    PLACE = "place"
    DISPOSITION = "disposition"
    HOLDING = "holding"
    REASON = "reason"
    AUTHORITY = "authority"


_MONTH = rf"{MONTH_NAME}\.?"
_NUMBER_WORD = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred)"
)
_US_STATE = (
    r"(?:Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|Hawaii|Idaho|"
    r"Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|Minnesota|Mississippi|"
    r"Missouri|Montana|Nebraska|Nevada|New\s+Hampshire|New\s+Jersey|New\s+Mexico|New\s+York|North\s+Carolina|"
    r"North\s+Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|Rhode\s+Island|South\s+Carolina|South\s+Dakota|Tennessee|"
    r"Texas|Utah|Vermont|Virginia|Washington|West\s+Virginia|Wisconsin|Wyoming)"
)
_UNIT = r"(?:days?|weeks?|months?|years?|hours?|minutes?)"

_RULING_FORMULA = re.compile(
    r"\bHeld:|\bIT\s+IS\s+(?:HEREBY\s+|FURTHER\s+)?(?:ORDERED|ADJUDGED)|\bSo\s+Ordered\b|"
    r"\bjudgment\s+is\s+(?:hereby\s+)?entered|"
    # "The Court finds": a court speaking of itself; "the district court found" reports a lower court.
    r"\bwe\s+(?:hold|conclude|find|held|found)\b|\bCourt\s+(?:finds|found|holds|held|concludes|concluded)\b"
)
"""How a court states its own ruling whatever the ruling is: "Held:", "IT IS ORDERED", "we hold"."""

# The dates, amounts and dispositions the claim check compares (``claim_facts``), and the looser forms
# that say a sentence holds one without pinning it down ("on August 13", "in 2007", "sustained").
PATTERNS: dict[Fact, tuple[re.Pattern[str], ...]] = {
    Fact.DATE: (
        *DATE_PATTERNS,
        re.compile(
            rf"\b(?:on|by|since|until|before|after)\s+{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b|"
            rf"\b(?:in|on|since|by|until|before|after|during)\s+(?:{_MONTH}\s+)?(?:19|20)\d{{2}}\b",
        ),
    ),
    Fact.DURATION: (re.compile(rf"\b(?:\d+|{_NUMBER_WORD})[- ](?:\w+[- ])?{_UNIT}\b", re.IGNORECASE),),
    Fact.AMOUNT: (*MONEY_PATTERNS, PERCENT, re.compile(r"\b\d{1,3}(?:,\d{3})+(?:\.\d\d)?\b")),
    Fact.NUMBER: (re.compile(rf"\b(?:\d[\d,]*(?:\.\d+)?|{_NUMBER_WORD})\b(?![-/:]\d)", re.IGNORECASE),),
    Fact.PERSON: (
        re.compile(
            r"\b(?:Judge|Justice|Clerk|Magistrate|Hon\.|Honorable|Mr\.|Ms\.|Mrs\.|Dr\.|Esq\.|Attorney|Counsel|"
            r"Trustee|Governor|Secretary|J\.|P\.J\.|C\.J\.)(?=\W)|"
            r"\b[A-Z][a-z]+(?:\s+[A-Z]\.)?\s+[A-Z][a-z]+(?:-[A-Z][a-z]+)?,\s+(?:Judge|Clerk|Esq|Attorney|Counsel)\b|"
            r"\b[A-Z]{3,},\s+(?:Circuit\s+|District\s+|Chief\s+)?(?:Judge|Justice)\b|"
            r"\b(?!(?:OF|THE|AND|FOR)\b)[A-Z]{2,}(?:\s+[A-Z]\.)?\s+(?!(?:OF|THE|AND|FOR)\b)[A-Z]{2,}\s+"
            r"(?:CLERK|JUDGE|TRUSTEE|ESQ)\b|"
            r"\b(?:founded|represented|signed|authored|wrote|filed)\s+by\b|\bfounders?\b|/s/\s*[A-Z]|"
            r"(?<=[a-z,;:] )[A-Z][a-z]+(?:\s+[A-Z]\.)?\s+(?:and\s+[A-Z][a-z]+\s+)?[A-Z][a-z]{2,}\b|"
            r"\bappearing\s+for\b|\bfor\s+(?:the\s+)?"
            r"(?:petitioners?|respondents?|plaintiffs?|defendants?|appellants?|appellees?|debtors?)\b",
        ),
    ),
    Fact.PLACE: (
        re.compile(
            r"\b\d{2,5}\s+(?:[A-Z][a-z]+\s+){1,3}(?:Street|St\.|Avenue|Ave\.|Road|Rd\.|Boulevard|Blvd\.|Landing|Drive|"
            r"Suite|Place|Plaza|Way|Lane)\b|\b(?:District|County|State|Commonwealth|City|Town|Court|Circuit)\s+of\s+[A-Z]"
            r"|\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?,\s+(?:[A-Z]{2}|[A-Z][a-z]+)\s+\d{5}\b|\b(?:transferred|remanded|"
            r"located|held|venue)\s+(?:to|in|at)\b|\b(?:N|S|E|W|C|M)\.D\.|\bW\.\s?Va\.|\b(?:Northern|Southern|Eastern|"
            r"Western|Central|Middle)\s+District\b|\b(?:[A-Z][a-z]+\s+)?(?:River|County|Parish|Basin)\b|\b"
            rf"{_US_STATE}\b",
        ),
    ),
    Fact.DISPOSITION: (
        *DISPOSITIONS.values(),
        re.compile(
            r"\b(?:sustain(?:s|ed)?|"
            r"overrul(?:e|es|ed)|stay(?:s|ed)?|enjoin(?:s|ed)?|award(?:s|ed)?|(?:not\s+)?liable|consolidat(?:e|es|ed)|"
            r"ordered|adjudged|decreed|So\s+Ordered)\b|\b(?:we|court|it)\s+(?:hold|holds|held|conclude[sd]?|agree|"
            r"disagree|find|found)\b|\bHeld:|\bIT\s+IS\s+(?:HEREBY\s+)?(?:ORDERED|ADJUDGED)|"
            r"\bjudgment\s+is\s+(?:entered|affirmed|reversed)|\b(?:standard\s+of\s+review|de\s+novo|"
            r"abuse\s+of\s+discretion)\b",
            re.IGNORECASE,
        ),
    ),
    Fact.HOLDING: (
        _RULING_FORMULA,
        re.compile(
            r"\b(?:is|are|be|hereby|we|court|shall\s+be)\s+(?:\w+\s+)?(?:affirmed|reversed|vacated|remanded|dismissed|"
            r"granted|denied|sustained|overruled|stayed|enjoined|consolidated|transferred)\b|"
            r"\bwe\s+(?:affirm|reverse|vacate|remand|dismiss|grant|deny|agree|disagree)\b|"
            r"\bCourt\s+(?:grants|granted|denies|denied|orders|ordered)\b|"
            # An order to show cause ("X may show cause in writing within 20 days why he should not be suspended").
            r"\b(?:shall|may|must|ordered\s+to)\s+show\s+cause\b|"
            r"\b(?:AFFIRMED|REVERSED|VACATED|DISMISSED|GRANTED|DENIED)\b|"
            r"\bfor\s+the\s+(?:foregoing\s+|above\s+)?reasons\b|\bwe\s+review\b|\bapplies\b",
        ),
    ),
    Fact.REASON: (
        re.compile(
            r"\b(?:because|since|due\s+to|on\s+the\s+ground|for\s+(?:the\s+)?reasons?|reason|in\s+light\s+of|"
            r"as\s+a\s+result|therefore|thus|accordingly|so\s+that|given\s+that|in\s+order\s+to|lacks?|"
            r"not\s+a\s+party|burden|cost|expens\w*|no\s+\w+\s+(?:arising|occurred))\b",
            re.IGNORECASE,
        ),
    ),
    Fact.AUTHORITY: (
        re.compile(
            r"\b[A-Z][\w.&'-]*(?:\s+[A-Z][\w.&'-]*)*\s+(?:v\.|vs\.?)\s+[A-Z]|\bIn\s+re\s+[A-Z]|\b\d+\s+(?:U\.S\.|S\.\s?Ct\.|"
            r"F\.(?:\s?Supp\.)?\s?(?:\d[dh])?|F\.\d[dh]|N\.[EW]\.\d?d?|So\.\s?\d?d?|P\.\d?d?|A\.\d?d?)\s+\d+|"
            # A named or numbered authority ("the Upper Niobrara River Compact", "Rules 608 and 609", "§ 4001.003"),
            # not the bare word ("the rules", "the Federal Rules of Evidence"), which names no particular one.
            r"\b(?:[A-Z][a-z]+\s+){1,4}(?:Compact|Act|Code|Statute)\b|\b(?:Rules?|Sections?|Articles?)\s+"
            r"(?:of\s+(?:[A-Z][a-z]+\s+){1,3})?\d|\bU\.S\.C\.|\bC\.F\.R\.|\bTenn\.\s+Comp\.|§+\s*\d|\bv\.\s+[A-Z]|"
            r"\b\d{4}-\d{2}-\d{2}\.\d{2}\b",
        ),
    ),
}


_RULING_VERBS: dict[str, re.Pattern[str]] = {
    **DISPOSITIONS,
    "consolidate": re.compile(r"\bconsolidat(?:e|es|ed|ing|ion)\b", re.IGNORECASE),
    "transfer": re.compile(r"\btransfer(?:s|red|ring)?\b", re.IGNORECASE),
    "stay": re.compile(r"\bstay(?:s|ed)?\b", re.IGNORECASE),
    "sustain": re.compile(r"\bsustain(?:s|ed)?\b", re.IGNORECASE),
    "overrule": re.compile(r"\boverrul(?:e|es|ed)\b", re.IGNORECASE),
    "enjoin": re.compile(r"\benjoin(?:s|ed)?\b", re.IGNORECASE),
}


def ruling_verbs(text: str) -> set[str]:
    """The ruling verbs ``text`` uses, by stem: "dismissed" and "dismissal" are "dismiss"."""
    return {stem for stem, pattern in _RULING_VERBS.items() if pattern.search(text)}


def restates(sentence: str, question: str) -> bool:
    """True when the only ruling in ``sentence`` is one ``question`` already names ("These appeals are
    consolidated" for "How did the court resolve the consolidated appeals?"): it says what the question
    takes as given, not how the matter came out. A ruling formula ("IT IS ORDERED", "we hold") always rules."""
    verbs = ruling_verbs(sentence)
    return bool(verbs) and verbs <= ruling_verbs(question) and not _RULING_FORMULA.search(sentence)


_CAPTION = re.compile(
    r"\b(?:Plaintiffs?|Defendants?|Appellants?|Appellees?|Petitioners?|Respondents?|Debtors?)\s*[-—,.)]|"
    r"\bversus\b|\)\s*\S+\s*\)|\bCase\s+(?:No\.|Number)|\bDocket\s+No|\bUNITED\s+STATES\s+(?:COURT|DISTRICT)|"
    r"\bPage\s+\d+\s+of\s+\d+\b|\bFor\s+the\s+\w+\s+Circuit\b",
)


def looks_like_caption(sentence: str) -> bool:
    """True for a caption or heading block ("X, Plaintiff—Appellant, versus Y"), or a heading or stamp in
    capitals ("TENNESSEE COURT OF WORKERS' COMPENSATION CLAIMS") that is no ruling ("JUDGMENT AFFIRMED"): it
    names the case or a part of the filing, not a fact."""
    if _CAPTION.search(sentence):
        return True
    return in_capitals(sentence) and not any(pattern.search(sentence) for pattern in PATTERNS[Fact.HOLDING])


def facts_in(sentence: str) -> set[Fact]:
    """The kinds of fact ``sentence`` holds."""
    return {fact for fact, patterns in PATTERNS.items() if any(pattern.search(sentence) for pattern in patterns)}
