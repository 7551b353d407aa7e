"""Supply chain: an image's signatures, SBOMs and provenance, wherever they are attached."""
