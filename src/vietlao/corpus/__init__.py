"""Stage 1, the corpus: documents kept byte-identical with their metadata, sentence segmentation and
tokenisation, and the canonical entity inventory."""
