"""The six integration modes: one closed registry keyed by an enum.

`Mode(name)` raises on an unknown name; `REGISTRY` maps every mode to its policy class and its
parameter class. A test checks the registry covers the enum exactly.
"""

from __future__ import annotations

from enum import StrEnum

from simulation.modes.base import ModePolicy, Structure
from simulation.modes.central_community import CentralCommunity
from simulation.modes.cross_domain import CrossDomain
from simulation.modes.dual_reporting import DualReporting
from simulation.modes.red_commercial_street import RedCommercialStreet
from simulation.modes.regional import Regional
from simulation.modes.smart_platform import SmartPlatform
from simulation.scenario.mode_params import (
    CentralCommunityParams,
    CrossDomainParams,
    DualReportingParams,
    RedCommercialStreetParams,
    RegionalParams,
    SmartPlatformParams,
)

__all__ = ["PARAMS", "REGISTRY", "Mode", "ModePolicy", "Structure"]


class Mode(StrEnum):
    """The six integration modes of the source, in the source's order."""

    REGIONAL = "regional"
    CROSS_DOMAIN = "cross_domain"
    CENTRAL_COMMUNITY = "central_community"
    DUAL_REPORTING = "dual_reporting"
    RED_COMMERCIAL_STREET = "red_commercial_street"
    SMART_PLATFORM = "smart_platform"


REGISTRY: dict[Mode, type[ModePolicy]] = {
    Mode.REGIONAL: Regional,
    Mode.CROSS_DOMAIN: CrossDomain,
    Mode.CENTRAL_COMMUNITY: CentralCommunity,
    Mode.DUAL_REPORTING: DualReporting,
    Mode.RED_COMMERCIAL_STREET: RedCommercialStreet,
    Mode.SMART_PLATFORM: SmartPlatform,
}

PARAMS: dict[Mode, type] = {
    Mode.REGIONAL: RegionalParams,
    Mode.CROSS_DOMAIN: CrossDomainParams,
    Mode.CENTRAL_COMMUNITY: CentralCommunityParams,
    Mode.DUAL_REPORTING: DualReportingParams,
    Mode.RED_COMMERCIAL_STREET: RedCommercialStreetParams,
    Mode.SMART_PLATFORM: SmartPlatformParams,
}
