"""A fictional service area for the README's first command: schools with realistic values and
realistic mistakes, the groups' plans and the allocation register.
"""
