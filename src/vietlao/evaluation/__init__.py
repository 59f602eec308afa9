"""Stage 5, evaluation: the one scorer (predictions joined to the gold by id) and inter-annotator agreement."""
