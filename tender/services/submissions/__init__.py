"""Suppliers' own submissions and the tender box (issue 18, parts 2 and 3).

- ``rounds``: which rounds a procurement takes responses in, their deadlines by the server's clock, the
  questions of each lot's evaluation model, and loading a supplier's own submission (never another's).
- ``drafting``: drafts, answers, the price envelope and documents (each upload and removal audited).
- ``submitting``: submit (a receipt), withdraw, and the officer's extension of a deadline for everyone.
- ``tender_box``: the register of receipts published at the deadline, and the officer's opening, which
  turns receipts into the ``Bid`` and ``SQResponse`` records the evaluation reads.
- ``reading``: the read API for evaluators and the officer (answers, documents), refused before opening.
"""
