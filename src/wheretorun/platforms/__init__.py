"""One module per AWS platform, each keeping the same contract (``base.PlatformModule``), and
the one registry of them."""

from __future__ import annotations

from . import (
    aws_batch,
    bedrock,
    bedrock_batch,
    ecs_ec2,
    eks_ec2,
    fargate,
    lambda_,
    sagemaker_endpoint,
    step_functions,
)
from .base import Context, PlatformModule, Traits, assess

#: Contract platform ids (../shared/DESIGN.md), in the order options are listed.
PLATFORMS: dict[str, PlatformModule] = {
    m.ID: m
    for m in (
        lambda_,
        step_functions,
        fargate,
        ecs_ec2,
        eks_ec2,
        aws_batch,
        bedrock,
        bedrock_batch,
        sagemaker_endpoint,
    )
}
PLATFORM_IDS = tuple(PLATFORMS)


def traits(platform_id: str) -> Traits:
    """The declared traits of a platform (``base.Traits``)."""
    return PLATFORMS[platform_id].TRAITS


def having(**wanted: bool) -> tuple[str, ...]:
    """The platform ids whose traits have these values, in registry order, e.g.
    ``having(self_hosted=True)``."""
    return tuple(
        pid for pid, m in PLATFORMS.items() if all(getattr(m.TRAITS, k) == v for k, v in wanted.items())
    )


__all__ = ["PLATFORMS", "PLATFORM_IDS", "Context", "PlatformModule", "Traits", "assess", "having", "traits"]
