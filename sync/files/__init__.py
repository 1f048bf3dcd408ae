"""How esaplan's own files are written and read safely: atomic replacement, the cache beside a
workbook, XML text cleaning, zip packages. No knowledge of forms, schools or rounds; everything
else may use it.
"""
