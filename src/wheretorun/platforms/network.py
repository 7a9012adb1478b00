"""The network a workload is reached through and sends from: NAT gateways, VPC interface endpoints
and data transfer out to the internet (issue 13). Every feasible option gets these lines from
``base.assess``, by one rule written here once:

- **NAT gateways** (https://aws.amazon.com/vpc/pricing/) for an option that runs in your VPC
  (``Traits.vpc``: Fargate, ECS/EKS on EC2, AWS Batch always; Lambda when ``data_must_stay_in_vpc``
  attaches it to the VPC). Its tasks and instances sit in private subnets, the layout AWS recommends,
  and reach the internet and AWS APIs (image pulls, Bedrock, outside APIs) through one NAT gateway per
  Availability Zone: ``vpc.availability_zones`` (default 2) x 730 hours, plus ``vpc.nat_gb_per_month``
  processed (when omitted, the per-GB price is named in a note: a cost that depends on an unknown
  usage is never shown as $0). ``vpc.nat_gateway: false`` says there is none to price.
- **Interface endpoints** (https://aws.amazon.com/privatelink/pricing/) for a managed model reached
  from inside the VPC when the data must stay there (``data_must_stay_in_vpc``; Bedrock also needs
  ``privatelink_ok``, or it is blocked before pricing): one endpoint to the service
  (``Traits.vpc_endpoint``: bedrock-runtime, sagemaker.runtime) per zone x 730 hours, plus the GB it
  carries (``vpc.endpoint_gb_per_month``, default the request and response text at 4 bytes per token).
- **Data transfer out** to the internet (https://aws.amazon.com/ec2/pricing/on-demand/, Data Transfer)
  from ``egress_gb_per_month`` at its monthly tiers, on the layer that answers the users (the
  orchestration layer of an orchestration workload, else the model layer): the same on every option.

The NAT gateways and an interface endpoint serve every workload of the VPC: their hourly lines carry
a ``shared_key`` (``vpc/nat-gateway``, ``vpc/interface-endpoint/<service>``) so that the
organisation view (issue 15) counts each once per file. A workload alone pays them in full.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from ..invoice import line, tiered_lines
from ..results import CostComponent
from ..spec.models import ORCHESTRATION_ROLES
from ..units import HOURS_PER_MONTH, money

if TYPE_CHECKING:  # base imports this module: the types only
    from .base import Context, Traits

#: Bytes of request or response text per token (English text is ~4 characters a token, 1 byte each in
#: UTF-8; https://platform.openai.com/tokenizer "a token is about 4 characters"). JSON framing is left out.
BYTES_PER_TOKEN = 4
NAT_KEY = "vpc/nat-gateway"
ENDPOINT_KEY = "vpc/interface-endpoint/"


def network_lines(traits: Traits, ctx: Context) -> tuple[list[CostComponent], list[str]]:
    """(invoice lines, notes) of the network for one feasible option (see the module docstring)."""
    lines: list[CostComponent] = []
    notes: list[str] = []
    for part in (_nat(traits, ctx), _endpoint(traits, ctx), _egress(ctx)):
        lines += part[0]
        notes += part[1]
    return lines, notes


def in_your_vpc(traits: Traits, ctx: Context) -> bool:
    """Does the option run in your subnets (so its outbound calls need a way out)?"""
    return traits.vpc == "yours" or (traits.vpc == "when-required" and ctx.workload.data_must_stay_in_vpc)


def _zones(ctx: Context) -> tuple[int, str]:
    azs = ctx.workload.vpc.availability_zones
    given = (
        "vpc" in ctx.workload.model_fields_set and "availability_zones" in ctx.workload.vpc.model_fields_set
    )
    return (
        azs,
        f"{azs} Availability Zone{'s' if azs > 1 else ''} (vpc.availability_zones{'' if given else ', default'})",
    )


def _nat(traits: Traits, ctx: Context) -> tuple[list[CostComponent], list[str]]:
    if not in_your_vpc(traits, ctx):
        return [], []
    vpc = ctx.workload.vpc
    where = (
        "attached to your VPC (data_must_stay_in_vpc)"
        if traits.vpc == "when-required"
        else "in your VPC's subnets"
    )
    if not vpc.nat_gateway:
        return [], [f"no NAT gateway priced: runs {where}, and vpc.nat_gateway is false"]
    azs, zones = _zones(ctx)
    ref = ctx.price("nat/hours")
    out = [
        line(
            f"NAT gateway ({azs} AZ{'s' if azs > 1 else ''})",
            ref,
            money(azs) * HOURS_PER_MONTH,
            driver="fixed",  # the gateways run all month, whatever the traffic
            purchase="on-demand",
            shared_key=NAT_KEY,
            note=f"one NAT gateway per zone x {HOURS_PER_MONTH} h: {zones}; private subnets reach the internet and "
            "AWS APIs through it; every workload of the VPC shares it (shared_key vpc/nat-gateway); "
            "vpc.nat_gateway: false if there is none",
        )
    ]
    notes = []
    gb_ref = ctx.price("nat/data-processed")
    if vpc.nat_gb_per_month is None:
        notes.append(
            f"NAT gateway data processing not priced: ${gb_ref.value} per GB the workload sends or fetches through it "
            "(outside APIs, AWS APIs without an endpoint, image pulls); set vpc.nat_gb_per_month"
        )
    else:
        out.append(
            line(
                "NAT gateway data processed",
                gb_ref,
                money(vpc.nat_gb_per_month),
                driver="volume",
                purchase="on-demand",
                scales_with=["volume"],
                note=f"{vpc.nat_gb_per_month:,g} GB a month (vpc.nat_gb_per_month)",
            )
        )
    return out, notes


def _endpoint(traits: Traits, ctx: Context) -> tuple[list[CostComponent], list[str]]:
    w = ctx.workload
    service = traits.vpc_endpoint
    if service is None or not w.data_must_stay_in_vpc or not ctx.is_model_layer:
        return [], []
    azs, zones = _zones(ctx)
    out = [
        line(
            f"VPC interface endpoint ({service}, {azs} AZ{'s' if azs > 1 else ''})",
            ctx.price("vpc/interface-endpoint-hours"),
            money(azs) * HOURS_PER_MONTH,
            driver="fixed",
            purchase="on-demand",
            shared_key=ENDPOINT_KEY + service,
            note=f"the data stays in your VPC (data_must_stay_in_vpc): callers reach {service} through PrivateLink; "
            f"one endpoint attachment per zone x {HOURS_PER_MONTH} h: {zones}; shared by every workload of the VPC "
            f"(shared_key {ENDPOINT_KEY + service})",
        )
    ]
    notes = []
    gb, how = _endpoint_gb(ctx)
    ref = ctx.price("vpc/interface-endpoint-data")
    if gb is None:
        notes.append(
            f"interface endpoint data processing not priced: ${ref.tiers[0].price if ref.tiers else ref.value} per GB "
            f"through {service}; {how}"
        )
    else:
        out += tiered_lines(
            "VPC endpoint data processed",
            service,
            ref,
            gb,
            "GB",
            driver="volume",
            purchase="on-demand",
            scales_with=["volume", "tokens"] if "token" in how else ["volume"],
            note=how,
        )
    return out, notes


def _endpoint_gb(ctx: Context) -> tuple[Decimal | None, str]:
    """GB a month through the endpoint and how it was found."""
    given = ctx.workload.vpc.endpoint_gb_per_month
    if given is not None:
        return money(given), f"{given:,g} GB a month (vpc.endpoint_gb_per_month)"
    u = ctx.usage
    if u.missing_token_fields or not (u.input_tokens or u.output_tokens):
        return None, "the request size is unknown (no token counts): set vpc.endpoint_gb_per_month"
    tokens = Decimal(str(u.input_tokens_per_month)) + Decimal(str(u.output_tokens_per_month))
    gb = tokens * BYTES_PER_TOKEN / Decimal(10**9)
    return gb, (
        f"{tokens:,.0f} tokens a month in and out x {BYTES_PER_TOKEN} bytes per token = {gb:,.3f} GB "
        "(assumption: the text only; set vpc.endpoint_gb_per_month)"
    )


def _egress(ctx: Context) -> tuple[list[CostComponent], list[str]]:
    w = ctx.workload
    if w.egress_gb_per_month is None:
        return [], []
    # the file's workload (the model layer of an orchestration workload sees it as an inference one)
    facing = "orchestration" if ctx.wf.workloads[ctx.usage.index].role in ORCHESTRATION_ROLES else "model"
    if ctx.layer != facing:
        return [], []
    return tiered_lines(
        "Data transfer out",
        "internet",
        ctx.price("data-transfer/out-internet"),
        money(w.egress_gb_per_month),
        "GB",
        driver="volume",
        purchase="on-demand",
        scales_with=["volume"],
        note=f"{w.egress_gb_per_month:,g} GB a month to the internet (egress_gb_per_month); the same on every option",
    ), []
