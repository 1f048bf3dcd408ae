"""Google Sheets as a channel: schools fill a sheet the office shares; esaplan reads it and answers in it.

- :mod:`.client`: the paced gspread client on the office's service account (quota, retries).
- :mod:`.snapshot`: which tabs are read and how their values become a stored submission.
- :mod:`.source`: the consolidation source (only changed sheets are read) and the feedback.
- :mod:`.feedback`: the "ผลการตรวจสอบ" tab and status cell a school sees.
- :mod:`.provision`: one copy of the template per school, shared and protected (``esaplan sheets provision``).

Google's libraries are imported by the modules that call Google, so an office without a
service account never loads them.
"""
