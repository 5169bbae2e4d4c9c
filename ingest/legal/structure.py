"""Court-document structure, the page processor that runs after OCR and before chunking.

It keeps page texts exact: stamps and running heads become ``skip_spans`` that chunks are cut around, never
rewritten; page labels, docket metadata, the case name and a better title are added beside the text.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

from ingest.legal.captions import case_caption, letter_case_name
from ingest.legal.docket import docket_metadata
from ingest.legal.ecf_stamps import primary_stamp
from ingest.legal.page_labels import page_label
from ingest.legal.running_heads import find_skip_spans
from ingest.legal.titles import (
    TitleChoice,
    TitleSource,
    choose_title,
    document_heading,
    is_file_name_title,
    is_generic_title,
)
from service.core.domain import ParsedDocument


def court_structure(
    path: Path, parsed: ParsedDocument, extra_metadata: Mapping[str, str] | None = None
) -> ParsedDocument:
    """Skip spans for stamps and running heads, page labels, docket metadata, the case name and the title.

    Metadata precedence: what the user gave (``--meta``) over what the docket text says over
    what the file's own properties say. The case name from the caption (or a letter's "Re:" line)
    goes into ``case_name``. When the title says nothing specific (a court's name, a stamp, a file
    name, a date, ...), ``ingest.legal.titles.choose_title`` picks a better one ("Order — In re Smith") and
    the replaced title stays in ``heading``.
    """
    texts = [page.text for page in parsed.pages]
    skip_spans = find_skip_spans(texts)
    pages = tuple(
        dataclasses.replace(
            page,
            skip_spans=tuple(spans),
            label=page_label(page.text, page.number, primary_stamp(page.text)),
        )
        for page, spans in zip(parsed.pages, skip_spans, strict=True)
    )
    docket = docket_metadata(texts, path.name)
    case_name = case_caption(texts) or letter_case_name(texts[0] if texts else "")
    if case_name is not None:
        docket["case_name"] = case_name
    metadata = {**parsed.metadata, **docket, **(extra_metadata or {})}
    title = court_title(path, parsed, metadata).title
    if title != parsed.title and parsed.title:
        metadata.setdefault("heading", parsed.title)
    return dataclasses.replace(parsed, pages=pages, metadata=metadata, title=title)


def court_title(path: Path, parsed: ParsedDocument, metadata: Mapping[str, str]) -> TitleChoice:
    """The title ``court_structure`` gives a parsed document with this metadata, and its source.

    Only a court document (one with a case name, case number or court) is titled by its heading or
    docket: a lease titled "Harbor Lease" is not a filing whose heading would say more. Any other
    document titled by a file name ("scan_0001.tmp") gets that name made readable."""
    case_name = metadata.get("case_name")
    if not (case_name or metadata.get("case_number") or metadata.get("court")):
        if parsed.title and is_file_name_title(parsed.title):
            return choose_title(parsed.title, case_name=None, heading=None, metadata={}, file_name=path.name)
        source = TitleSource.GENERIC if is_generic_title(parsed.title) else TitleSource.KEPT
        return TitleChoice(parsed.title, source)
    first_page = parsed.pages[0].text if parsed.pages else ""
    heading = document_heading(first_page)
    if heading is None and case_name is not None and case_name == letter_case_name(first_page):
        heading = "Letter"
    return choose_title(parsed.title, case_name=case_name, heading=heading, metadata=metadata, file_name=path.name)
