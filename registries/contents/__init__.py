"""Files inside images: layer listings (layers.py reads, codec.py stores, tree.py merges),
their models, services, background task and pages."""
