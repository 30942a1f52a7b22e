"""The demo county, kept beside the app: nothing in pwposts outside this package imports it.

`pwposts demo` reaches the CLI through the `pwposts.commands` entry-point group (pyproject.toml),
which pwposts.cli loads by name; tests and benchmarks import this package directly.

Modules: county (regions, people, cadres, policy, logins, the whole build and the command), history
(posts, hiring, contracts, attendance and payroll since 2024), exits, records (other departments'
records), hire_sign (a hire awaiting its contract), oversight (planted cases for the 纪检监察 rules).
"""

from .county import (
    COUNTY_CODE6,
    COUNTY_NAME,
    DEMO_ACTOR,
    DEMO_LOGINS,
    DEMO_PASSWORD,
    MIN_PERSONS,
    RARE_CHARS,
    demo_command,
    generate_county,
    reset_all,
)

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
