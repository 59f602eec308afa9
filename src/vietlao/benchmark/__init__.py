"""Stage 6, the benchmark: every baseline and peer under every protocol, scored by the one scorer."""
