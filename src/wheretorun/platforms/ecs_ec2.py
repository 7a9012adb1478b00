"""Amazon ECS on EC2 (GPU or CPU instances you manage). ECS itself has no charge
(https://aws.amazon.com/ecs/pricing/): you pay for the instances and the load balancer."""

from __future__ import annotations

from ..results import Blocker
from .base import Context, Priced, Traits
from .ec2_fleet import ec2_limits, price_on_ec2

ID = "ecs-ec2"
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
    return price_on_ec2(ctx, [])
