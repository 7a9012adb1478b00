"""From a workload file to a Report: the entry point of the decision.

``recommend`` merges the user's prices into the catalog (``catalog_merge``), answers every workload
(``assemble.recommend_workload``, in worker processes for a large inventory: ``inventory``) with
the garbage collector paused, and totals the file. The modules of ``decide``:

- ``catalog_merge``: the catalog with the workload file's and ``--prices`` prices merged;
- ``rules``: the playbook's questions, each returning an answer, a reason and an effect;
- ``choose``: applies the rules' effects in order and picks the cheapest eligible option;
- ``pattern``: the pattern of the answer, a table over the picked platforms' traits;
- ``breakeven``: the token volume where self-hosting meets Bedrock;
- ``assemble``: one workload's report from the above;
- ``inventory``: many workloads across processes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path

from .._perf import collector_paused
from ..catalog.bedrock import snapshot_label
from ..errors import InputError
from ..results import CatalogInfo, Report, WorkloadReport
from ..spec.files import FileAccess
from ..spec.models import PriceOverrides, WorkloadFile
from . import account
from . import portfolio as pf
from .assemble import recommend_workload
from .catalog_merge import catalog_for, with_commitment
from .choose import platform_rank
from .closeness import add_close_calls
from .inventory import PARALLEL_MIN_WORKLOADS, answer_all


def recommend(
    wf: WorkloadFile,
    *,
    file: str = "<input>",
    base_dir: Path | str | None = None,
    allow_files_from: Iterable[Path | str] = (),
    prices: PriceOverrides | None = None,
    prices_file: str = "",
    breakeven_curve: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Recommend a platform for every workload of a validated workload file.

    ``breakeven_curve``: also compute the chart data of each workload (``WorkloadReport.breakeven_curve``,
    the cost of Bedrock and of self-hosting across token volumes, and ``.capacity_week``,
    traffic against provisioned capacity over the busiest week). Only what draws charts asks for
    it (HTML, ``--charts``, ``breakeven``): for an inventory it is most of the report's bytes and a
    third of its time.

    ``base_dir``: the workload file's folder; files the workload names (``traffic_profile``) are
    read only from inside it or from a folder of ``allow_files_from`` (``spec.files``). Without
    it (a document from the API) no file is read.
    """
    catalog = catalog_for(wf, file, prices, prices_file)
    wf, commitment = with_commitment(wf, prices, prices_file)
    base = FileAccess.of(base_dir, allow_files_from)
    memo: dict = {}  # one catalog, one file: shared by every workload (platforms.base.Context.memo)

    def answer(i: int) -> WorkloadReport:
        return recommend_workload(
            wf, i, catalog, file, base, curve=breakeven_curve, memo=memo, commitment_note=commitment
        )

    def answer_forced(i: int, force: dict[str, str]) -> WorkloadReport:
        return recommend_workload(
            wf,
            i,
            catalog,
            file,
            base,
            curve=breakeven_curve,
            memo=memo,
            force=force,
            commitment_note=commitment,
        )

    n = len(wf.workloads)
    with collector_paused(keep_results=n >= PARALLEL_MIN_WORKLOADS):
        reports, problems = answer_all(n, answer, on_progress)
    if problems:
        raise InputError(problems)
    reports, shared, folio = pf.place_jointly(reports, answer_forced, platform_rank())
    shared, folio = account.with_allowances(reports, shared, folio, catalog, wf.preferences.free_tier)
    add_close_calls(reports, wf, shared)
    total = sum(
        (r.recommendation.monthly_cost_usd.total for r in reports if r.recommendation.monthly_cost_usd),
        Decimal(0),
    ) + sum((c.monthly_usd for c in shared), Decimal(0))
    report = Report(
        catalog=CatalogInfo(
            as_of=catalog.as_of.isoformat(),
            region=catalog.region,
            oldest=catalog.oldest.isoformat(),
            bedrock_prices=snapshot_label(),
            overrides=[note for _, _, note in catalog.overrides]
            + [f"{p}% off {s}" for s, p in catalog.discounts],
        ),
        workloads=reports,
        total_monthly_cost_usd=total,
        shared_costs=shared,
        portfolio=folio,
        team=wf.team,
        source_file=file,
    )
    return report
