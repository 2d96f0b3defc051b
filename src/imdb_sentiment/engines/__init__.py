"""Engines that run the library's scoring on more than one process or machine.

``ray``: a folder or glob of review files scored on a Ray cluster (or a Ray started on this
machine), one output file per input file.
"""
