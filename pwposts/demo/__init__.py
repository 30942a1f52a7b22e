"""The demo county, kept beside the app: nothing in pwposts outside this package imports it.

`pwposts demo` reaches the CLI through the `pwposts.commands` entry-point group (pyproject.toml),
which pwposts.cli loads by name; tests and benchmarks import this package directly.

Modules: county (the whole build: rows, logins, entry points) with county_state (constants, in-memory
state), county_people (regions, households, persons) and county_cadres (村干部, policy); names (its
vocabulary); command (`pwposts demo`); recruitment (recruitment under way, through the hiring services);
history (posts, hiring, contracts, attendance and payroll since 2024: rows and entry points) with
history_state, history_posts, history_hiring, history_pay and history_texts; exits (exit records, 311
services, the sweep) with exit_rows (its set-based writer); bulk (its inserts); records (other departments'
records); hire_sign (a hire awaiting its contract); oversight (planted cases for the 纪检监察 rules).
"""

from .command import demo_command
from .county import generate_county, reset_all
from .county_state import (
    COUNTY_CODE6,
    COUNTY_NAME,
    DEMO_ACTOR,
    DEMO_LOGINS,
    DEMO_PASSWORD,
    MIN_PERSONS,
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
