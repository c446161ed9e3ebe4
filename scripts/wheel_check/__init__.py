"""The parts of scripts/wheel-check: what the archives must hold (contents.py), the new
project it makes (project.py) and the admin walk run inside it (visit.py).
"""
