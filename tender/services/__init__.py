"""Services: each use case validates, calls the domain, writes its audit event and commits (tender.services.use_case)."""
