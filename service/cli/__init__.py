"""The ``docqa`` command line, one module per command group; each command is one call into the engine.

``app`` (the console script ``docqa = service.cli:app``) and its shared options live in ``service.cli.app``;
importing this package registers every command on it.
"""

# isort: off
# Imported for their registration on ``app``, in the order ``docqa --help`` lists the commands.
from service.cli import ingest, search, record, documents, entities, summaries, serve, keys, audit, eval, feedback  # noqa: F401
from service.cli.app import app

# isort: on

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point."""
    app()
