"""The catalog in use: data files loaded lazily, validated, cached; user overrides merged on top.

Nothing is read at import time. ``load_catalog()`` reads ``catalog/data/*.yml`` once per process
(or a directory given by ``WHERETORUN_CATALOG_DIR``, once per version ``prices update`` writes); ``Catalog.with_overrides`` returns a copy with
negotiated prices applied, so a user's prices never leak into another request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from .._perf import Bounded, memo, parsed_yaml
from ..errors import MAX_PROBLEMS, InputError, Problem, did_you_mean
from .models import (
    AcceleratorSpec,
    ArchitectureCard,
    EngineeringFile,
    EngineeringProfile,
    GuidelineEntry,
    GuidelineFile,
    InstanceFile,
    InstanceSpec,
    LimitEntry,
    LimitFile,
    ModelFile,
    PriceEntry,
    PriceFile,
    ProprietaryCard,
    Tier,
)
from .scope import STALE_AFTER_DAYS as STALE_AFTER_DAYS
from .scope import SUPPORTED_REGIONS as SUPPORTED_REGIONS

DATA_DIR = Path(__file__).parent / "data"


class CatalogError(Exception):
    """The shipped or given catalog data is invalid (a bug in the data, not in user input)."""


def _is_bedrock_token_key(key: str) -> bool:
    """``bedrock/<model id>/input`` or ``.../output``: a genai-prices token price (see catalog.bedrock)."""
    parts = key.split("/")
    return len(parts) == 3 and parts[0] == "bedrock" and bool(parts[1]) and parts[2] in ("input", "output")


@dataclass(frozen=True)
class PriceRef:
    """A unit price as used on an invoice line: value plus where it came from."""

    key: str
    description: str
    unit: str
    value: Decimal
    source: str
    as_of: dt.date
    verified: bool = True
    tiers: tuple[Tier, ...] = ()
    override_note: str | None = None

    def cite(self) -> str:
        flag = "" if self.verified else " (UNVERIFIED)"
        return f"{self.source}, checked {self.as_of.isoformat()}{flag}"


#: ``Catalog.priced_instances`` by (catalog digest, region, prefix): a few entries per catalog version
#: (on-demand fleets, SageMaker), shared by every copy of the catalog with overrides (they change
#: prices, never which instances have one) and every workload.
_PRICED_INSTANCES: Bounded[tuple[str, str, str], tuple[InstanceSpec, ...]] = Bounded(32)


@dataclass(frozen=True)
class Catalog:
    prices: dict[str, PriceEntry]
    instances: dict[str, InstanceSpec]
    accelerators: dict[str, AcceleratorSpec]
    open_models: dict[str, ArchitectureCard]
    proprietary_models: dict[str, ProprietaryCard]
    engineering: EngineeringFile
    limits: dict[str, LimitEntry]
    #: sha256 of the data files it was loaded from: the value caches key on (never ``id()``)
    digest: str
    #: soft thresholds of the source articles (``guidelines.yml``): quoted, never excluding
    guidelines: dict[str, GuidelineEntry] = field(default_factory=dict)
    region: str = "us-east-1"
    overrides: tuple[tuple[str, Decimal, str], ...] = ()  # (key, value, note)
    discounts: tuple[tuple[str, Decimal], ...] = ()  # (service, percent)

    # ---- prices -------------------------------------------------------------------------------
    @property
    def as_of(self) -> dt.date:
        """The newest check date of any figure: the catalog's edition."""
        return max(e.as_of for e in self.prices.values())

    @property
    def oldest(self) -> dt.date:
        return min(e.as_of for e in self.prices.values())

    def entry(self, key: str) -> PriceEntry:
        try:
            return self.prices[key]
        except KeyError:
            raise KeyError(f"no catalog price '{key}'{did_you_mean(key, self.prices)}") from None

    def has_price(self, key: str) -> bool:
        e = self.prices.get(key)
        return e is not None and (self.region in e.regions or self.region in e.tiers)

    def unavailable_reason(self, key: str) -> str | None:
        """Why ``key`` has no figure in this region (not offered there, no public price), or None."""
        e = self.prices.get(key)
        return e.unavailable.get(self.region) if e is not None else None

    def price(self, key: str) -> PriceRef:
        """The flat unit price of ``key`` in this catalog's region, overrides and discounts applied.

        For a tiered entry ``value`` is the first tier's price and ``tiers`` holds them all.
        """
        e = self.entry(key)
        if self.region not in e.regions and self.region not in e.tiers:
            why = e.unavailable.get(self.region, "no figure")
            raise KeyError(f"catalog price '{key}' has no figure for {self.region}: {why}")
        tiers = tuple(e.tiers.get(self.region, ()))
        value = e.regions[self.region] if e.regions else tiers[0].price
        value, tiers, note = self._adjust(key, value, tiers, discountable=e.unit != "percent")
        return PriceRef(
            key, e.description, e.unit, value, e.source, e.as_of, e.verified_in(self.region), tiers, note
        )

    def services(self) -> list[str]:
        """Service prefixes of the price keys (``lambda``, ``ec2``, ...), for discounts and filtering."""
        return sorted({k.split("/")[0] for k in self.prices})

    def _adjust(
        self, key: str, value: Decimal, tiers: tuple[Tier, ...], *, discountable: bool = True
    ) -> tuple[Decimal, tuple[Tier, ...], str | None]:
        """Apply the user's override (exact key) or service discount. Percent entries (a Spot or
        batch discount) are not money, so a service discount does not scale them."""
        for okey, ovalue, note in self.overrides:
            if okey == key:
                # A negotiated price replaces the whole tier ladder with one flat rate.
                return ovalue, tuple(Tier(up_to=None, price=ovalue) for _ in tiers[:1]), note
        service = key.split("/")[0]
        for dservice, pct in self.discounts if discountable else ():
            if dservice == service:
                factor = (Decimal(100) - pct) / Decimal(100)
                tiers = tuple(Tier(up_to=t.up_to, price=t.price * factor) for t in tiers)
                return value * factor, tiers, f"{pct}% {service} discount from your prices file"
        return value, tiers, None

    def with_overrides(
        self,
        overrides: dict[str, float],
        discount_pct: dict[str, float],
        file: str = "<prices>",
        path_prefix: str = "prices",
    ) -> Catalog:
        """A copy with the user's prices (by key) and per-service percent discounts applied.

        Keys are catalog price keys, or ``bedrock/<bedrock model id>/input|output`` for the token
        prices that come from genai-prices. An override beats a discount for the same key.
        """
        problems: list[Problem] = []
        for key in overrides:
            if key not in self.prices and not _is_bedrock_token_key(key):
                problems.append(
                    Problem(
                        file,
                        f"{path_prefix}.overrides.{key}",
                        f"unknown price key{did_you_mean(key, self.prices) if len(problems) < MAX_PROBLEMS else ''}; "
                        "`wheretorun prices show` lists the keys (Bedrock tokens: bedrock/<model id>/input|output)",
                    )
                )
        services = set(self.services())
        for service in discount_pct:
            if service not in services:
                problems.append(
                    Problem(
                        file,
                        f"{path_prefix}.discount_pct.{service}",
                        f"unknown service{did_you_mean(service, services)}; known: {', '.join(sorted(services))}",
                    )
                )
        if problems:
            raise InputError(problems)
        return replace(
            self,
            overrides=tuple(
                (k, Decimal(str(v)), f"your price from {file} (catalog: {self._catalog_value(k)})")
                for k, v in overrides.items()
            ),
            # 10.0 from YAML/JSON is shown as 10, not 10.0 or 1E+1.
            discounts=tuple(
                (s, Decimal(format(Decimal(str(p)).normalize(), "f"))) for s, p in discount_pct.items()
            ),
        )

    def _catalog_value(self, key: str) -> str:
        e = self.prices.get(key)
        if e is None:
            return "genai-prices token price"
        if self.region not in e.region_names:
            return "no figure for this region"
        if e.regions:
            return f"${e.regions[self.region]} per {e.unit}"
        first = e.tiers[self.region][0]
        return f"tiered, from ${first.price} per {e.unit}"

    def in_region(self, region: str, *, file: str = "<input>") -> Catalog:
        if region not in SUPPORTED_REGIONS:
            raise InputError(
                [
                    Problem(
                        file,
                        "region",
                        f"region '{region}' is not in the catalog{did_you_mean(region, SUPPORTED_REGIONS)}; "
                        f"allowed: {', '.join(SUPPORTED_REGIONS)}",
                    )
                ]
            )
        return replace(self, region=region)

    # ---- instances and models -----------------------------------------------------------------
    def instance(self, itype: str) -> InstanceSpec:
        try:
            return self.instances[itype]
        except KeyError:
            raise KeyError(f"unknown instance type '{itype}'{did_you_mean(itype, self.instances)}") from None

    def priced_instances(self, prefix: str = "") -> list[InstanceSpec]:
        """Instances with an on-demand price in this region (``prefix`` 'ml.' for SageMaker).

        Cached per (catalog digest, region, prefix): overrides change prices, never which instances
        have one.
        """

        def priced() -> tuple[InstanceSpec, ...]:
            return tuple(
                i
                for i in self.instances.values()
                if i.type.startswith(prefix)
                and (prefix or not i.type.startswith("ml."))
                and self.has_price(i.price_key)
            )

        return list(_PRICED_INSTANCES.get((self.digest, self.region, prefix), priced))

    def engineering_profile(self, platform: str) -> EngineeringProfile:
        for p in self.engineering.profiles:
            if p.platform == platform:
                return p
        raise KeyError(f"no engineering profile for '{platform}'")

    def limit(self, key: str) -> LimitEntry:
        try:
            return self.limits[key]
        except KeyError:
            raise KeyError(f"no catalog limit '{key}'{did_you_mean(key, self.limits)}") from None

    def guideline(self, key: str) -> GuidelineEntry:
        try:
            return self.guidelines[key]
        except KeyError:
            raise KeyError(f"no catalog guideline '{key}'{did_you_mean(key, self.guidelines)}") from None

    def model_cards(self) -> list[ArchitectureCard | ProprietaryCard]:
        """Every model card: open architectures, then proprietary models."""
        return [*self.open_models.values(), *self.proprietary_models.values()]

    def model_ids(self) -> list[str]:
        ids: list[str] = []
        for card in self.model_cards():
            ids.append(card.id)
            ids.extend(card.aliases)
        return ids

    def find_model(self, model_id: str) -> ArchitectureCard | ProprietaryCard | None:
        """A model card by id or alias; an ``-instruct`` suffix names the same architecture."""
        wanted = model_id.strip().lower()
        candidates = [wanted]
        if wanted.endswith("-instruct"):
            candidates.append(wanted.removesuffix("-instruct"))
        for name in candidates:
            for card in self.model_cards():
                if name == card.id or name in card.aliases:
                    return card
        return None

    def applied_overrides(self) -> list[str]:
        """One line per user override or discount in effect, for the trace and ``prices show``."""
        lines = [f"{key}: ${value} ({note})" for key, value, note in self.overrides]
        lines += [
            f"{service}/*: {pct}% off (discount_pct from your prices file)" for service, pct in self.discounts
        ]
        return lines


