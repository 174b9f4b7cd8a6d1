"""Corpora, tokenization, vocabularies and batches."""
