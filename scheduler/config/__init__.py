"""Config layer: what admins write (YAML in the config folder) and what ops set (environment).

Owns YAML loading with line numbers, field checks, the validated model (`Config`, `Policy`),
date arithmetic and working-day calendars, and deployment settings. Imports nothing else from
`scheduler`; every other layer may import it.
"""
