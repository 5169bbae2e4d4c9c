"""The whole record: exhaustive search with exact spans and counts, and the citation index (issue #18).

``query`` parses the search language into the syntax tree of ``service.core.record_query`` (what a
word is: ``service.core.words``), ``matching`` evaluates it exactly over a page's text and counts
search-term reports, ``search`` runs it over a collection (the store's full-text index finds the
candidate pages, ``matching`` confirms them), and ``authorities`` finds the case and statute
citations of a page and builds a document's table of authorities.
"""
