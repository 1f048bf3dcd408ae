"""The registers staff keep in their own workbooks beside the rounds: the action plan register
(projects of the office's groups) and the money register (allocations to schools). Each is read,
checked and summarised here.
"""
