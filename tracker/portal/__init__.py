"""The patient portal: invitations, daily check-ins, milestones, alerts to the clinic, calendar."""
