"""The whole record: exhaustive search with exact spans and counts, and the citation index (issue #18).

``query`` parses the search language, ``matching`` evaluates it exactly over a page's text and
counts search-term reports, ``words`` defines what a word is, and ``authorities`` finds the case
and statute citations of a page and builds a document's table of authorities. Pure functions over
text: the database indexes, endpoints and CLI are built on them elsewhere.
"""
