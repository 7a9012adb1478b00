"""The playbook as rules plus a cost ranking: workload file -> Report."""

from .engine import recommend, recommend_workload

__all__ = ["recommend", "recommend_workload"]
