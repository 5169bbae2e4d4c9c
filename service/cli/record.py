"""``docqa grep``, ``docqa terms`` and ``docqa authorities``: the whole record of a collection, counted exactly
(``service/engine/record``). ``grep`` and ``terms`` give what ``/v1/record/search`` and ``/v1/record/terms`` give."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from service.cli.app import CollectionOption, JsonFlag, app, components, fail, key_values, out
from service.components import Components
from service.core.errors import DocqaError
from service.engine.record.search import report_csv

FilterOption = Annotated[
    list[str] | None,
    typer.Option("--filter", help="KEY=VALUE metadata filter (repeatable): court=ca1, filed_after=2015-01-01."),
]
CsvFlag = Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")]
HIT_FIELDS = ("document_id", "source", "page", "page_label", "paragraph", "char_start", "char_end", "text")


def _existing(parts: Components, collection: str) -> None:
    if not parts.store.collection_exists(collection):
        fail(f"collection {collection!r} not found; ingest into it first (docqa ingest PATH -c {collection})", 2)


@app.command()
def grep(
    query: Annotated[str, typer.Argument(help='A record query: words, "phrases", prefix*, AND/OR/NOT, w/N, pre/N.')],
    collection: CollectionOption = "default",
    filters: FilterOption = None,
    as_json: JsonFlag = False,
    as_csv: CsvFlag = False,
) -> None:
    """Print every hit of QUERY in a collection, in document order, with page and exact span."""
    wanted = key_values(filters, "--filter")
    with components() as parts:
        _existing(parts, collection)
        try:
            result = parts.record.every_hit(collection, query, wanted)
        except DocqaError as error:
            fail(error.message, code=2)
    if as_json:
        body = {
            "total": result.total,
            "documents": [asdict(document) for document in result.documents],
            "hits": [{field: getattr(hit, field) for field in HIT_FIELDS} for hit in result.hits],
        }
        print(json.dumps(body, indent=1, ensure_ascii=False))
        return
    if as_csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(HIT_FIELDS)
        writer.writerows([getattr(hit, field) for field in HIT_FIELDS] for hit in result.hits)
        print(buffer.getvalue(), end="")
        return
    for hit in result.hits:
        where = f"p. {hit.page}" + (f" ({escape(hit.page_label)})" if hit.page_label else "")
        where += f" ¶ {hit.paragraph}" if hit.paragraph else ""
        found = escape(" ".join(hit.text.split()))
        out.print(f"{escape(hit.source)} · {where} · {hit.char_start}-{hit.char_end} · [bold]{found}[/bold]")
    out.print(f"{result.total} hits in {len(result.documents)} documents")


@app.command()
def terms(
    file: Annotated[Path, typer.Argument(help="A text file of queries, one a line (blank lines are skipped).")],
    collection: CollectionOption = "default",
    filters: FilterOption = None,
    as_json: JsonFlag = False,
    as_csv: CsvFlag = False,
) -> None:
    """Print the search-term report of FILE's queries: per query the documents hit, total and unique hits."""
    wanted = key_values(filters, "--filter")
    try:
        lines = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        fail(f"{file}: cannot read the term list ({error}); give a UTF-8 text file, one query a line", code=2)
    with components() as parts:
        _existing(parts, collection)
        try:
            result = parts.record.term_report(collection, lines, wanted)
        except DocqaError as error:
            fail(f"{file}: {error.message}", code=2)
    if as_csv:
        print(report_csv(result), end="")
        return
    report = result.report
    if as_json:
        body = {
            "terms": [
                {"query": line, **{key: value for key, value in asdict(counts).items() if key != "query"}}
                for line, counts in zip(result.lines, report.terms, strict=True)
            ],
            "documents": [
                {
                    "document_id": document_id,
                    "source": result.documents[document_id].source,
                    "counts": list(row),
                }
                for document_id, row in report.per_document.items()
            ],
        }
        print(json.dumps(body, indent=1, ensure_ascii=False))
        return
    for line, counts in zip(result.lines, report.terms, strict=True):
        out.print(
            f"[bold]{escape(line)}[/bold]: {counts.total_hits} hits in {counts.documents_with_hits} documents "
            f"({counts.unique_documents} hit by this query only)"
        )


@app.command()
def authorities(
    collection: CollectionOption = "default",
    document: Annotated[str | None, typer.Option("--document", help="One document's table of authorities.")] = None,
    cites: Annotated[
        str | None, typer.Option("--cites", help='The filings citing an authority ("550 U.S. 544") or a case name.')
    ] = None,
    filters: FilterOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Print the table of authorities of a collection (or of --document), or the filings that --cites one."""
    wanted = key_values(filters, "--filter")
    with components() as parts:
        _existing(parts, collection)
        try:
            if document is not None:
                parts.store.get_document(document, collections=[collection])
            if cites is not None:
                keys, citing_documents = parts.authorities.citing(collection, cites, wanted)
            else:
                table = parts.authorities.table(collection, document, wanted)
        except DocqaError as error:
            fail(error.message, code=2)
    if cites is not None:
        if as_json:
            body = {
                "authorities": keys,
                "documents": [
                    {
                        "document_id": d.document_id,
                        "source": d.source,
                        "mentions": len(d.mentions),
                        "pin_cites": list(d.pin_cites),
                        "citations": [asdict(mention) for mention in d.mentions],
                    }
                    for d in citing_documents
                ],
            }
            print(json.dumps(body, indent=1, ensure_ascii=False))
            return
        if not keys:
            out.print(f"no authority in {collection!r} matches {escape(cites)!r}")
            return
        out.print(f"[bold]{escape(', '.join(keys))}[/bold]: cited by {len(citing_documents)} documents")
        for citing_document in citing_documents:
            pins = ", ".join(citing_document.pin_cites)
            pages = ", ".join(str(p) for p in dict.fromkeys(m.page for m in citing_document.mentions))
            line = f"{escape(citing_document.source)}: {len(citing_document.mentions)} mentions, pp. {pages}"
            out.print(line + (f" (pin cites {escape(pins)})" if pins else ""))
        return
    if as_json:
        print(json.dumps([asdict(entry) for entry in table], indent=1, ensure_ascii=False))
        return
    for entry in table:
        name = f"{entry.case_name}, " if entry.case_name else ""
        where = f"pp. {', '.join(map(str, entry.pages))}" if entry.pages else f"{entry.documents} documents"
        pins = f" · pin cites {', '.join(entry.pin_cites)}" if entry.pin_cites else ""
        counts = f"({entry.kind}) · {entry.mentions} mentions · {where}"
        out.print(f"{escape(name + entry.authority)} {counts}{escape(pins)}")
