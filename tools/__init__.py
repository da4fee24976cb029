"""Developer tools kept out of the tender package (mutation testing)."""
