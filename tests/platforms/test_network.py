"""The network lines (issue 13): NAT gateways for what runs in your VPC, interface endpoints for a
managed model reached from inside it, data transfer out at its tiers (platforms/network.py).

Expected figures are computed by hand from the catalog's us-east-1 prices (services.yml):
NAT $0.045 per gateway-hour and per GB; interface endpoint $0.01 per endpoint-hour per AZ and
$0.01 / $0.006 / $0.004 per GB (first 1 PB = 1,048,576 GB, next 4 PB, over); data transfer out
$0.09 / $0.085 / $0.07 / $0.05 per GB (first 10 TB = 10,240 GB, next 40 TB, next 100 TB, over).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from platform_cases import option, workload_file
from wheretorun import load_workloads, recommend
from wheretorun.errors import InputError


def net(opt) -> dict:
    """The option's network lines by name."""
    return {
        c.name: c
        for c in opt.cost_components
        if c.price_key and c.price_key.startswith(("nat/", "vpc/", "data-transfer/"))
    }


def usd(lines: dict) -> dict:
    return {k: c.monthly_usd for k, c in lines.items()}


# ---- NAT gateways --------------------------------------------------------------------------------
@pytest.mark.parametrize("platform", ["fargate", "ecs-ec2", "eks-ec2", "aws-batch"])
def test_what_runs_in_your_vpc_pays_one_nat_gateway_per_zone(platform: str) -> None:
    # 2 AZs (default) x 730 h x $0.045 = $65.70; GB through it unknown: named in a note, not charged
    opt = option(workload_file(trigger="schedule", duration_s=2), platform)
    assert opt.feasible, opt.blocked_by
    (nat,) = net(opt).values()
    assert (nat.name, nat.quantity, nat.unit_price_usd, nat.monthly_usd) == (
        "NAT gateway (2 AZs)",
        Decimal(1460),
        Decimal("0.045"),
        Decimal("65.7"),
    )
    # typed so that the organisation view can count it once per file (issue 15)
    assert (nat.driver, nat.purchase, nat.shared_key) == ("fixed", "on-demand", "vpc/nat-gateway")
    assert any("NAT gateway data processing not priced: $0.045 per GB" in n for n in opt.notes)


@pytest.mark.parametrize(
    ("vpc", "expected"),
    [
        # 3 AZs: 3 x 730 x $0.045 = $98.55
        ({"availability_zones": 3}, {"NAT gateway (3 AZs)": "98.55"}),
        # 1,000 GB through it: 1,000 x $0.045 = $45.00, on top of the $65.70
        ({"nat_gb_per_month": 1000}, {"NAT gateway (2 AZs)": "65.7", "NAT gateway data processed": "45"}),
        # the user has no NAT gateway to pay for
        ({"nat_gateway": False}, {}),
    ],
)
def test_nat_assumptions_are_overridable(vpc: dict, expected: dict) -> None:
    opt = option(workload_file(trigger="queue", duration_s=2, vpc=vpc), "fargate")
    assert usd(net(opt)) == {k: Decimal(v) for k, v in expected.items()}
    if not expected:
        assert any("no NAT gateway priced" in n and "vpc.nat_gateway is false" in n for n in opt.notes)


def test_lambda_pays_a_nat_gateway_only_when_attached_to_your_vpc() -> None:
    assert net(option(workload_file(), "lambda")) == {}
    attached = option(workload_file(data_must_stay_in_vpc=True), "lambda")
    assert usd(net(attached)) == {"NAT gateway (2 AZs)": Decimal("65.7")}


def test_managed_services_pay_no_nat() -> None:
    for platform in ("step-functions",):
        assert net(option(workload_file(), platform)) == {}


# ---- interface endpoints -------------------------------------------------------------------------
def _model(**extra: object) -> dict:
    # 1M requests x (1,000 + 250) tokens = 1.25B tokens a month
    return workload_file(
        role="inference",
        model={"id": "llama-3.1-8b"},
        input_tokens=1000,
        output_tokens=250,
        data_must_stay_in_vpc=True,
        **extra,
    )


