"""The delivery outbox, and every SQL statement on its table.

`repo` plans rows (insert-if-absent per channel, kind and item) and reads them back;
`claims` is the worker's lifecycle of a row (claim under a lease, progress, outcome, all
fenced by the claim count); `history` answers what a channel was already given. Nothing
outside this package writes SQL against `deliveries`.
"""
