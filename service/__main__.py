"""``python -m service`` runs the docqa command line."""

from service.cli import main

main()
