"""The web shell: REST API and page (``wheretorun serve``); needs the ``web`` extra."""

from .app import create_app

__all__ = ["create_app"]
