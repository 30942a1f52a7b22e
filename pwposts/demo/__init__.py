"""The demo county, kept beside the app: nothing in pwposts outside this package imports it.

`pwposts demo` reaches the CLI through the `pwposts.commands` entry-point group (pyproject.toml),
which pwposts.cli loads by name; tests and benchmarks import this package directly.

Modules: county (regions, people, cadres, policy, logins and the whole build), names (its vocabulary),
command (`pwposts demo`), recruitment (recruitment under way, through the hiring services), history
(posts, hiring, contracts, attendance and payroll since 2024), exits, records (other departments'
records), hire_sign (a hire awaiting its contract), oversight (planted cases for the 纪检监察 rules).
"""

from .command import demo_command
from .county import (
    COUNTY_CODE6,
    COUNTY_NAME,
    DEMO_ACTOR,
    DEMO_LOGINS,
    DEMO_PASSWORD,
    MIN_PERSONS,
    generate_county,
    reset_all,
)
from .names import RARE_CHARS

__all__ = [
    "COUNTY_CODE6",
    "COUNTY_NAME",
    "DEMO_ACTOR",
    "DEMO_LOGINS",
    "DEMO_PASSWORD",
    "MIN_PERSONS",
    "RARE_CHARS",
    "demo_command",
    "generate_county",
    "reset_all",
]
