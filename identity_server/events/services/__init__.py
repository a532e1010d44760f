"""Services of the events app: the outbox (writes), SET signing, delivery, the worker."""
