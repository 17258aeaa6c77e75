"""Scheduled reminders: an outbox of rows, planned from pathway rules, sent by a dispatcher.

``tracker.reminders.setup.init_app`` wires them into the app.
"""
