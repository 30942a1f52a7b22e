"""Use cases. Each takes the session, the actor and today as arguments, flushes, never commits."""

# the payroll's change counter listens to every session's flushes, whichever service runs first
from .pay import changes as _pay_changes  # noqa: E402, F401
