"""Stage 3, the export: a Label Studio JSON export read and every task validated into sentence records."""
