"""Account-wide allowances counted once per file (issue 15): Lambda's free tier and duration tiers.

AWS applies both per account and month, not per function (https://aws.amazon.com/lambda/pricing/:
"1M free requests per month and 400,000 GB-seconds of compute time per month, usable for functions
powered by both x86, and Graviton2 processors"; the duration tiers are "per account, per month,
across all functions" of one architecture, catalog ``lambda/duration-*`` note). Each workload's
invoice is priced as if its functions were the account's only ones, which is what it costs alone.
For the file, the difference between the account's bill and the sum of those per-function bills
is one shared cost (kind ``infra``, platform ``lambda``), listed in ``Report.shared_costs``:

- ``Lambda free tier once per account``: the per-function allowances added back, the account's
  one allowance taken off (positive when two or more functions each used some of it).
- ``Lambda duration tiers across the account``: the on-demand duration of every function and
  Step Functions step, re-priced through the tiers as one quantity per architecture, less what
  the per-function invoices charged (negative once the account passes the first tier, 6B GB-s on
  x86).

Every Lambda request and on-demand duration line of the placed options counts, whichever platform
bills it (Step Functions' Lambda steps included). Lines bought on a Savings Plan or provisioned
concurrency are left as charged (their rate is not the tiered on-demand one). The account's free
GB-seconds go to x86 duration first (the dearer rate: AWS does not say which architecture it
applies to first; this is the assumption, stated on the line). The joint placement
(``decide.portfolio``) is made before these adjustments: they are worth at most the free tier
($6.87/month at us-east-1 prices) or a few percent of duration beyond 6B GB-s.
"""

from __future__ import annotations

from decimal import Decimal

from ..catalog.store import Catalog
from ..invoice import construct, line, tiered_lines
from ..results import CostComponent, Option, Portfolio, SharedCost, WorkloadReport

REQUESTS = "lambda/requests"
DURATION = {"x86": "lambda/duration-x86", "arm64": "lambda/duration-arm64"}
#: AWS Lambda's always-free allowance per account and month (https://aws.amazon.com/lambda/pricing/)
FREE_REQUESTS_M = Decimal(1)  # in the price's unit, 1M requests
FREE_GB_SECONDS = Decimal(400_000)


def _shared(name: str, lines: list[CostComponent]) -> SharedCost:
    return construct(
        SharedCost,
        name=name,
        platform="lambda",
        kind="infra",
        monthly_usd=sum((c.monthly_usd for c in lines), Decimal(0)),
        cost_components=lines,
    )


def lambda_allowances(picks: list[Option], catalog: Catalog, free_tier: bool) -> list[SharedCost]:
    """The file's Lambda account adjustments for the placed options ``picks`` (empty when there is
    nothing to adjust: no Lambda lines, one function under the allowance, under the first tier)."""
    comps = [c for o in picks for c in o.cost_components if c.price_key in (REQUESTS, *DURATION.values())]
    if not comps:
        return []
    out = []
    if free_tier:
        out += _free_tier(comps, catalog)
    out += _duration_tiers(comps, catalog)
    return out


