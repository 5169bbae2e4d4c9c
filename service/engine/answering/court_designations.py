"""Court designations made of generic words, as checkable facts: which circuit, which district, which kind of court.

The claim check's names leave out the generic words of captions ("Court", "Circuit", "Fifth", "Eastern",
"United States"), so "the United States Court of Appeals for the Fifth Circuit" stated of a Third Circuit filing
had nothing to check. Here each designation has a key that any spelling of it shares:

- a circuit: ("circuit", n) from "Fifth Circuit", "5th Cir.", "FIFTH CIRCUIT"; "D.C. Circuit" and "Federal
  Circuit" as ("circuit", "dc") and ("circuit", "federal");
- a district's part: ("district", "eastern") from "Eastern District", "E.D." before a capitalised word ("E.D.
  Pa."; only in sources: in an answer "M.D." may be a doctor);
- a kind of federal court: ("court", "court of appeals"), ("court", "district court"), ("court",
  "bankruptcy court"), ("court", "supreme court"), ("court", "tax court").
"""

from __future__ import annotations

import re

_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
    "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11,
}  # fmt: skip
_CIRCUIT = re.compile(
    r"\b(?P<which>" + "|".join(_ORDINALS) + r"|1st|2nd|2d|3rd|3d|[4-9]th|1[01]th|D\.\s?C\.|Federal|Fed\.)"
    r"\s+Cir(?:cuit|\.)",
    re.IGNORECASE,
)
_DIRECTIONS = ("northern", "southern", "eastern", "western", "middle", "central")
_DISTRICT = re.compile(r"\b(?P<which>" + "|".join(_DIRECTIONS) + r")\s+District\b", re.IGNORECASE)
_DISTRICT_ABBREVIATION = re.compile(r"\b(?P<which>[NSEWMC])\.\s?D\.\s?(?=[A-Z])")
_KIND = re.compile(
    r"\b(?P<which>Court\s+of\s+Appeals?|District\s+Court|Bankruptcy\s+Court|Supreme\s+Court|Tax\s+Court)\b"
)
_KIND_ANY_CASE = re.compile(_KIND.pattern, re.IGNORECASE)
_LETTERS = {"n": "northern", "s": "southern", "e": "eastern", "w": "western", "m": "middle", "c": "central"}


def _circuit(which: str) -> tuple[str, object]:
    which = which.lower().replace(" ", "")
    if which.startswith("d.c"):
        return ("circuit", "dc")
    if which.startswith("fed"):
        return ("circuit", "federal")
    return ("circuit", _ORDINALS.get(which) or int(re.sub(r"\D", "", which)))


def _kind(which: str) -> tuple[str, object]:
    written = " ".join(which.lower().split())
    return ("court", "court of appeals" if written.startswith("court of appeal") else written)


def court_designations(text: str) -> list[tuple[int, int, tuple[str, object]]]:
    """Court designations of an answer as (start, end, key); a court's kind only when capitalised ("the district
    court" is any court of the kind, not a name)."""
    found = [(m.start(), m.end(), _circuit(m["which"])) for m in _CIRCUIT.finditer(text)]
    found += [(m.start(), m.end(), ("district", m["which"].lower())) for m in _DISTRICT.finditer(text)]
    found += [(m.start(), m.end(), _kind(m["which"])) for m in _KIND.finditer(text)]
    return sorted(found)


def designations_in(text: str) -> frozenset[tuple[str, object]]:
    """Every court designation a source states, in any case and spelling (district abbreviations too)."""
    keys = {_circuit(m["which"]) for m in _CIRCUIT.finditer(text)}
    keys |= {("district", m["which"].lower()) for m in _DISTRICT.finditer(text)}
    keys |= {("district", _LETTERS[m["which"].lower()]) for m in _DISTRICT_ABBREVIATION.finditer(text)}
    keys |= {_kind(m["which"]) for m in _KIND_ANY_CASE.finditer(text)}
    return frozenset(keys)


_COURT_ID = re.compile(r"(?P<state>[a-z]{2})(?P<part>[nsewmc]?)(?P<kind>[db])")
_ORDINAL_NAMES = {number: name.capitalize() for name, number in _ORDINALS.items()}


def court_id_designation(court_id: str) -> str:
    """A CourtListener court id ("ca1", "cadc", "cacd", "ganb") as the designations it stands for ("First Circuit
    Court of Appeals", "Central District; District Court"): a document's court, read from its RECAP metadata, counts as
    stated by every source of the document, like its docket number. "" for an id of no known form."""
    court_id = court_id.strip().lower()
    if court_id == "cadc":
        return "D.C. Circuit Court of Appeals"
    if court_id == "cafc":
        return "Federal Circuit Court of Appeals"
    if (circuit := re.fullmatch(r"ca(\d{1,2})", court_id)) and int(circuit[1]) in _ORDINAL_NAMES:
        return f"{_ORDINAL_NAMES[int(circuit[1])]} Circuit Court of Appeals"
    if trial := _COURT_ID.fullmatch(court_id):
        kind = "District Court" if trial["kind"] == "d" else "Bankruptcy Court"
        part = _LETTERS.get(trial["part"], "")
        return f"{part.capitalize()} District; {kind}" if part else kind
    return ""
