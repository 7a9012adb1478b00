"""Amazon ECS on EC2 (GPU or CPU instances you manage). ECS itself has no charge
(https://aws.amazon.com/ecs/pricing/): you pay for the instances and the load balancer."""

from __future__ import annotations

from ..results import Blocker, LatencyProfile
from .base import Context, Priced
from .ec2_fleet import ec2_limits, price_on_ec2

ID = "ecs-ec2"


def limits(ctx: Context) -> list[Blocker]:
    return ec2_limits(ctx)


def price(ctx: Context) -> Priced:
    return price_on_ec2(ctx, [])


def ops_key(ctx: Context, priced: Priced) -> str:
    return "ecs-ec2:gpu" if priced.uses_gpu else "ecs-ec2"


def latency(ctx: Context, priced: Priced) -> LatencyProfile:
    return priced.latency or LatencyProfile()
