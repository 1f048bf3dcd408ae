"""The office server: the Flask web pages and API, background jobs and the queue, staff
accounts, and the per-unit views the pages show.
"""
