"""The AMI side of the hotline: a safe AMI client, the live queue state in Redis, and their wiring."""
