"""Amazon EKS on EC2 (GPU or CPU node groups / Karpenter): instances plus the control plane.

The control plane is billed per cluster-hour (https://aws.amazon.com/eks/pricing/); a cluster
shared by several workloads splits it -- the note says so, the line charges it in full.
"""

from __future__ import annotations

from ..results import Blocker, CostComponent, LatencyProfile
from ..units import HOURS_PER_MONTH
from .base import Context, Priced, line
from .ec2_fleet import ec2_limits, price_on_ec2

ID = "eks-ec2"


def limits(ctx: Context) -> list[Blocker]:
    return ec2_limits(ctx)


def price(ctx: Context) -> Priced:
    return price_on_ec2(ctx, [ctx.shared(("eks-control-plane",), lambda: control_plane(ctx))])


def control_plane(ctx: Context) -> CostComponent:
    """The same line for every workload (shared: ``Context.memo``)."""
    return line(
        "EKS cluster (control plane)",
        ctx.price("eks/control-plane"),
        HOURS_PER_MONTH,
        driver="fixed",  # the control plane runs all month, whatever the traffic
        purchase="on-demand",
        note="one cluster for this workload; shared clusters split this line",
    )


def ops_key(ctx: Context, priced: Priced) -> str:
    return "eks-ec2:gpu" if priced.uses_gpu else "eks-ec2"


def latency(ctx: Context, priced: Priced) -> LatencyProfile:
    return priced.latency or LatencyProfile()
