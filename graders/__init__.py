"""Graders: one pytest module per challenge, graders/<level>/test_<slug>.py. See graders/README.md."""
