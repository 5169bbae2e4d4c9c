"""Persistence: SQL metadata and text (SQLAlchemy) and per-collection FAISS indexes."""
