"""Publishing the dataset folder: the Hub's and Croissant's checks, and the dry run of an upload."""
