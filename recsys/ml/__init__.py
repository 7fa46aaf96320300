"""The model, its training, evaluation and baselines: domain-free (ids, features, interactions)."""
