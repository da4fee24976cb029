"""Pure domain logic: procurement rules, time limits, scoring, workflow definitions.

Nothing in this package imports Flask, SQLAlchemy or WTForms, so every rule here
is testable in microseconds and reusable from the CLI, the web app and scripts.
"""
