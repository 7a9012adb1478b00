"""Apply the rules' outcomes in order, then pick: the one place the decision changes.

Optimizer-style (SkyPilot's sky/optimizer.py): the platforms have priced every option and ruled the
infeasible ones out with a typed reason; ``decide`` asks the rules (``rules.RULES``) in order,
applies each outcome's effect (``apply``) so the next rule sees it, and ranks what remains by total
(infrastructure + engineering). The cheapest eligible option wins; a demoted one only when nothing
else is feasible. The trace is rendered from the outcomes, then the ranking.
"""

from __future__ import annotations

from ..invoice import construct
from ..platforms import PLATFORMS
from ..results import Option, TraceStep
from . import portfolio as pf
from .rules import RULES, Decision, Demote, Exclude, Require, Rule, RuleOutcome, Warn

#: The warning of a layer no platform can run (a workload's whole answer, or the model it calls).
NO_PLATFORM_FITS = "no platform can run this workload as described"


def platform_rank() -> dict[str, int]:
    """Ties in cost go to the platform registered first (``platforms.PLATFORMS`` order, read when
    asked: a platform registered later ranks too)."""
    return {pid: i for i, pid in enumerate(PLATFORMS)}


def apply(d: Decision, outcome: RuleOutcome) -> None:
    """Record a rule's outcome: its trace step, then its effect on the decision."""
    # three strings built here: no validation needed (hot path for inventories of thousands)
    d.trace.append(
        construct(
            TraceStep,
            question=d.trace_prefix + outcome.question,
            answer=outcome.answer,
            because=outcome.reason,
        )
    )
    effect = outcome.effect
    if isinstance(effect, Exclude):
        d.excluded.update(effect.reasons)
        d.__dict__.pop("feasible", None)  # listed again without them when next asked
    elif isinstance(effect, Demote):
        d.not_preferred.update(effect.reasons)
    elif isinstance(effect, Require):
        d.constraints.add(effect.constraint)
    elif isinstance(effect, Warn):
        d.warnings.append(effect.text)


def decide(d: Decision, rules: tuple[Rule, ...] = RULES, force: str | None = None) -> Option | None:
    """Ask every rule in order, applying each outcome before the next rule reads the decision;
    then choose (``force``: see ``choose``)."""
    for rule in rules:
        outcome = rule(d)
        if outcome is not None:
            apply(d, outcome)
    return choose(d, force)


def choose(d: Decision, force: str | None = None) -> Option | None:
    """Cheapest eligible total as if alone; demoted options win only while nothing else is feasible.
    Ties in cost go to the platform registered first (``platforms.PLATFORMS`` order).

    ``force``: the platform the file's joint placement gives this layer (``decide.portfolio``); the
    option chosen as if alone is then recorded in ``d.standalone`` and the trace says why it moved."""
    rank = platform_rank()
    ranked = sorted(d.feasible, key=lambda o: (o.monthly_cost_usd.total, rank[o.platform]))  # type: ignore[union-attr]
    for o in ranked:
        if o.platform in d.not_preferred:
            o.notes.append(f"{pf.NOT_RECOMMENDED}{d.not_preferred[o.platform]}")
    eligible = [o for o in ranked if o.platform not in d.not_preferred]
    if not ranked:
        apply(
            d,
            RuleOutcome(
                "Which feasible option costs least in total?",
                "none is feasible",
                "every platform breaks a hard limit (see above): change the workload (a smaller or open model, "
                "a queue for long work, a lower precision) and ask again.",
                Warn(NO_PLATFORM_FITS),
            ),
        )
        return None
    if not eligible:
        pick = ranked[0]
        d.warnings.append(
            f"only platforms the team is not ready for are feasible: {pick.platform} is recommended anyway, "
            f"with {pick.ops_profile.monthly_hours if pick.ops_profile else 0:,.0f} engineering hours a month"
        )
    else:
        pick = eligible[0]
    lines = []
    for o in ranked[:5]:
        mc = o.monthly_cost_usd
        assert mc is not None
        flag = " (not preferred)" if o.platform in d.not_preferred else ""
        what = f" {o.instance_type}" if o.instance_type else ""
        lines.append(
            f"{o.platform}{what} ${mc.total:,.2f} (${mc.infra:,.2f} infra + ${mc.ops:,.2f} engineering){flag}"
        )
    runner = next((o for o in ranked if o is not pick), None)
    gap = ""
    if runner is not None and pick.monthly_cost_usd and runner.monthly_cost_usd:
        diff = runner.monthly_cost_usd.total - pick.monthly_cost_usd.total
        # a demoted option can be cheaper than the pick: the gap is the difference either way
        gap = f"; {pick.platform} is ${abs(diff):,.2f}/month {'cheaper than' if diff >= 0 else 'dearer than'} {runner.platform}"
    apply(
        d,
        RuleOutcome(
            "Which feasible option costs least in total (infrastructure + engineering), as if alone?",
            pick.platform,
            "ranked: " + "; ".join(lines) + gap + ".",
        ),
    )
    moved = next((o for o in ranked if o.platform == force), None) if force else None
    if moved is not None and moved is not pick:
        d.standalone = pick
        apply(
            d,
            RuleOutcome(
                "Where does the file's joint placement put it?", moved.platform, pf.moved_because(pick, moved)
            ),
        )
        return moved
    return pick
