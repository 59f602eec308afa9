"""Stage 4, the dataset: validated records -> rows -> Arrow files under ``dataset/`` and the dataset card."""
