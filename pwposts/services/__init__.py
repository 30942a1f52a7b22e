"""Use cases. Each takes the session, the actor and today as arguments, flushes, never commits."""