@pytest.mark.parametrize(
    ("platform", "service"),
    [("bedrock", "bedrock-runtime"), ("sagemaker-endpoint", "sagemaker.runtime")],
)
def test_a_managed_model_inside_the_vpc_is_reached_through_an_interface_endpoint(
    platform: str, service: str
) -> None:
    opt = option(_model(), platform)
    assert opt.feasible, opt.blocked_by
    lines = net(opt)
    # 2 AZs x 730 h x $0.01 = $14.60, shared by the VPC's workloads
    hours = lines[f"VPC interface endpoint ({service}, 2 AZs)"]
    assert (hours.quantity, hours.monthly_usd) == (Decimal(1460), Decimal("14.6"))
    assert hours.shared_key == f"vpc/interface-endpoint/{service}"
    # 1.25B tokens x 4 bytes = 5 GB x $0.01 = $0.05 (first tier)
    (data,) = [c for name, c in lines.items() if name.startswith("VPC endpoint data processed")]
    assert (data.quantity, data.monthly_usd) == (Decimal(5), Decimal("0.05"))
    assert "4 bytes per token" in (data.note or "")


def test_endpoint_gb_at_the_1_pb_tier_boundary() -> None:
    # 2,000,000 GB: 1,048,576 x $0.01 = $10,485.76 + 951,424 x $0.006 = $5,708.544
    opt = option(_model(vpc={"endpoint_gb_per_month": 2_000_000}), "bedrock")
    data = [c for name, c in net(opt).items() if name.startswith("VPC endpoint data processed")]
    assert [(c.quantity, c.monthly_usd) for c in data] == [
        (Decimal(1_048_576), Decimal("10485.76")),
        (Decimal(951_424), Decimal("5708.544")),
    ]


def test_no_endpoint_when_the_data_may_leave_the_vpc() -> None:
    data = _model()
    data["workloads"][0]["data_must_stay_in_vpc"] = False
    assert net(option(data, "bedrock")) == {}


# ---- data transfer out ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("gb", "expected"),
    [
        # exactly the first tier: 10,240 x $0.09 = $921.60
        (10_240, ["921.6"]),
        # 20,000 GB: 10,240 x $0.09 + 9,760 x $0.085 = $921.60 + $829.60
        (20_000, ["921.6", "829.6"]),
        # 200,000 GB: + 40,960 x $0.085 = $3,481.60; 102,400 x $0.07 = $7,168; 46,400 x $0.05 = $2,320
        (200_000, ["921.6", "3481.6", "7168", "2320"]),
    ],
)
def test_data_transfer_out_at_its_tiers_on_every_option(gb: int, expected: list[str]) -> None:
    for platform in ("lambda", "fargate"):
        opt = option(workload_file(egress_gb_per_month=gb, arch="x86_64"), platform)
        out = [c for c in opt.cost_components if c.price_key == "data-transfer/out-internet"]
        assert [c.monthly_usd for c in out] == [Decimal(v) for v in expected]
        assert all(c.driver == "volume" and c.purchase == "on-demand" for c in out)


def test_data_transfer_out_is_counted_once_on_the_layer_that_answers_users() -> None:
    # an orchestration workload calling a model: the answers leave from the orchestration layer
    data = workload_file(
        role="orchestration", model={"id": "llama-3.1-8b"}, input_tokens=500, output_tokens=100
    )
    data["workloads"][0]["egress_gb_per_month"] = 100
    w = recommend(load_workloads(data), file="<t>").workloads[0]
    keys = [
        (o.layer, c.monthly_usd)
        for o in [*w.options, *w.model_options]
        if o.feasible
        for c in o.cost_components
        if c.price_key == "data-transfer/out-internet"
    ]
    # 100 GB x $0.09 = $9.00, on orchestration options only
    assert keys and all(k == ("orchestration", Decimal(9)) for k in keys)


# ---- input ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("vpc", "field"),
    [({"availability_zones": 0}, "vpc.availability_zones"), ({"nat_gb": 3}, "vpc.nat_gb")],
)
def test_a_bad_vpc_field_is_an_input_error_naming_it(vpc: dict, field: str) -> None:
    with pytest.raises(InputError) as e:
        load_workloads(workload_file(vpc=vpc))
    assert f"workloads[0].{field}" in str(e.value)
