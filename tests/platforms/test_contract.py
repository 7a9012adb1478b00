"""Every platform keeps one declared contract (``base.PlatformModule``), and the decision reads its
traits, so adding a platform is its module, its data and its tests."""

from __future__ import annotations

import types

import pytest

from wheretorun import load_workloads
from wheretorun.catalog.store import load_catalog
from wheretorun.decide.catalog_merge import catalog_for
from wheretorun.decide.pattern import pattern_for
from wheretorun.platforms import PLATFORMS, Traits, having, traits
from wheretorun.platforms.usage import derive_usage
from wheretorun.results import MonthlyCost, Option


@pytest.mark.parametrize("pid", list(PLATFORMS))
def test_each_platform_declares_the_contract_and_nothing_else(pid):
    m = PLATFORMS[pid]
    assert pid == m.ID
    assert isinstance(m.TRAITS, Traits)
    assert callable(m.limits) and callable(m.price)
    # the engineering profile and the latency come from the contract's defaults: no stubs
    assert not hasattr(m, "ops_key") and not hasattr(m, "latency")


@pytest.mark.parametrize("pid", list(PLATFORMS))
def test_each_platform_has_its_engineering_profiles(pid):
    catalog = load_catalog()
    assert catalog.engineering_profile(pid)
    if traits(pid).gpu_ops_profile:
        assert catalog.engineering_profile(f"{pid}:gpu")


@pytest.mark.parametrize(
    ("wanted", "expected"),
    [
        # the groups the rules used to spell out as platform-id tuples
        (
            {"self_hosted": True},
            ("ecs-ec2", "eks-ec2", "sagemaker-endpoint", "sagemaker-serverless", "sagemaker-async"),
        ),
        ({"managed_model": True}, ("bedrock", "bedrock-batch", "bedrock-custom-import")),
        ({"self_hosted": True, "gpu_ops_profile": True}, ("ecs-ec2", "eks-ec2")),
        (
            {"gpu_capable": False, "hosts_weights": True, "workflow": False},
            ("lambda", "fargate", "sagemaker-serverless"),
        ),
        ({"batch": True}, ("aws-batch", "bedrock-batch")),
        # AWS runs the instances: the way to GPUs for a team without GPU operations (rules.q6)
        ({"managed_instances": True}, ("sagemaker-endpoint", "sagemaker-serverless", "sagemaker-async")),
    ],
)
def test_trait_groups(wanted, expected):
    assert having(**wanted) == expected


def test_a_new_platform_gets_its_pattern_from_its_traits_not_a_branch(monkeypatch):
    """Before, a platform without a branch in engine.pattern_for was labelled cpu-model-on-lambda."""
    new = types.SimpleNamespace(
        ID="new-platform",
        TRAITS=Traits(
            hosts_weights=True,
            self_hosted=False,
            managed_model=False,
            gpu_capable=False,
            batch=False,
            containers=False,
            model_pattern="model-on-new-platform",
        ),
    )
    monkeypatch.setitem(PLATFORMS, "new-platform", new)
    wf = load_workloads(
        {
            "workloads": [
                {
                    "name": "m",
                    "role": "inference",
                    "model": {"id": "bge-small-en-v1.5"},
                    "requests_per_month": 1,
                }
            ]
        }
    )
    usage = derive_usage(wf, 0, catalog_for(wf, "<t>"), "<t>", None)
    pick = Option(
        platform="new-platform", feasible=True, monthly_cost_usd=MonthlyCost(infra=1, ops=0, total=1)
    )
    assert pattern_for(usage, pick, None, False, 900) == "model-on-new-platform"