def _free_tier(comps: list[CostComponent], catalog: Catalog) -> list[SharedCost]:
    req = catalog.price(REQUESTS)
    used_req = sum(
        (c.quantity for c in comps if c.price_key == REQUESTS and c.purchase != "free-tier"), Decimal(0)
    )
    credited_req = -sum(
        (c.quantity for c in comps if c.price_key == REQUESTS and c.purchase == "free-tier"), Decimal(0)
    )
    lines = []
    if credited_req or used_req:
        lines += [
            line(
                "Free tier (requests), as counted per function: added back",
                req,
                credited_req,
                driver="fixed",
                purchase="free-tier",
                note="each workload's invoice took the 1M free requests off as if its functions were alone",
            ),
            line(
                "Free tier (requests), once per account",
                req,
                -min(used_req, FREE_REQUESTS_M),
                driver="fixed",
                purchase="free-tier",
                note=f"1M requests/month always free for the account; the file's functions make {used_req:,.6g}M",
            ),
        ]
    left = FREE_GB_SECONDS
    for arch, key in DURATION.items():  # x86 first: the dearer rate (module docstring)
        ref = catalog.price(key)
        first = ref.tiers[0].price if ref.tiers else ref.value
        used = sum(
            (c.quantity for c in comps if c.price_key == key and c.purchase == "on-demand"), Decimal(0)
        )
        credited = [c for c in comps if c.price_key == key and c.purchase == "free-tier"]
        if not used and not credited:
            continue
        lines.append(
            line(
                f"Free tier (duration, {arch}), as counted per function: added back",
                ref,
                -sum((c.quantity for c in credited), Decimal(0)),
                unit_price=first,
                driver="fixed",
                purchase="free-tier",
                note="each workload's invoice took 400,000 GB-s off as if its functions were alone",
            )
        )
        take = min(used, left)
        left -= take
        lines.append(
            line(
                f"Free tier (duration, {arch}), once per account",
                ref,
                -take,
                unit_price=first,
                driver="fixed",
                purchase="free-tier",
                note=f"400,000 GB-s/month always free for the account, x86 first; {arch} functions use {used:,.0f} GB-s",
            )
        )
    if not lines or sum((c.monthly_usd for c in lines), Decimal(0)) == 0:
        return []
    return [_shared("Lambda free tier once per account", lines)]


def _duration_tiers(comps: list[CostComponent], catalog: Catalog) -> list[SharedCost]:
    lines = []
    for arch, key in DURATION.items():
        ref = catalog.price(key)
        billed = [c for c in comps if c.price_key == key and c.purchase == "on-demand"]
        used = sum((c.quantity for c in billed), Decimal(0))
        if not billed or not ref.tiers or used <= (ref.tiers[0].up_to or used):
            continue  # under the first tier, per function and per account alike
        account = tiered_lines(
            "Duration across the account",
            arch,
            ref,
            used,
            "GB-s",
            driver="volume",
            purchase="on-demand",
            note="every function's on-demand GB-s of this architecture in the file, through the account's tiers",
        )
        charged = sum((c.monthly_usd for c in billed), Decimal(0))
        lines += account
        lines.append(
            construct(
                CostComponent,
                name=f"Duration ({arch}) as charged per function: taken back",
                unit="USD",
                quantity=Decimal(1),
                unit_price_usd=-charged,
                monthly_usd=-charged,
                price_key=key,
                source=ref.source,
                as_of=ref.as_of.isoformat(),
                verified=ref.verified,
                note="the per-function invoices each priced their GB-s from the first tier",
                kind="infra",
                scales_with=["volume"],
                driver="volume",
                purchase="on-demand",
            )
        )
    if not lines:
        return []
    return [_shared("Lambda duration tiers across the account", lines)]


def _placed(reports: list[WorkloadReport], standalone: bool) -> list[Option]:
    """The options the workloads run on: as placed jointly, or (``standalone``) as if each were alone."""
    out = []
    for w in reports:
        r = w.recommendation
        for options, pick, alone in (
            (w.options, w.chosen, r.standalone_platform),
            (w.model_options, w.chosen_model, r.standalone_model_platform),
        ):
            if standalone and alone:
                pick = next((o for o in options if o.platform == alone), pick)
            if pick is not None:
                out.append(pick)
    return out


def with_allowances(
    reports: list[WorkloadReport],
    shared: list[SharedCost],
    folio: Portfolio,
    catalog: Catalog,
    free_tier: bool,
) -> tuple[list[SharedCost], Portfolio]:
    """``shared`` and ``folio`` with the account adjustments of the joint placement added (and the
    standalone total with those of the standalone placement, so the two totals compare alike)."""
    joint = lambda_allowances(_placed(reports, False), catalog, free_tier)
    alone = lambda_allowances(_placed(reports, True), catalog, free_tier)

    def total(s: list[SharedCost]) -> Decimal:
        return sum((c.monthly_usd for c in s), Decimal(0))

    folio = folio.model_copy(
        update={
            "standalone_total_usd": folio.standalone_total_usd + total(alone),
            "joint_total_usd": folio.joint_total_usd + total(joint),
        }
    )
    return shared + joint, folio
