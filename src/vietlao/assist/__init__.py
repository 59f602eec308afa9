"""Help for annotators: pre-annotation models trained on the gold, the effort they save, and Label
Studio's ML backend that serves and retrains them."""
