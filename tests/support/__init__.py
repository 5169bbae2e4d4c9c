"""Test support code: builders of documents, corpora, models and servers that the test modules import.

Fixtures stay in ``conftest.py`` files; what a test imports lives here (``from tests.support.documents import
write_pdf``). Nothing imports from a ``conftest``.
"""
