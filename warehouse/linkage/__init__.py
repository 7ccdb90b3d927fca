"""Privacy-preserving record linkage: keyed tokens at the sites, Splink at the coordinator.

A child treated at two centres has two pseudonyms (each site keys its own). Sites turn
identifiers typed in the form into per-field HMAC tokens under a study-wide linkage key
that the coordinator never holds; the coordinator scores token agreement with a
Fellegi-Sunter model (Splink) and a person reviews the pairs.
"""