def _parse_yaml(path: Path, raw: bytes) -> object:
    try:
        return parsed_yaml(raw)  # libyaml, and a disk cache by content: every command reads the catalog
    except yaml.YAMLError as e:
        raise CatalogError(f"{path.name}: invalid YAML: {e}") from None


def _validate(model: type[BaseModel], data: object, path: Path) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise CatalogError(f"{path.name}: {e}") from None


def _index(items: Iterable, attr: str, what: str, path: Path) -> dict:
    out: dict = {}
    for item in items:
        key = getattr(item, attr)
        if key in out:
            raise CatalogError(f"{path.name}: duplicate {what} '{key}'")
        out[key] = item
    return out


#: Marks a catalog copy written by ``prices update`` and names its current version (catalog.update).
MARKER = "wheretorun-catalog.json"
VERSIONS = "versions"


def catalog_files_dir(directory: Path) -> Path:
    """Where a catalog directory's data files are: ``directory`` itself, or for a copy written by
    ``prices update`` (it holds ``MARKER``) the version the marker names, ``versions/<id>/``.

    The marker is read once, so a reader sees one whole version even while an update swaps in the
    next one (the marker is replaced atomically; a version's files never change once in place).
    """
    marker = directory / MARKER
    if not marker.is_file():
        return directory
    try:
        current = json.loads(marker.read_text(encoding="utf-8"))["current"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise CatalogError(f"{marker}: unreadable catalog marker ({e})") from None
    if not isinstance(current, str) or not current or "/" in current or current.startswith("."):
        raise CatalogError(f"{marker}: `current` is not a version name")
    return directory / VERSIONS / current


def load_catalog_dir(directory: Path) -> Catalog:
    """Read and validate every data file of a catalog directory (``catalog_files_dir``)."""
    directory = catalog_files_dir(directory)
    prices: dict[str, PriceEntry] = {}
    instances: dict[str, InstanceSpec] = {}
    accelerators: dict[str, AcceleratorSpec] = {}
    models: ModelFile | None = None
    engineering: EngineeringFile | None = None
    limits: dict[str, LimitEntry] = {}
    guidelines: dict[str, GuidelineEntry] = {}
    files = sorted(directory.glob("*.yml"))
    if not files:
        raise CatalogError(f"no catalog files in {directory}")
    digest = hashlib.sha256()
    for path in files:
        raw = path.read_bytes()
        digest.update(path.name.encode() + b"\0" + raw + b"\0")
        data = _parse_yaml(path, raw)
        if not isinstance(data, dict):
            raise CatalogError(f"{path.name}: expected a mapping")
        if "prices" in data:
            pf = _validate(PriceFile, data, path)
            for key, entry in _index(pf.prices, "key", "price key", path).items():
                if key in prices:
                    raise CatalogError(f"{path.name}: price key '{key}' is defined twice")
                prices[key] = entry
        elif "instances" in data:
            f = _validate(InstanceFile, data, path)
            instances.update(_index(f.instances, "type", "instance", path))
        elif "accelerators" in data:
            items = [_validate(AcceleratorSpec, a, path) for a in data["accelerators"]]
            accelerators.update(_index(items, "name", "accelerator", path))
        elif "open_models" in data:
            models = _validate(ModelFile, data, path)
        elif "profiles" in data:
            engineering = _validate(EngineeringFile, data, path)
        elif "limits" in data:
            lf = _validate(LimitFile, data, path)
            limits.update(_index(lf.limits, "key", "limit", path))
        elif "guidelines" in data:
            gf = _validate(GuidelineFile, data, path)
            guidelines.update(_index(gf.guidelines, "key", "guideline", path))
        else:
            raise CatalogError(f"{path.name}: unknown kind of catalog file (keys: {', '.join(data)})")
    if models is None or engineering is None:
        raise CatalogError("catalog needs a models file and an engineering file")
    _check_regions(prices.values())
    _check_instances(instances.values(), prices, accelerators)
    return Catalog(
        prices=prices,
        instances=instances,
        accelerators=accelerators,
        open_models=_index(models.open_models, "id", "model", directory),
        proprietary_models=_index(models.proprietary_models, "id", "model", directory),
        engineering=engineering,
        limits=limits,
        digest=digest.hexdigest(),
        guidelines=guidelines,
    )


def _check_regions(entries: Iterable[PriceEntry]) -> None:
    """Every price has a figure, or a stated reason for none, in every supported region."""
    supported = set(SUPPORTED_REGIONS)
    for e in entries:
        covered = e.region_names | set(e.unavailable)
        unknown = covered - supported
        if unknown:
            raise CatalogError(
                f"price '{e.key}': unknown region(s) {', '.join(sorted(unknown))}; supported: {', '.join(SUPPORTED_REGIONS)}"
            )
        missing = supported - covered
        if missing:
            raise CatalogError(
                f"price '{e.key}': no figure for {', '.join(sorted(missing))}; add one, or say why under `unavailable`"
            )


_INSTANCE_PRICE_PREFIX = {True: "sagemaker/", False: "ec2/"}


def _check_instances(
    instances: Iterable[InstanceSpec], prices: dict[str, PriceEntry], accelerators: dict[str, AcceleratorSpec]
) -> None:
    for inst in instances:
        entry = prices.get(inst.price_key)
        if entry is None:
            raise CatalogError(
                f"instance {inst.type}: price key '{inst.price_key}' has no price entry{did_you_mean(inst.price_key, prices)}"
            )
        if entry.unit != "instance-hours":
            raise CatalogError(
                f"instance {inst.type}: price '{inst.price_key}' is per {entry.unit}, not instance-hours"
            )
        prefix = _INSTANCE_PRICE_PREFIX[inst.type.startswith("ml.")]
        if not inst.price_key.startswith(prefix):
            raise CatalogError(
                f"instance {inst.type}: price key '{inst.price_key}' should start with '{prefix}'"
            )
        if inst.accelerator and inst.accelerator not in accelerators:
            raise CatalogError(
                f"instance {inst.type}: accelerator '{inst.accelerator}' is not in the catalog"
            )


@memo(maxsize=4)
def _load_files(files_dir: str) -> Catalog:
    """Cached by the folder of data files: the embedded catalog is fixed for the process, and a
    ``prices update`` writes a new version folder (never changing one in place), so a refreshed copy
    is read again at the next call instead of being served stale by a long-running process."""
    return load_catalog_dir(Path(files_dir))


def load_catalog(region: str = "us-east-1") -> Catalog:
    """The embedded catalog (or ``$WHERETORUN_CATALOG_DIR``), in ``region``. Cached per process and
    catalog version (``_load_files``)."""
    given = os.environ.get("WHERETORUN_CATALOG_DIR")
    directory = Path(given or DATA_DIR)
    try:
        return _load_files(str(catalog_files_dir(directory))).in_region(region)
    except CatalogError as e:
        if not given:
            raise  # the shipped data: a bug in wheretorun
        # the user's folder (a `prices update` copy, or a mistyped path): theirs to fix, exit 2
        lines = [line.strip() for line in str(e).splitlines() if not line.strip().startswith("For further")]
        raise InputError(
            [
                Problem(
                    "WHERETORUN_CATALOG_DIR",
                    "",
                    f"{given}: {'; '.join(lines)} (unset it to use the catalog shipped with wheretorun)",
                )
            ]
        ) from None
