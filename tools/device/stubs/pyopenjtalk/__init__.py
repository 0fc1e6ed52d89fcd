"""Device-only stand-in: training reads prepared phonemes and never calls Open JTalk."""
