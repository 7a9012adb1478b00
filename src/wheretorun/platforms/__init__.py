"""One module per AWS platform, each answering the same questions (see ``base``)."""

from __future__ import annotations

from types import ModuleType

from . import (
    aws_batch,
    bedrock,
    bedrock_batch,
    bedrock_custom_import,
    ecs_ec2,
    eks_ec2,
    fargate,
    lambda_,
    sagemaker_async,
    sagemaker_endpoint,
    sagemaker_serverless,
    step_functions,
)
from .base import Context, assess

#: Contract platform ids (../shared/DESIGN.md), in the order options are listed.
PLATFORMS: dict[str, ModuleType] = {
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
        bedrock_custom_import,
        sagemaker_endpoint,
        sagemaker_serverless,
        sagemaker_async,
    )
}
PLATFORM_IDS = tuple(PLATFORMS)

__all__ = ["PLATFORMS", "PLATFORM_IDS", "Context", "assess"]
