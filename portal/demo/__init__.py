"""Realistic demo data: Bishkek and Osh, their services, categories and appeals."""
