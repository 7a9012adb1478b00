"""The names the catalog knows, for checking a workload file in one pass (``spec.checks.Vocabulary``).

The messages are the ones the catalog gives when it meets the same name later (``Catalog.in_region``,
``Catalog.with_overrides``, ``platforms.usage.resolve_model``), so a problem reads the same whether
the loader or the pricing finds it.
"""

from __future__ import annotations

from ..errors import did_you_mean
from ..spec.checks import Names, Vocabulary
from .store import SUPPORTED_REGIONS, Catalog, _is_bedrock_token_key, load_catalog

__all__ = ["vocabulary"]


def vocabulary(catalog: Catalog | None = None) -> Vocabulary:
    """The vocabulary of ``catalog`` (the catalog in use by default)."""
    cat = catalog or load_catalog()
    services = set(cat.services())
    return Vocabulary(
        region=Names(
            known=lambda r: r in SUPPORTED_REGIONS,
            problem=lambda r: (
                f"region '{r}' is not in the catalog{did_you_mean(r, SUPPORTED_REGIONS)}; "
                f"allowed: {', '.join(SUPPORTED_REGIONS)}"
            ),
        ),
        model_id=Names(
            known=lambda m: cat.find_model(m) is not None,
            problem=lambda m: (
                f"unknown model id '{m}'{did_you_mean(m, cat.model_ids())}; "
                "give params_b to describe a model the catalog does not know "
                "(`wheretorun prices show --service models` lists the ids)"
            ),
        ),
        price_key=Names(
            known=lambda k: k in cat.prices or _is_bedrock_token_key(k),
            problem=lambda k: (
                f"unknown price key{did_you_mean(k, cat.prices)}; "
                "`wheretorun prices show` lists the keys (Bedrock tokens: bedrock/<model id>/input|output)"
            ),
        ),
        service=Names(
            known=lambda s: s in services,
            problem=lambda s: (
                f"unknown service{did_you_mean(s, services)}; known: {', '.join(sorted(services))}"
            ),
        ),
    )
