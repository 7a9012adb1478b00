"""What the catalog covers: its regions, the services ``prices update`` refreshes, and where a
refreshed catalog is written. Plain constants, imported by the CLI's help texts without loading
the catalog itself (start-up time: docs/catalog.md)."""

from __future__ import annotations

from pathlib import Path

SUPPORTED_REGIONS = ("us-east-1", "us-west-2", "eu-west-1")

#: A price checked longer ago than this is flagged stale (``prices show``, the report's catalog line).
STALE_AFTER_DAYS = 120

#: The services ``prices update`` maps from the AWS Price List (``catalog.update.skus.MAPPERS``).
UPDATABLE_SERVICES = ("ec2", "lambda", "fargate", "sagemaker")


def default_catalog_dir() -> Path:
    return Path.home() / ".config" / "wheretorun" / "catalog"
