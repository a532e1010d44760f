"""Forms of the account pages, by page (field names are part of docs/contract.md)."""
