"""The catalog's scope constants (read by the CLI's help without loading the catalog) agree with
what the catalog and the updater actually hold."""

from wheretorun.catalog.scope import SUPPORTED_REGIONS, UPDATABLE_SERVICES
from wheretorun.catalog.store import load_catalog
from wheretorun.catalog.update.skus import MAPPERS


def test_the_updatable_services_are_the_updaters_mappers():
    assert tuple(MAPPERS) == UPDATABLE_SERVICES


def test_every_supported_region_has_a_catalog():
    for region in SUPPORTED_REGIONS:
        assert load_catalog(region).region == region
