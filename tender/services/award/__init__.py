"""The award: the recorded recommendation, its approval, and what follows from it."""
