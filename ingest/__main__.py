"""``python -m ingest`` runs the docqa command line."""

from ingest.cli import main

main()
