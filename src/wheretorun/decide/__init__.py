"""The playbook as rules plus a cost ranking: workload file -> Report (module map: ``engine``)."""

from .assemble import recommend_workload
from .engine import recommend

__all__ = ["recommend", "recommend_workload"]
