"""A procurement's life: set-up, what suppliers send, shortlisting, stages, milestones, page read models."""
