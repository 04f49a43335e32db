"""Problem categories residents raise, in one fixed order used by every array in the model.

The list follows the largest request categories of city hotlines (calibration.md §D: Beijing
2020 top ten, Jinan 2017): housing and estate management, city management, utilities, labour
and social security, civil affairs (elder care, assistance, health), market and commerce,
traffic and parking, social order (disputes, legal aid). Pattern G3 of calibration.md says the
first four dominate.
"""

from __future__ import annotations

CATEGORIES: tuple[str, ...] = (
    "housing",
    "city_management",
    "utilities",
    "labour_social_security",
    "civil_affairs",
    "market_commerce",
    "traffic_parking",
    "social_order",
)
N_CATEGORIES = len(CATEGORIES)
INDEX = {name: i for i, name in enumerate(CATEGORIES)}

__all__ = ["CATEGORIES", "INDEX", "N_CATEGORIES"]
