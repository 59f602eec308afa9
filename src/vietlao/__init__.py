"""vietlao: a multilingual news dataset on Vietnam–Laos relations, annotated for entities and stance."""

__version__ = "0.1.0"
