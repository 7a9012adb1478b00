"""Amazon EKS on EC2 (GPU or CPU node groups / Karpenter): instances plus the control plane.

The control plane is billed per cluster-hour (https://aws.amazon.com/eks/pricing/); a cluster
shared by several workloads splits it -- the note says so, the line charges it in full.
"""

from __future__ import annotations

from ..results import Blocker, CostComponent
from ..units import HOURS_PER_MONTH
from .base import Context, Priced, Traits, line
from .ec2_fleet import ec2_limits, price_on_ec2

ID = "eks-ec2"
TRAITS = Traits(
    vpc="yours",
    hosts_weights=True,
    self_hosted=True,
    managed_model=False,
    gpu_capable=True,
    batch=False,
    containers=True,
    model_pattern="cpu-model-on-containers",
    gpu_pattern="self-hosted-llm-on-gpu",
    gpu_ops_profile=True,
)


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
